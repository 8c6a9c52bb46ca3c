package collective

import (
	"fmt"

	"github.com/spmd-go/spmd/comm"
)

// Neighbourhood collectives on Cartesian communicators (MPI 4.1 §8.6).
//
// A rank of an n-dimensional grid has 2n neighbour slots, in MPI's order:
// for each dimension d, first the neighbour on the negative side (the
// source of CartShift(d, 1)), then the one on the positive side (its
// destination). A slot whose neighbour lies beyond a non-periodic edge
// holds comm.ProcNull: nothing is sent to it or received from it, and its
// block of the receive buffer is left as it was. In a periodic dimension
// of extent 1 or 2 both slots hold the same rank (the caller itself for
// extent 1); every message carries its slot in its tag, so each still
// lands in the right block.

// neighborTagRoles is how many slots one call number's tags can name
// (see call); calls on grids of more than neighborTagRoles/2 dimensions
// take several call numbers.
const neighborTagRoles = 1 << callTagBits

// neighborCall begins a neighbourhood collective: it rejects a nil or
// non-Cartesian communicator, and returns the collective view, the
// neighbours in slot order and the base tags. Like every collective it
// draws its call numbers before checking anything else that could differ
// between ranks, so that the ranks stay in step.
func neighborCall(op string, c *comm.Comm) (*comm.Comm, []int, []int, error) {
	var x call
	if err := x.begin(c, op); err != nil {
		return nil, nil, nil, err
	}
	dims, _, ok := c.CartDims()
	if !ok {
		return nil, nil, nil, fmt.Errorf("collective: %s: %v: %w", op, c, comm.ErrTopology)
	}
	k := 2 * len(dims)
	bases := make([]int, max(1, (k+neighborTagRoles-1)/neighborTagRoles))
	bases[0] = x.tag
	for i := 1; i < len(bases); i++ {
		var more call
		if err := more.begin(c, op); err != nil {
			return nil, nil, nil, err
		}
		bases[i] = more.tag
	}
	cc := x.cc
	nbrs := make([]int, k)
	for d := range dims {
		src, dst, err := c.CartShift(d, 1)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("collective: %s: %w", op, err)
		}
		nbrs[2*d], nbrs[2*d+1] = src, dst
	}
	return cc, nbrs, bases, nil
}

// neighborSendTag is the tag of the message to slot j's neighbour; the
// neighbour files it under the opposite slot, j^1, whose receive expects
// neighborRecvTag(j^1) == neighborSendTag(j).
func neighborSendTag(bases []int, j int) int {
	return bases[j/neighborTagRoles] + j%neighborTagRoles
}

func neighborRecvTag(bases []int, j int) int { return neighborSendTag(bases, j^1) }

// neighborExchange moves one block per slot: send[soff[j]:soff[j+1]] to
// slot j's neighbour (the whole of send to every neighbour when soff is
// nil, as in an allgather) and recv[roff[j]:roff[j+1]] from it. Receives
// are posted first, then the sends, then everything is waited for; the
// first error is returned after all requests have completed.
func neighborExchange[T comm.Scalar](op string, cc *comm.Comm, nbrs, bases []int, send []T, soff []int, recv []T, roff []int) error {
	reqs := make([]*comm.Request, 2*len(nbrs))
	var first error
	keep := func(err error) {
		if first == nil && err != nil {
			first = err
		}
	}
	for j, r := range nbrs {
		if r == comm.ProcNull {
			continue
		}
		req, err := comm.Irecv(cc, recv[roff[j]:roff[j+1]], r, neighborRecvTag(bases, j))
		if err != nil {
			keep(fmt.Errorf("receive from rank %d: %w", r, err))
			continue
		}
		reqs[j] = req
	}
	for j, r := range nbrs {
		if r == comm.ProcNull {
			continue
		}
		blk := send
		if soff != nil {
			blk = send[soff[j]:soff[j+1]]
		}
		req, err := comm.Isend(cc, blk, r, neighborSendTag(bases, j))
		if err != nil {
			keep(fmt.Errorf("send to rank %d: %w", r, err))
			continue
		}
		reqs[len(nbrs)+j] = req
	}
	size := comm.SizeOf[T]()
	for j, req := range reqs {
		if req == nil {
			continue
		}
		st, err := req.Wait()
		if j >= len(nbrs) {
			if err != nil {
				keep(fmt.Errorf("send to rank %d: %w", nbrs[j-len(nbrs)], err))
			}
			continue
		}
		want := (roff[j+1] - roff[j]) * size
		switch {
		case err != nil:
			keep(fmt.Errorf("receive from rank %d: %w", nbrs[j], err))
		case st.Bytes != want:
			keep(fmt.Errorf("rank %d sent %d bytes, %d expected: %w", nbrs[j], st.Bytes, want, ErrMismatch))
		}
	}
	if first != nil {
		return fmt.Errorf("collective: %s: %w", op, first)
	}
	return nil
}

// neighborCounts checks a counts argument (one entry per slot, none
// negative) and returns the offsets of the blocks it describes, laid back
// to back, with one more entry for the end.
func neighborCounts(op, what string, counts []int, k, have int) ([]int, error) {
	if len(counts) != k {
		return nil, fmt.Errorf("collective: %s: %s has %d entries for %d neighbours: %w", op, what, len(counts), k, comm.ErrArg)
	}
	off := make([]int, k+1)
	for j, n := range counts {
		if n < 0 {
			return nil, fmt.Errorf("collective: %s: %s[%d] = %d: %w", op, what, j, n, comm.ErrArg)
		}
		off[j+1] = off[j] + n
	}
	if off[k] > have {
		return nil, fmt.Errorf("collective: %s: %s add up to %d, the buffer holds %d: %w", op, what, off[k], have, comm.ErrArg)
	}
	return off, nil
}

