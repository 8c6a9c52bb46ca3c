package collective

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/spmd-go/spmd/comm"
)

// rcall is one call of a reduction collective on one rank: the collective
// view, the call's base tag, the operation, and the scratch the call holds.
// Its methods move typed blocks and combine them; the algorithm files are
// written in their terms.
type rcall[T comm.Scalar] struct {
	cc         *comm.Comm
	tag        int // the call's base tag; messages use tag+k, k < 16
	op         Op
	rank, size int
	st         *reductionState
	held       [6][]uint64 // scratch to give back when the call ends (3 at most today)
	nheld      int
	utmp       []T   // a user op's copy space for reduceLeftInto
	err        error // the first message whose length disagreed (see recv)
	// src is Allreduce's send buffer while this rank's contribution has
	// not yet been combined into acc (nil: acc holds it). The first step
	// of an algorithm reads its contribution from src (mine) and writes
	// its first combination into acc, so that no step copies send into
	// recv up front: at 1 MiB that copy cost as much as a whole exchange,
	// and a peer that then pulls the copy with process_vm_readv reads
	// lines this core has just written rather than the untouched send
	// buffer.
	src []T
}

// Message roles (the k of tag+k) used by the reduction algorithms. Phases
// that talk to the same peer use different roles, so that a mismatch
// between ranks shows as an error rather than as data crossing phases.
const (
	kFold   = 0 // non-power-of-two fold-in
	kCore   = 1 // the core exchange (recursive doubling, halving, ring reduce-scatter)
	kGather = 2 // allgather / gather phase
	kUnfold = 3 // non-power-of-two fold-out
	kExtra  = 4 // a last hop (to a root that sat out)
)

// checkComm rejects the nil communicator.
func checkComm(c *comm.Comm) error {
	if c == nil || c.Collective() == nil {
		return fmt.Errorf("collective: nil communicator: %w", comm.ErrComm)
	}
	return nil
}

// start begins a reduction call on c in x, which the caller declares:
// it rejects a nil communicator, then takes the call's tag, before any
// other check, so that every rank numbers its calls alike even when some
// rank's arguments are wrong (an erroneous call still counts); then it
// checks op and finds the algorithm that tests or SPMD_COLL_<OP> force (""
// if none). It fills x in place: returning an rcall by value made the
// compiler zero and copy it twice per call, 7 % of the samples of an
// 8-byte Allreduce on 2 ranks (perf).
func (x *rcall[T]) start(c *comm.Comm, op Op, name string) (string, error) {
	if err := checkComm(c); err != nil {
		return "", err
	}
	cc, s, tag := callState(c)
	x.cc, x.tag, x.op, x.rank, x.size, x.st = cc, tag, op, cc.Rank(), cc.Size(), &s.red
	if err := checkOp[T](op); err != nil {
		return "", err
	}
	return x.st.algorithm(name)
}

// algorithm returns the algorithm forced for op: by a test override on
// this communicator, else by SPMD_COLL_<OP>, else "".
func (s *reductionState) algorithm(op string) (string, error) {
	if m := s.override.Load(); m != nil {
		if a, ok := (*m)[op]; ok {
			return a, nil
		}
	}
	return s.forced(op)
}

// scratch returns n elements of scratch, given back by done.
func (x *rcall[T]) scratch(n int) []T {
	b := x.st.get(wordsFor[T](n))
	if x.nheld < len(x.held) {
		x.held[x.nheld] = b
		x.nheld++
	}
	return typed[T](b, n)
}

// done gives the scratch back and returns err, or else the first length
// disagreement seen, wrapped with the operation and algorithm.
func (x *rcall[T]) done(name, alg string, err error) error {
	for i := range x.nheld {
		x.st.put(x.held[i])
		x.held[i] = nil
	}
	x.nheld = 0
	if err == nil {
		err = x.err
	}
	if err != nil {
		return fmt.Errorf("collective: %s (%s): %w", name, alg, err)
	}
	return nil
}

func (x *rcall[T]) send(buf []T, to, k int) error {
	return comm.Send(x.cc, buf, to, x.tag+k)
}

// recv receives exactly len(buf) elements from rank from. A message of
// another length means the ranks passed disagreeing lengths: recv records
// it (ErrMismatch, or comm.ErrTruncate for a longer one) and returns nil,
// so the call goes on to its end and every rank finishes its part rather
// than leaving a peer waiting; done then reports it.
func (x *rcall[T]) recv(buf []T, from, k int) error {
	st, err := comm.Recv(x.cc, buf, from, x.tag+k)
	return x.received(st, err, len(buf), from)
}

// sendrecv sends sbuf to rank to and receives exactly len(rbuf) elements
// from rank from, at once.
func (x *rcall[T]) sendrecv(sbuf []T, to int, rbuf []T, from, k int) error {
	st, err := comm.Sendrecv(x.cc, sbuf, to, x.tag+k, rbuf, from, x.tag+k)
	return x.received(st, err, len(rbuf), from)
}

func (x *rcall[T]) received(st comm.Status, err error, n, from int) error {
	if errors.Is(err, comm.ErrTruncate) {
		x.mismatch(err)
		return nil
	}
	if err != nil {
		return err
	}
	if want := n * comm.SizeOf[T](); st.Bytes != want {
		x.mismatch(fmt.Errorf("rank %d sent %d bytes where %d were expected: %w", from, st.Bytes, want, ErrMismatch))
	}
	return nil
}

func (x *rcall[T]) mismatch(err error) {
	if x.err == nil {
		x.err = err
	}
}

// right sets acc = acc ∘ in (acc holds the lower ranks' contribution).
func (x *rcall[T]) right(acc, in []T) error {
	return reduceInto(x.op, acc, in)
}

