// Package grid holds the pieces of SPMD grid codes that sit between the
// array and the messages: copying a sub-block of a row-major N-d array to
// and from a contiguous buffer (Pack, Unpack), and exchanging the ghost
// layers of a block of a distributed grid with its neighbours (Halo).
//
// # Distributed grids
//
// A global grid of shape G is split over a Cartesian communicator of
// shape P (comm.DimsCreate chooses P for a process count,
// comm.CartCreate makes the communicator): the rank at grid coordinates
// p owns a block of the global index space, in each dimension i a range
// of about G[i]/P[i] points (Block says which). A stencil update of a point reads its
// neighbours up to some distance w (the stencil's radius), so each rank
// stores its block padded with w ghost points on every side, and before
// each update fills those ghosts with copies of the neighbouring ranks'
// edge points. That is a halo exchange:
//
//	c, _ := comm.CartCreate(world, dims, periods, false)
//	start, local, _ := grid.Block(c, []int{NY, NX}) // this rank's block
//	h, _ := grid.NewHalo[float64](c, local, w)
//	u := make([]float64, h.Len()) // (local[0]+2w) × (local[1]+2w), row-major
//	for step := range steps {
//		h.Start(u)          // send edges, post receives
//		interior(unew, u)   // points ≥ w from the block's edge
//		h.Wait()            // ghosts are now current
//		rim(unew, u)        // the rest
//		u, unew = unew, u
//	}
//
// Faces (the ghost slabs beside each side) are exchanged by default; the
// Corners option adds edges and corners, from the diagonal neighbours.
// Ghosts beyond the edge of a non-periodic dimension belong to no
// neighbour and are left alone, for the program's boundary condition.
//
// # Strided data
//
// MPI describes a column of a matrix or a face of a 3-D block with a
// derived datatype and lets the library gather it. spmd has no datatype
// engine: its messages are slices. Pack and Unpack do the gathering
// instead, with one copy per contiguous run and no allocation, which is
// also what the Parallel Research Kernels and most mpi4py programs do by
// hand. The sub-block is given by its start index and extent in each
// dimension, the same (start, count) pairs as HDF5 hyperslabs and
// MPI_Type_create_subarray.
//
// # Why a package of its own
//
// Packing is array layout, not communication, and is useful without any
// (to stage a block for a file write, say). A Halo is a neighbourhood
// exchange, like collective.NeighborAlltoall, but unlike a collective it
// is a persistent object split into Start and Wait so that computation
// overlaps it, and it owns a communicator of its own. Keeping both here
// leaves package collective with the operations MPI defines.
package grid
