package collective

import "github.com/spmd-go/spmd/comm"

// scatterLinear: the root sends every other rank its block, all sends
// started at once; the others receive theirs.
//
// Cost: (p−1)α + n(p−1)/p·β, n the total scattered, all on the root's
// link. One tag.
//
// At the root buf is the whole send buffer laid out by off, by real rank;
// elsewhere buf is the rank's receive buffer and off may be nil. The
// root's own block is left for the caller.
func scatterLinear[T comm.Scalar](cc *comm.Comm, buf []T, off []int, root, tag int, errs *moveErrs) {
	p := cc.Size()
	if cc.Rank() != root {
		errs.keep(moveRecv(cc, buf, root, tag))
		return
	}
	reqs := make([]*comm.Request, 0, p-1)
	for i := 1; i < p; i++ {
		dst := (root + i) % p
		req, err := moveIsend(cc, buf[off[dst]:off[dst+1]], dst, tag)
		errs.keep(err)
		if req != nil {
			reqs = append(reqs, req)
		}
	}
	for _, req := range reqs {
		_, err := req.Wait()
		errs.keep(err)
	}
}
