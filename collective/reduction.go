package collective

import (
	"fmt"
	"unsafe"

	"github.com/spmd-go/spmd/comm"
)

// reduction is one call of a reduction collective on one rank: a call
// with the operation, and the typed state its steps share. Its methods move
// typed blocks and combine them; the algorithm files are written in their
// terms.
type reduction[T comm.Scalar] struct {
	call
	op   Op
	utmp []T // a user op's copy space for reduceLeftInto
	// src is Allreduce's send buffer while this rank's contribution has
	// not yet been combined into acc (nil: acc holds it). The first step
	// of an algorithm reads its contribution from src (mine) and writes
	// its first combination into acc, so that no step copies send into
	// recv up front: for long vectors that copy costs about as much as a
	// whole exchange (bench/results/2026-11-21-coll-shm-tuned), and
	// a peer that then pulls the copy with process_vm_readv reads lines
	// this core has just written rather than the untouched send buffer.
	src []T
}

// Message roles (the role of tag+role) used by the reduction algorithms. Phases
// that talk to the same peer use different roles, so that a mismatch
// between ranks shows as an error rather than as data crossing phases.
const (
	roleFold   = 0 // non-power-of-two fold-in
	roleCore   = 1 // the core exchange (recursive doubling, halving, ring reduce-scatter)
	roleGather = 2 // allgather / gather phase
	roleUnfold = 3 // non-power-of-two fold-out
	roleExtra  = 4 // a last hop (to a root that sat out)
)

// start begins a reduction call of operation name on c in x, which the
// caller declares: begin (the nil check, and the call counted), then the
// check of op, then the algorithm that tests or SPMD_COLL_<OP> force (""
// if none). It fills x in place (see begin).
func (x *reduction[T]) start(c *comm.Comm, op Op, name string) (string, error) {
	if err := x.begin(c, name); err != nil {
		return "", err
	}
	x.op = op
	if err := checkOp[T](op); err != nil {
		return "", err
	}
	return x.forced(name)
}

// scratch returns n elements of scratch, given back by done.
func (x *reduction[T]) scratch(n int) []T { return scratchOf[T](&x.call, n) }

func (x *reduction[T]) send(buf []T, to, role int) error {
	return sendTo(&x.call, buf, to, role)
}

// recv receives exactly len(buf) elements from rank from (see call's
// Messages: a length that disagrees is kept, and done reports it).
func (x *reduction[T]) recv(buf []T, from, role int) error {
	return recvFrom(&x.call, buf, from, role)
}

// sendrecv sends sbuf to rank to and receives exactly len(rbuf) elements
// from rank from, at once.
func (x *reduction[T]) sendrecv(sbuf []T, to int, rbuf []T, from, role int) error {
	return exchange(&x.call, sbuf, to, rbuf, from, role)
}

// right sets acc = acc ∘ in (acc holds the lower ranks' contribution).
func (x *reduction[T]) right(acc, in []T) error {
	return reduceInto(x.op, acc, in)
}

// left sets acc = in ∘ acc (in holds the lower ranks' contribution).
func (x *reduction[T]) left(in, acc []T) error {
	if x.op.kind == opUser && len(x.utmp) < len(in) {
		x.utmp = x.scratch(len(in))
	}
	return reduceLeftInto(x.op, in, acc, x.utmp)
}

// combine sets acc = acc ∘ in when accLower, in ∘ acc otherwise.
func (x *reduction[T]) combine(acc, in []T, accLower bool) error {
	if accLower {
		return x.right(acc, in)
	}
	return x.left(in, acc)
}

// mine returns the buffer that holds this rank's contribution: the pending
// send buffer (see src), else acc itself. Slice it like acc.
func (x *reduction[T]) mine(acc []T) []T {
	if x.src != nil {
		return x.src
	}
	return acc
}

// combineInto sets dst = own ∘ in when ownLower, in ∘ own otherwise. own
// is dst itself or the matching part of the pending send buffer, which
// must not overlap dst; in must overlap neither.
func (x *reduction[T]) combineInto(dst, own, in []T, ownLower bool) error {
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
func (x *reduction[T]) combineOver(acc, own []T, ownLower bool) error {
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
func (x *reduction[T]) settle(acc []T) {
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
func (x *reduction[T]) foldIn(acc []T) (int, error) {
	rem := x.size - floorPow2(x.size)
	nr := newRank(x.rank, rem)
	if x.rank >= 2*rem {
		return nr, nil // a pending send buffer stays pending for the core
	}
	if nr < 0 {
		err := x.send(x.mine(acc), x.rank+1, roleFold)
		x.src = nil // foldOut overwrites all of acc
		return nr, err
	}
	tmp := x.scratch(len(acc))
	if err := x.recv(tmp, x.rank-1, roleFold); err != nil {
		return nr, err
	}
	err := x.combineInto(acc, x.mine(acc), tmp, false)
	x.src = nil
	return nr, err
}

// foldOut hands the result back to the ranks that sat out.
func (x *reduction[T]) foldOut(acc []T) error {
	rem := x.size - floorPow2(x.size)
	switch {
	case x.rank >= 2*rem:
		return nil
	case x.rank%2 == 1:
		return x.send(acc, x.rank-1, roleUnfold)
	}
	return x.recv(acc, x.rank+1, roleUnfold)
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
