package collective

import "github.com/spmd-go/spmd/comm"

// scatterLinear: the root sends every other rank its block, all sends
// started at once; the others receive theirs.
//
// Cost: (p−1)α + n(p−1)/p·β, n the total scattered, all on the root's
// link. One role.
//
// At the root buf is the whole send buffer laid out by off, by real rank;
// elsewhere buf is the rank's receive buffer and off may be nil. The
// root's own block is left for the caller.
func scatterLinear[T comm.Scalar](x *call, buf []T, off []int, root, role int) {
	p := x.size
	if x.rank != root {
		x.keep(recvFrom(x, buf, root, role))
		return
	}
	reqs := make([]*comm.Request, 0, p-1)
	for i := 1; i < p; i++ {
		dst := (root + i) % p
		req, err := isendTo(x, buf[off[dst]:off[dst+1]], dst, role)
		x.keep(err)
		if req != nil {
			reqs = append(reqs, req)
		}
	}
	for _, req := range reqs {
		_, err := req.Wait()
		x.keep(err)
	}
}
