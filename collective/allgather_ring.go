package collective

import "github.com/spmd-go/spmd/comm"

// allgatherRing: p−1 steps around a ring of virtual ranks; in step s rank v
// passes to v+1 the block it received in step s−1 (its own first) and
// receives from v−1 the block of rank v−s−1. Works in place for any p and
// any block sizes; every link carries one block per step, so it is
// bandwidth-optimal and latency-poor.
//
// Cost: (p−1)α + n(p−1)/p·β, n the total gathered. One tag.
//
// buf is the whole result, laid out in virtual-rank order by off (block v
// is buf[off[v]:off[v+1]]), with rank v's own block in place; virtual rank
// u is real rank (u+shift) mod p.
func allgatherRing[T comm.Scalar](cc *comm.Comm, buf []T, off []int, v, shift, tag int, errs *moveErrs) {
	p := len(off) - 1
	right, left := (v+1+shift)%p, (v-1+p+shift)%p
	for s := range p - 1 {
		sb, rb := (v-s+p)%p, (v-s-1+p)%p
		errs.keep(moveSendrecv(cc, buf[off[sb]:off[sb+1]], right, buf[off[rb]:off[rb+1]], left, tag))
	}
}
