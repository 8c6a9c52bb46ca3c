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
// (see callTagBits); calls on grids of more than neighborTagRoles/2
// dimensions take several call numbers.
const neighborTagRoles = 1 << callTagBits

// neighborCall is one neighbourhood collective call: the call (collective
// view, first base tag, kept errors), the neighbours in slot order, and
// one base tag per neighborTagRoles slots.
type neighborCall struct {
	call
	nbrs  []int
	bases []int
}

// begin starts a neighbourhood collective on c: it numbers the call (and
// rejects a nil communicator) first, like every collective, then rejects a
// communicator without a Cartesian topology (the same on every rank) and
// finds the neighbours.
func (x *neighborCall) begin(c *comm.Comm, op string) error {
	if err := x.call.begin(c, op); err != nil {
		return err
	}
	dims, _, ok := c.CartDims()
	if !ok {
		return fmt.Errorf("collective: %s: %v: %w", op, c, comm.ErrTopology)
	}
	k := 2 * len(dims)
	x.bases = make([]int, max(1, (k+neighborTagRoles-1)/neighborTagRoles))
	x.bases[0] = x.tag
	for i := 1; i < len(x.bases); i++ {
		var more call
		if err := more.begin(c, op); err != nil {
			return err
		}
		x.bases[i] = more.tag
	}
	x.nbrs = make([]int, k)
	for d := range dims {
		src, dst, err := c.CartShift(d, 1)
		if err != nil {
			return fmt.Errorf("collective: %s: %w", op, err)
		}
		x.nbrs[2*d], x.nbrs[2*d+1] = src, dst
	}
	return nil
}

// sendTag is the tag of the message to slot j's neighbour; the neighbour
// files it under the opposite slot, j^1, whose receive expects
// recvTag(j^1) == sendTag(j).
func (x *neighborCall) sendTag(j int) int {
	return x.bases[j/neighborTagRoles] + j%neighborTagRoles
}

func (x *neighborCall) recvTag(j int) int { return x.sendTag(j ^ 1) }

// neighborExchange moves one block per slot: send[soff[j]:soff[j+1]] to
// slot j's neighbour (the whole of send to every neighbour when soff is
// nil, as in an allgather) and recv[roff[j]:roff[j+1]] from it. Receives
// are posted first, then the sends, then everything is waited for; a
// block of the wrong length is kept as the call's error while the rest
// completes, so no neighbour is left waiting.
func neighborExchange[T comm.Scalar](x *neighborCall, send []T, soff []int, recv []T, roff []int) error {
	k := len(x.nbrs)
	reqs := make([]*comm.Request, 2*k)
	var first error
	keep := func(err error) {
		if first == nil && err != nil {
			first = err
		}
	}
	for j, r := range x.nbrs {
		if r == comm.ProcNull {
			continue
		}
		req, err := comm.Irecv(x.cc, recv[roff[j]:roff[j+1]], r, x.recvTag(j))
		if err != nil {
			keep(fmt.Errorf("receive from rank %d: %w", r, err))
			continue
		}
		reqs[j] = req
	}
	for j, r := range x.nbrs {
		if r == comm.ProcNull {
			continue
		}
		blk := send
		if soff != nil {
			blk = send[soff[j]:soff[j+1]]
		}
		req, err := comm.Isend(x.cc, blk, r, x.sendTag(j))
		if err != nil {
			keep(fmt.Errorf("send to rank %d: %w", r, err))
			continue
		}
		reqs[k+j] = req
	}
	size := comm.SizeOf[T]()
	for j, req := range reqs {
		switch {
		case req == nil:
		case j < k:
			keep(x.waitRecv(req, (roff[j+1]-roff[j])*size, x.nbrs[j]))
		default:
			if _, err := req.Wait(); err != nil {
				keep(fmt.Errorf("send to rank %d: %w", x.nbrs[j-k], err))
			}
		}
	}
	return x.done("", first)
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
	var x neighborCall
	if err := x.begin(c, op); err != nil {
		return err
	}
	x.note(sizeOf(send), -1)
	nbrs := x.nbrs
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
	return neighborExchange(&x, send, off, recv, off)
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
	var x neighborCall
	if err := x.begin(c, op); err != nil {
		return err
	}
	x.note(sizeOf(send), -1)
	nbrs := x.nbrs
	k := len(nbrs)
	soff, err := neighborCounts(op, "sendCounts", sendCounts, k, len(send))
	if err != nil {
		return err
	}
	roff, err := neighborCounts(op, "recvCounts", recvCounts, k, len(recv))
	if err != nil {
		return err
	}
	return neighborExchange(&x, send, soff, recv, roff)
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
	var x neighborCall
	if err := x.begin(c, op); err != nil {
		return err
	}
	x.note(sizeOf(send), -1)
	nbrs := x.nbrs
	k, n := len(nbrs), len(send)
	if len(recv) < k*n {
		return fmt.Errorf("collective: %s: len(recv) = %d < %d neighbours × %d: %w", op, len(recv), k, n, comm.ErrArg)
	}
	return neighborExchange(&x, send, nil, recv, neighborEqual(k, n))
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
	var x neighborCall
	if err := x.begin(c, op); err != nil {
		return err
	}
	x.note(sizeOf(send), -1)
	nbrs := x.nbrs
	roff, err := neighborCounts(op, "recvCounts", recvCounts, len(nbrs), len(recv))
	if err != nil {
		return err
	}
	return neighborExchange(&x, send, nil, recv, roff)
}