// left sets acc = in ∘ acc (in holds the lower ranks' contribution).
func (x *rcall[T]) left(in, acc []T) error {
	if x.op.kind == opUser && len(x.utmp) < len(in) {
		x.utmp = x.scratch(len(in))
	}
	return reduceLeftInto(x.op, in, acc, x.utmp)
}

// combine sets acc = acc ∘ in when accLower, in ∘ acc otherwise.
func (x *rcall[T]) combine(acc, in []T, accLower bool) error {
	if accLower {
		return x.right(acc, in)
	}
	return x.left(in, acc)
}

// mine returns the buffer that holds this rank's contribution: the pending
// send buffer (see src), else acc itself. Slice it like acc.
func (x *rcall[T]) mine(acc []T) []T {
	if x.src != nil {
		return x.src
	}
	return acc
}

// combineInto sets dst = own ∘ in when ownLower, in ∘ own otherwise. own
// is dst itself or the matching part of the pending send buffer, which
// must not overlap dst; in must overlap neither.
func (x *rcall[T]) combineInto(dst, own, in []T, ownLower bool) error {
	if same, _ := aliasing(dst, own); same || len(dst) == 0 {
		return x.combine(dst, in, ownLower)
	}
	if len(own) != len(dst) || len(in) != len(dst) {
		return fmt.Errorf("collective: reduce %d elements with %d into %d: %w", len(own), len(in), len(dst), comm.ErrArg)
	}
	if x.op.kind == opUser {
		// A user operation combines into its left operand: make dst
		// the left operand, then fold the right one in.
		left, right := own, in
		if !ownLower {
			left, right = in, own
		}
		copyHot(dst, left)
		return reduceInto(x.op, dst, right)
	}
	if ownLower {
		return apply(x.op.kind, dst, own, in)
	}
	return apply(x.op.kind, dst, in, own)
}

// combineOver sets acc = own ∘ acc when ownLower, acc ∘ own otherwise, for
// a predefined operation: acc holds the partner's vector, own (not
// overlapping it) this rank's. The kernels work element by element, so the
// result may replace an operand, and either operand may be on the left.
func (x *rcall[T]) combineOver(acc, own []T, ownLower bool) error {
	if len(own) != len(acc) {
		return fmt.Errorf("collective: reduce %d elements with %d: %w", len(own), len(acc), comm.ErrArg)
	}
	if ownLower {
		return apply(x.op.kind, acc, own, acc)
	}
	return apply(x.op.kind, acc, acc, own)
}

// settle copies the pending send buffer into acc, for algorithms that
// want their input in place from the start.
func (x *rcall[T]) settle(acc []T) {
	if x.src != nil {
		copyHot(acc, x.src)
		x.src = nil
	}
}

// floorPow2 returns the largest power of two ≤ p (p ≥ 1).
func floorPow2(p int) int {
	k := 1
	for k*2 <= p {
		k *= 2
	}
	return k
}

// The non-power-of-two fold (MPICH's): with p' = floorPow2(p) and
// rem = p − p', each even rank below 2·rem hands its vector to the odd rank
// above it and sits out; the p' ranks left run a power-of-two algorithm
// under new ranks 0…p'-1, which keep rank order (new rank i is rank 2i+1
// for i < rem, else i+rem), so non-commutative operations stay in order.
// The fold costs α + nβ + nγ before and α + nβ after.

// newRank returns rank's rank in the folded group, or -1 if it sits out.
func newRank(rank, rem int) int {
	switch {
	case rank >= 2*rem:
		return rank - rem
	case rank%2 == 1:
		return rank / 2
	}
	return -1
}

// oldRank is newRank's inverse.
func oldRank(nr, rem int) int {
	if nr < rem {
		return 2*nr + 1
	}
	return nr + rem
}

// foldIn folds acc (this rank's vector, n elements) into the group of
// floorPow2(size) ranks and returns this rank's new rank (-1: sat out).
func (x *rcall[T]) foldIn(acc []T) (int, error) {
	rem := x.size - floorPow2(x.size)
	nr := newRank(x.rank, rem)
	if x.rank >= 2*rem {
		return nr, nil // a pending send buffer stays pending for the core
	}
	if nr < 0 {
		err := x.send(x.mine(acc), x.rank+1, kFold)
		x.src = nil // foldOut overwrites all of acc
		return nr, err
	}
	tmp := x.scratch(len(acc))
	if err := x.recv(tmp, x.rank-1, kFold); err != nil {
		return nr, err
	}
	err := x.combineInto(acc, x.mine(acc), tmp, false)
	x.src = nil
	return nr, err
}

// foldOut hands the result back to the ranks that sat out.
func (x *rcall[T]) foldOut(acc []T) error {
	rem := x.size - floorPow2(x.size)
	switch {
	case x.rank >= 2*rem:
		return nil
	case x.rank%2 == 1:
		return x.send(acc, x.rank-1, kUnfold)
	}
	return x.recv(acc, x.rank+1, kUnfold)
}

// aliasing classifies two slices: same reports that they start at the same
// element (the in-place idiom), overlap that they share memory otherwise
// (an error).
func aliasing[T comm.Scalar](a, b []T) (same, overlap bool) {
	if len(a) == 0 || len(b) == 0 {
		return false, false
	}
	pa, pb := uintptr(unsafe.Pointer(unsafe.SliceData(a))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if pa == pb {
		return true, false
	}
	sz := uintptr(comm.SizeOf[T]())
	return false, pa < pb+uintptr(len(b))*sz && pb < pa+uintptr(len(a))*sz
}

func errOverlap(name string) error {
	return fmt.Errorf("collective: %s: send and recv overlap without starting at the same element: %w", name, comm.ErrArg)
}
