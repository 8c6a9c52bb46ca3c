package collective

// Recursive halving and its inverse, the engine of the Rabenseifner
// algorithms (Reduce, Allreduce) and of ReduceScatter.
//
// The vector is cut into p' blocks (p' a power of two: the folded group).
// Reduce-scatter by recursive halving takes lg p' steps; in each, a rank and
// its partner (new rank xor mask) hold the same window of blocks, each
// sends the half the other keeps and combines the half it receives into the
// half it keeps. After the last step each rank holds one block reduced over
// all ranks: lg p'·α + n(p'−1)/p'·(β+γ). Running the steps backwards with
// the windows doubling is an allgather by recursive doubling
// (lg p'·α + n(p'−1)/p'·β), or, with half the ranks dropping out at each
// step, a binomial gather to one root (same cost at the root).
//
// The order of the masks decides what the algorithm may assume of ∘:
//
//   - increasing masks (1, 2, 4, …): a rank's partial result always covers
//     an aligned run of consecutive ranks and its partner's the adjacent
//     run, so combining lower ∘ higher keeps rank order and any associative
//     operation works. The block a rank ends with is the bit reversal of
//     its new rank.
//   - decreasing masks (p'/2, …, 1): rank i ends with block i, but partial
//     results mix non-adjacent ranks: commutative operations only.

// vecBlocks cuts a vector of n elements into parts consecutive blocks:
// evenly when disp is nil (block i starts at i·⌊n/parts⌋ + min(i, n mod
// parts)), else at disp[i] (parts+1 offsets).
type vecBlocks struct {
	n, parts int
	disp     []int
}

func (b vecBlocks) at(i int) int {
	if b.disp != nil {
		return b.disp[i]
	}
	q, r := b.n/b.parts, b.n%b.parts
	return i*q + min(i, r)
}

// window is the blocks [lo, hi).
type window struct{ lo, hi int }

// halving is one rank's walk through the steps.
type halving struct {
	nr, pof, rem int
	increasing   bool
	steps        int
	levels       [64]window // the window held before each step
}

func newHalving(nr, pof, rem int, increasing bool) halving {
	h := halving{nr: nr, pof: pof, rem: rem, increasing: increasing}
	for m := 1; m < pof; m *= 2 {
		h.steps++
	}
	return h
}

// mask returns the partner distance of step s.
func (h *halving) mask(s int) int {
	if h.increasing {
		return 1 << s
	}
	return h.pof >> (s + 1)
}

// span returns the elements of acc in window w.
func span[T any](acc []T, b vecBlocks, w window) []T {
	return acc[b.at(w.lo):b.at(w.hi)]
}

// reduceScatter runs h's steps over acc (the whole vector), receiving into
// tmp (as long as the largest half window), and returns the window this
// rank ends with: its blocks of acc then hold the reduction over all ranks.
func (x *reduction[T]) reduceScatter(h *halving, acc, tmp []T, b vecBlocks) (window, error) {
	w := window{0, h.pof}
	for s := range h.steps {
		mask := h.mask(s)
		h.levels[s] = w
		mid := w.lo + (w.hi-w.lo)/2
		lower := h.nr&mask == 0
		keep, give := window{w.lo, mid}, window{mid, w.hi}
		if !lower {
			keep, give = give, keep
		}
		partner := oldRank(h.nr^mask, h.rem)
		kept := span(acc, b, keep)
		in := tmp[:len(kept)]
		own := x.mine(acc) // the send buffer in the first step of an Allreduce
		if err := x.sendrecv(span(own, b, give), partner, in, partner, roleCore); err != nil {
			return w, err
		}
		if err := x.combineInto(kept, span(own, b, keep), in, lower); err != nil {
			return w, err
		}
		x.src = nil // from here on acc's window holds the partial result
		w = keep
	}
	return w, nil
}

// allgather undoes reduceScatter's steps (w is the window it returned):
// afterwards every rank holds all of acc.
func (x *reduction[T]) allgather(h *halving, acc []T, b vecBlocks, w window) error {
	for s := h.steps - 1; s >= 0; s-- {
		parent := h.levels[s]
		sib := sibling(parent, w)
		partner := oldRank(h.nr^h.mask(s), h.rem)
		if err := x.sendrecv(span(acc, b, w), partner, span(acc, b, sib), partner, roleGather); err != nil {
			return err
		}
		w = parent
	}
	return nil
}

// gather undoes reduceScatter's steps towards new rank root only: at each
// step the ranks on the far side of the step's bit send their windows and
// drop out, so that root ends with all of acc.
func (x *reduction[T]) gather(h *halving, acc []T, b vecBlocks, w window, root int) error {
	for s := h.steps - 1; s >= 0; s-- {
		mask := h.mask(s)
		parent := h.levels[s]
		partner := oldRank(h.nr^mask, h.rem)
		if (h.nr^root)&mask != 0 {
			return x.send(span(acc, b, w), partner, roleGather)
		}
		if err := x.recv(span(acc, b, sibling(parent, w)), partner, roleGather); err != nil {
			return err
		}
		w = parent
	}
	return nil
}

// sibling returns the half of parent that is not w.
func sibling(parent, w window) window {
	if w.lo == parent.lo {
		return window{w.hi, parent.hi}
	}
	return window{parent.lo, w.lo}
}

// halfMax returns how many elements the largest window kept in a halving
// step may hold: the size tmp needs.
func halfMax(b vecBlocks, pof int) int {
	if b.disp == nil && pof >= 2 {
		return b.at(pof / 2) // the first half is the larger
	}
	return b.n
}
