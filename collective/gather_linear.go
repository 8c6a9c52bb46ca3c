package collective

import "github.com/spmd-go/spmd/comm"

// gatherLinear: every rank sends its block straight to the root, which
// posts all its receives at once and waits for them.
//
// Cost: (p−1)α + n(p−1)/p·β, n the total gathered; the root's link carries
// everything. One role.
//
// Ranks are indexes into off: rank v's block is off[v]…off[v+1], root is
// the root's index, and index u is real rank (u+shift) mod p. At the root
// buf is the whole result, its own block already in place; elsewhere buf
// is the rank's block, and off may be nil.
func gatherLinear[T comm.Scalar](x *call, buf []T, off []int, v, root, shift, role int) {
	p := x.size
	if v != root {
		x.keep(sendTo(x, buf, (root+shift)%p, role))
		return
	}
	reqs := make([]*comm.Request, p)
	for u := range p {
		if u == root {
			continue
		}
		req, err := irecvFrom(x, buf[off[u]:off[u+1]], (u+shift)%p, role)
		x.keep(err)
		reqs[u] = req
	}
	for u, req := range reqs {
		if req != nil {
			x.keep(x.waitRecv(req, (off[u+1]-off[u])*comm.SizeOf[T](), (u+shift)%p))
		}
	}
}
