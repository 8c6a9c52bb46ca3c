package collective

import "github.com/spmd-go/spmd/comm"

// allgatherRing: p−1 steps around a ring of virtual ranks; in step s rank v
// passes to v+1 the block it received in step s−1 (its own first) and
// receives from v−1 the block of rank v−s−1. Works in place for any p and
// any block sizes; every link carries one block per step, so it is
// bandwidth-optimal and latency-poor.
//
// Cost: (p−1)α + n(p−1)/p·β, n the total gathered. One role.
//
// buf is the whole result, laid out in virtual-rank order by off (block v
// is buf[off[v]:off[v+1]]), with rank v's own block in place; virtual rank
// u is real rank (u+shift) mod p.
func allgatherRing[T comm.Scalar](x *call, buf []T, off []int, v, shift, role int) {
	allgatherRingFrom(x, buf, off, v, shift, nil, role)
}

// allgatherRingFrom is allgatherRing for a rank whose own block is still
// in own (the caller's send buffer) rather than in place (own nil: in
// place). The first step sends straight from own, and copies own into
// place only after its own receive: the right neighbour then reads the
// caller's untouched buffer rather than lines this core has just written
// (on one host it copies them out of this process with process_vm_readv),
// and both ranks' reads run at once, before either starts its local copy,
// as Open MPI's two-process allgather does.
func allgatherRingFrom[T comm.Scalar](x *call, buf []T, off []int, v, shift int, own []T, role int) {
	p := len(off) - 1
	right, left := (v+1+shift)%p, (v-1+p+shift)%p
	start := 0
	if own != nil {
		rb := (v - 1 + p) % p
		req, err := isendTo(x, own, right, role)
		x.keep(err)
		x.keep(recvFrom(x, buf[off[rb]:off[rb+1]], left, role))
		copyHot(buf[off[v]:off[v+1]], own)
		if req != nil {
			_, err := req.Wait()
			x.keep(err)
		}
		start = 1
	}
	for s := start; s < p-1; s++ {
		sb, rb := (v-s+p)%p, (v-s-1+p)%p
		x.keep(exchange(x, buf[off[sb]:off[sb+1]], right, buf[off[rb]:off[rb+1]], left, role))
	}
}
