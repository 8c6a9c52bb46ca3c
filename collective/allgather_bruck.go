package collective

import "github.com/spmd-go/spmd/comm"

// allgatherBruck is Bruck's algorithm (Bruck et al. 1997, as in MPICH's
// allgather_intra_brucks.c): ⌈lg p⌉ steps for any p. Rank v keeps a
// rotated copy tmp of the result that starts with its own block and holds
// blocks v, v+1, … (mod p). In the step of distance d = 1, 2, 4, … it sends
// its first min(d, p−d) blocks to v−d and appends as many received from
// v+d, whose first blocks are v+d, v+d+1, …: after the step it holds 2d
// blocks. Finally tmp is rotated back into place.
//
// Cost: ⌈lg p⌉α + n(p−1)/p·β, plus two local copies of n. One role.
//
// buf, off, v and shift as for allgatherRing.
func allgatherBruck[T comm.Scalar](x *call, buf []T, off []int, v, shift, role int) {
	p := len(off) - 1
	if p == 1 {
		return
	}
	n := off[p]
	tmp := scratchOf[T](x, n)
	// pos[i] is where rotated block i (virtual rank (v+i) mod p) starts.
	pos := make([]int, p+1)
	for i := range p {
		b := (v + i) % p
		pos[i+1] = pos[i] + off[b+1] - off[b]
	}
	copyHot(tmp, buf[off[v]:off[v+1]])
	for d := 1; d < p; d <<= 1 {
		k := min(d, p-d)
		to, from := ((v-d+p)%p+shift)%p, ((v+d)%p+shift)%p
		x.keep(exchange(x, tmp[:pos[k]], to, tmp[pos[d]:pos[d+k]], from, role))
	}
	// tmp holds blocks v…p−1 then 0…v−1.
	toReal(buf, tmp, off, v)
}
