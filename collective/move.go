package collective

import (
	"fmt"
	"slices"

	"github.com/spmd-go/spmd/comm"
)

// Helpers shared by the data-movement collectives (Bcast, Scatter, Gather,
// Allgather, Alltoall and their v and object forms).
//
// Error discipline. Errors that every rank sees alike (a nil communicator,
// a root out of range, an unknown forced algorithm, the same bad counts
// everywhere) are returned on every rank before any message moves. So are
// errors in the root's own arguments that leave nothing to run with
// (counts of the wrong length, a buffer too small); the other ranks then
// wait as for a root that skipped the call, as in MPI, so such errors are
// to be treated as fatal (comm.Comm.Abort). Once messages move, a length
// that disagrees between ranks shows up at a receiver as a message longer
// than expected (comm.ErrTruncate) or shorter (ErrMismatch); the receiver
// keeps the first such error and carries on with the algorithm, forwarding
// what it holds, so that every message is still sent and received and no
// peer waits for ever. That is safe because the message pattern of every
// algorithm depends only on the rank count, the root and the algorithm,
// never on lengths. Ranks whose lengths disagree may still pick different
// algorithms where the choice depends on size (not so for Alltoallv, whose
// two algorithms exchange the same messages); MPI calls that erroneous.

// moveStart begins a data-movement collective on c: it rejects a nil
// communicator, then takes the call's collective view and base tag (see
// call). Every collective of this part calls it first, before any other
// check, so that the per-communicator call count stays in step on every
// rank even when a rank returns an argument error.
func moveStart(op string, c *comm.Comm) (*comm.Comm, int, error) {
	if c == nil {
		return nil, 0, fmt.Errorf("collective: %s: nil communicator: %w", op, comm.ErrComm)
	}
	cc, tag := call(c)
	return cc, tag, nil
}

// moveChoose picks the algorithm of one call: alg when a test names one,
// else the one SPMD_COLL_<OP> forces, else decide's choice. The choice is
// made synchronously, before any message, so that every rank (whose
// environment and arguments agree) runs the same algorithm.
func moveChoose(cc *comm.Comm, op, alg string, decide func() string) (string, error) {
	if alg != "" {
		if !slices.Contains(Algorithms()[op], alg) {
			return "", fmt.Errorf("collective: %s has no algorithm %q: %w", op, alg, ErrAlgorithm)
		}
		return alg, nil
	}
	f, err := reductionStateOf(cc).forced(op)
	if err != nil || f != "" {
		return f, err
	}
	return decide(), nil
}

// moveIsPow2 reports whether p is a power of two.
func moveIsPow2(p int) bool { return p > 0 && p&(p-1) == 0 }

// moveCheckRoot rejects a root outside cc; every rank sees the same error.
func moveCheckRoot(op string, cc *comm.Comm, root int) error {
	if root < 0 || root >= cc.Size() {
		return fmt.Errorf("collective: %s: root %d of %d ranks: %w", op, root, cc.Size(), comm.ErrRank)
	}
	return nil
}

// moveCheckCounts checks, at a root or on every rank of an Allgatherv or
// Alltoallv, that counts has one entry per rank, none negative, and returns
// their sum.
func moveCheckCounts(op, what string, counts []int, p int) (int, error) {
	if len(counts) != p {
		return 0, fmt.Errorf("collective: %s: %s has %d entries for %d ranks: %w", op, what, len(counts), p, comm.ErrArg)
	}
	sum := 0
	for i, n := range counts {
		if n < 0 {
			return 0, fmt.Errorf("collective: %s: %s[%d] = %d: %w", op, what, i, n, comm.ErrArg)
		}
		sum += n
	}
	return sum, nil
}

// moveErrs keeps the first error of a call while the algorithm carries on.
type moveErrs struct{ err error }

func (e *moveErrs) keep(err error) {
	if e.err == nil && err != nil {
		e.err = err
	}
}

// moveSend sends buf to rank dst of the collective view.
func moveSend[T comm.Scalar](cc *comm.Comm, buf []T, dst, tag int) error {
	if err := comm.Send(cc, buf, dst, tag); err != nil {
		return fmt.Errorf("send to rank %d: %w", dst, err)
	}
	return nil
}

