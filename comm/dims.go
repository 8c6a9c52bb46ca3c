package comm

import (
	"fmt"
	"math"
	"slices"
)

// DimsCreate chooses the shape of a Cartesian grid of nnodes processes
// (MPI_Dims_create). dims has one entry per dimension: a positive entry is
// kept as given, a zero entry is to be chosen. The result is a new slice
// (dims itself is not changed) whose product is nnodes, with the chosen
// entries as balanced as possible and in non-increasing order, so that
// each process's block of a split grid is as close to a cube as the
// factors of nnodes allow.
//
// MPI leaves "as balanced as possible" to the implementation. spmd makes
// it exact by searching every factorisation, as MPICH does (after Träff
// and Lübbe's critique of greedy choices), rather than assigning prime
// factors greedily as Open MPI does: among all ways of writing
// nnodes / (product of the fixed entries) as a product of as many factors
// as there are zero entries, it takes the one whose largest and smallest
// factors differ least, and among those the one with the smallest largest
// factor. For two dimensions that is the divisor pair nearest the square
// root: 12 → [4 3], 72 → [9 8] (Open MPI gives [12 6]), 7 → [7 1]. Other
// MPIs may choose differently for some counts in three or more
// dimensions; programs that need a particular shape pass it.
// Fixed entries stay where they are: DimsCreate(24, [0 2 0]) is [4 2 3].
//
// Errors (all wrapping ErrArg): nnodes < 1 or above math.MaxInt32 (MPI's
// int), a negative entry, or fixed
// entries whose product does not divide nnodes (or, with no zero entry,
// does not equal it).
func DimsCreate(nnodes int, dims []int) ([]int, error) {
	if nnodes < 1 || nnodes > math.MaxInt32 {
		return nil, fmt.Errorf("comm: dims create: %d nodes: %w", nnodes, ErrArg)
	}
	fixed, free := 1, 0
	for i, d := range dims {
		switch {
		case d < 0:
			return nil, fmt.Errorf("comm: dims create: dims[%d] = %d: %w", i, d, ErrArg)
		case d == 0:
			free++
		default:
			if nnodes%d != 0 || nnodes/d%fixed != 0 {
				return nil, fmt.Errorf("comm: dims create: fixed dims %v do not divide %d nodes: %w", dims, nnodes, ErrArg)
			}
			fixed *= d
		}
	}
	rest := nnodes / fixed
	if free == 0 && rest != 1 {
		return nil, fmt.Errorf("comm: dims create: fixed dims %v make %d nodes, not %d: %w", dims, fixed, nnodes, ErrArg)
	}
	factors := balancedFactors(rest, free)
	out := make([]int, len(dims))
	k := 0
	for i, d := range dims {
		if d == 0 {
			d = factors[k]
			k++
		}
		out[i] = d
	}
	return out, nil
}

// balancedFactors writes n as a product of k factors in non-increasing
// order, minimising the largest minus the smallest factor and then the
// largest factor. It enumerates the non-increasing factorisations by
// depth-first search over the divisors of n; each is visited once, so the
// work is bounded by the number of multiplicative partitions of n, which
// is small for any process count.
func balancedFactors(n, k int) []int {
	if k == 0 {
		return nil
	}
	var divs []int // divisors of n, descending
	for f := 1; f*f <= n; f++ {
		if n%f == 0 {
			divs = append(divs, f)
			if f*f != n {
				divs = append(divs, n/f)
			}
		}
	}
	slices.Sort(divs)
	slices.Reverse(divs)
	s := factorSearch{divs: divs, cur: make([]int, k), best: make([]int, k)}
	s.walk(n, 0, n)
	return s.best
}

type factorSearch struct {
	divs      []int // divisors of the original n, descending
	cur, best []int
	found     bool
}

// walk fills cur[i:] with a non-increasing factorisation of n whose
// entries are at most limit, and keeps the best complete one. Invariant:
// cur[:i] is non-increasing, bounded below by limit, and its product
// times n is the original n (so every factor of n is among divs).
func (s *factorSearch) walk(n, i, limit int) {
	k := len(s.cur)
	if i == k-1 {
		if n > limit {
			return
		}
		s.cur[i] = n
		if !s.found || s.better() {
			copy(s.best, s.cur)
			s.found = true
		}
		return
	}
	// The first of the remaining factors is their largest: it bounds every
	// later one, so it is at least the (k-i)th root of n.
	for _, f := range s.divs {
		if f > limit || n%f != 0 {
			continue
		}
		if pow(f, k-i) < n {
			break // smaller f cannot cover n with k-i factors ≤ f
		}
		s.cur[i] = f
		s.walk(n/f, i+1, f)
	}
}

// better reports whether cur beats best: a smaller spread, or the same
// spread and a smaller largest factor.
func (s *factorSearch) better() bool {
	k := len(s.cur)
	cs, bs := s.cur[0]-s.cur[k-1], s.best[0]-s.best[k-1]
	if cs != bs {
		return cs < bs
	}
	return s.cur[0] < s.best[0]
}

// pow returns b**e, saturating at 1<<62 instead of overflowing (it is
// only compared with ints below that).
func pow(b, e int) int {
	r := 1
	for range e {
		if r > (1<<62)/max(b, 1) {
			return 1 << 62
		}
		r *= b
	}
	return r
}
