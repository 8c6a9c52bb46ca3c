package collective

import "github.com/spmd-go/spmd/comm"

// bcastScatterAllgather is Van de Geijn's broadcast for long messages (as
// in MPICH): the root's buffer is cut into p chunks of ⌈n/p⌉ elements
// (the last ones shorter or empty), chunk v belonging to the rank at
// distance v from the root. A binomial scatter (treeScatter) gives each
// rank its chunk, then an allgather of the chunks completes every buffer:
// recursive doubling when p is a power of two and ring is false, the ring
// otherwise.
//
// Cost: scatter ⌈lg p⌉α + n(p−1)/p·β, then doubling lg p·α + n(p−1)/p·β or
// ring (p−1)α + n(p−1)/p·β: about 2nβ in all against the binomial tree's
// n·lg p·β. Roles: role (scatter), role+1… (allgather).
func bcastScatterAllgather[T comm.Scalar](x *call, buf []T, root, role int, ring bool) {
	p, n := x.size, len(buf)
	if p == 1 {
		return
	}
	chunk := (n + p - 1) / p
	off := make([]int, p+1)
	for i := range off {
		off[i] = min(i*chunk, n)
	}
	v := (x.rank - root + p) % p
	treeScatter(x, buf[off[v]:], off, v, root, role)
	if ring || !isPow2(p) {
		allgatherRing(x, buf, off, v, root, role+1)
	} else {
		allgatherDoubling(x, buf, off, v, root, role+1)
	}
}