// moveIsend starts a send of buf to rank dst; a failure names dst.
func moveIsend[T comm.Scalar](cc *comm.Comm, buf []T, dst, tag int) (*comm.Request, error) {
	req, err := comm.Isend(cc, buf, dst, tag)
	if err != nil {
		return nil, fmt.Errorf("send to rank %d: %w", dst, err)
	}
	return req, nil
}

// moveIrecv starts a receive into buf from rank src; a failure names src.
// Check its length with moveWait.
func moveIrecv[T comm.Scalar](cc *comm.Comm, buf []T, src, tag int) (*comm.Request, error) {
	req, err := comm.Irecv(cc, buf, src, tag)
	if err != nil {
		return nil, fmt.Errorf("receive from rank %d: %w", src, err)
	}
	return req, nil
}

// moveRecv receives exactly len(buf) elements from rank src: a longer
// message is an error wrapping comm.ErrTruncate, a shorter one ErrMismatch.
func moveRecv[T comm.Scalar](cc *comm.Comm, buf []T, src, tag int) error {
	st, err := comm.Recv(cc, buf, src, tag)
	return moveStatus(st, err, len(buf)*comm.SizeOf[T](), src)
}

// moveSendrecv sends send to dst and receives exactly len(recv) elements
// from src, at once.
func moveSendrecv[T comm.Scalar](cc *comm.Comm, send []T, dst int, recv []T, src, tag int) error {
	st, err := comm.Sendrecv(cc, send, dst, tag, recv, src, tag)
	if err != nil {
		return fmt.Errorf("exchange (send to rank %d, receive from rank %d): %w", dst, src, err)
	}
	return moveStatus(st, nil, len(recv)*comm.SizeOf[T](), src)
}

// moveWait waits for a receive request and checks its length as moveRecv
// does; bytes is the expected length.
func moveWait(req *comm.Request, bytes, src int) error {
	st, err := req.Wait()
	return moveStatus(st, err, bytes, src)
}

func moveStatus(st comm.Status, err error, want, src int) error {
	if err != nil {
		return fmt.Errorf("receive from rank %d: %w", src, err)
	}
	if st.Bytes != want {
		return fmt.Errorf("receive from rank %d: %d bytes, expected %d: %w", src, st.Bytes, want, ErrMismatch)
	}
	return nil
}

// moveWrap prefixes err with the operation's name.
func moveWrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("collective: %s: %w", op, err)
}

// moveOffsets returns the prefix sums of counts: block i of a buffer laid
// out by counts is buf[off[i]:off[i+1]]. The v-variants take no explicit
// displacements; blocks lie back to back in rank order.
func moveOffsets(counts []int) []int {
	off := make([]int, len(counts)+1)
	for i, n := range counts {
		off[i+1] = off[i] + n
	}
	return off
}

// moveEqualOffsets is moveOffsets for p blocks of n elements.
func moveEqualOffsets(p, n int) []int {
	off := make([]int, p+1)
	for i := range off {
		off[i] = i * n
	}
	return off
}

// moveVirtualOffsets returns the layout of blocks in virtual-rank order for
// a tree rooted at root: virtual rank v is real rank (v+root) mod p, so the
// block of virtual rank v has counts[(v+root)%p] elements.
func moveVirtualOffsets(counts []int, root int) []int {
	p := len(counts)
	off := make([]int, p+1)
	for v := range p {
		off[v+1] = off[v] + counts[(v+root)%p]
	}
	return off
}

// moveToVirtual copies src, laid out by off in real-rank order, into dst in
// virtual-rank order for root (a rotation: real blocks root…p-1 first).
func moveToVirtual[T any](dst, src []T, off []int, root int) {
	p := len(off) - 1
	k := copyHot(dst, src[off[root]:off[p]])
	copyHot(dst[k:], src[:off[root]])
}

// moveToReal undoes moveToVirtual.
func moveToReal[T any](dst, src []T, off []int, root int) {
	p := len(off) - 1
	k := off[p] - off[root]
	copyHot(dst[off[root]:off[p]], src[:k])
	copyHot(dst[:off[root]], src[k:off[p]])
}

// moveSpan is the number of ranks in the binomial subtree of virtual rank
// v among p: v itself and the ranks below it, [v, v+span). The root's
// subtree is everyone; any other v heads 2^k ranks, k its lowest set bit,
// clipped at p.
func moveSpan(v, p int) int {
	if v == 0 {
		return p
	}
	return min(v&-v, p-v)
}
