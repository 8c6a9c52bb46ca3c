// Package collective provides MPI's collective operations over comm
// communicators: Barrier, Bcast, Scatter(v), Gather(v), Allgather(v),
// Reduce, Allreduce, ReduceScatter, Alltoall(v), Scan and Exscan, with the
// algorithms MPICH and Open MPI use, chosen by message size and rank count.
//
// Collectives run on the communicator's private collective context
// (comm.Comm.Collective), so they never match user point-to-point traffic,
// even AnySource/AnyTag receives. Every rank of the communicator must call
// the same collectives in the same order.
//
// Buffers follow one convention: a nil send buffer means "in place" (the
// root's or every rank's own block, or the reduction's input, is already in
// recv), and the v-variants (Scatterv, Gatherv, Allgatherv, Alltoallv) lay
// blocks back to back in rank order: a block's displacement is the sum of
// the counts before it. Arguments significant only at the root may be nil
// elsewhere.
//
// Forcing an algorithm: SPMD_COLL_<OP>=<algorithm> (for example
// SPMD_COLL_ALLREDUCE=ring) makes every call of that operation use the
// named algorithm; Algorithms lists them. Benchmarks and tests use it to
// compare and to cover every algorithm. The variables are read when a
// communicator makes its first collective call.
package collective