// neighborEqual returns the offsets of k blocks of n elements.
func neighborEqual(k, n int) []int {
	off := make([]int, k+1)
	for j := range off {
		off[j] = j * n
	}
	return off
}

// NeighborAlltoall sends block j of send to the neighbour in slot j and
// receives block j of recv from it (MPI_Neighbor_alltoall), on a
// Cartesian communicator (comm.CartCreate). An n-dimensional grid gives
// each rank 2n slots in MPI's order: for each dimension d, the source of
// c.CartShift(d, 1) (the negative side), then its destination. A slot
// beyond a non-periodic edge holds comm.ProcNull: nothing is sent there
// and its recv block is left as it was. In a periodic dimension of extent
// 1 or 2 both slots hold the same rank, and each block still lands in the
// right slot. Blocks have len(send)/(2n) elements, the same on every
// rank; recv holds at least 2n of them.
//
// What a rank sends to its positive neighbour in dimension d arrives in
// that neighbour's negative slot for d, and vice versa: on a periodic ring
// every block moves one step along the ring in the direction of its slot.
// There is no in-place form (MPI has none): send must not be nil unless
// recv is empty.
//
// Errors: nil c (comm.ErrComm), c without a Cartesian topology
// (comm.ErrTopology), len(send) not a multiple of 2n, recv too short or a
// nil send (comm.ErrArg), all before any message; a neighbour's block of
// another length (ErrMismatch, or comm.ErrTruncate if longer);
// point-to-point errors.
func NeighborAlltoall[T comm.Scalar](c *comm.Comm, send, recv []T) error {
	const op = "neighbor alltoall"
	cc, nbrs, bases, err := neighborCall(op, c)
	if err != nil {
		return err
	}
	k := len(nbrs)
	if k == 0 {
		return nil
	}
	if send == nil && len(recv) > 0 {
		return fmt.Errorf("collective: %s: nil send (there is no in-place form): %w", op, comm.ErrArg)
	}
	if len(send)%k != 0 {
		return fmt.Errorf("collective: %s: %d elements to send is not a multiple of %d neighbours: %w", op, len(send), k, comm.ErrArg)
	}
	n := len(send) / k
	if len(recv) < k*n {
		return fmt.Errorf("collective: %s: len(recv) = %d < %d neighbours × %d: %w", op, len(recv), k, n, comm.ErrArg)
	}
	off := neighborEqual(k, n)
	return neighborExchange(op, cc, nbrs, bases, send, off, recv, off)
}

// NeighborAlltoallv is NeighborAlltoall with blocks of different lengths
// (MPI_Neighbor_alltoallv): sendCounts[j] elements go to slot j's
// neighbour and recvCounts[j] come from it; each must equal the matching
// count at the neighbour (its count for the opposite slot). Blocks lie
// back to back in slot order, as in Alltoallv.
//
// Errors: as NeighborAlltoall, and counts of the wrong length (2n),
// negative, or adding up to more than their buffer holds (comm.ErrArg).
func NeighborAlltoallv[T comm.Scalar](c *comm.Comm, send []T, sendCounts []int, recv []T, recvCounts []int) error {
	const op = "neighbor alltoallv"
	cc, nbrs, bases, err := neighborCall(op, c)
	if err != nil {
		return err
	}
	k := len(nbrs)
	soff, err := neighborCounts(op, "sendCounts", sendCounts, k, len(send))
	if err != nil {
		return err
	}
	roff, err := neighborCounts(op, "recvCounts", recvCounts, k, len(recv))
	if err != nil {
		return err
	}
	return neighborExchange(op, cc, nbrs, bases, send, soff, recv, roff)
}

// NeighborAllgather sends send to every neighbour and receives block j of
// recv from the neighbour in slot j (MPI_Neighbor_allgather), on a
// Cartesian communicator; slots as for NeighborAlltoall. Blocks have
// len(send) elements, the same on every rank; recv holds at least 2n of
// them.
//
// Errors: nil c (comm.ErrComm), no Cartesian topology (comm.ErrTopology),
// recv too short (comm.ErrArg), before any message; a neighbour's block
// of another length (ErrMismatch or comm.ErrTruncate); point-to-point
// errors.
func NeighborAllgather[T comm.Scalar](c *comm.Comm, send, recv []T) error {
	const op = "neighbor allgather"
	cc, nbrs, bases, err := neighborCall(op, c)
	if err != nil {
		return err
	}
	k, n := len(nbrs), len(send)
	if len(recv) < k*n {
		return fmt.Errorf("collective: %s: len(recv) = %d < %d neighbours × %d: %w", op, len(recv), k, n, comm.ErrArg)
	}
	return neighborExchange(op, cc, nbrs, bases, send, nil, recv, neighborEqual(k, n))
}

// NeighborAllgatherv is NeighborAllgather with blocks of different
// lengths (MPI_Neighbor_allgatherv): recvCounts[j] elements come from
// slot j's neighbour and must equal that neighbour's len(send); blocks lie
// back to back in slot order.
//
// Errors: as NeighborAllgather, and recvCounts of the wrong length (2n),
// negative, or adding up to more than len(recv) (comm.ErrArg).
func NeighborAllgatherv[T comm.Scalar](c *comm.Comm, send, recv []T, recvCounts []int) error {
	const op = "neighbor allgatherv"
	cc, nbrs, bases, err := neighborCall(op, c)
	if err != nil {
		return err
	}
	roff, err := neighborCounts(op, "recvCounts", recvCounts, len(nbrs), len(recv))
	if err != nil {
		return err
	}
	return neighborExchange(op, cc, nbrs, bases, send, nil, recv, roff)
}
