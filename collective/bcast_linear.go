package collective

import "github.com/spmd-go/spmd/comm"

// bcastLinear: the root sends the whole buffer to every other rank, all
// sends started at once. The reference for the others.
//
// Cost: (p−1)α + n(p−1)β at the root. One tag.
//
// v and root are indexes (of this rank and of the root) whose real ranks
// are (index+shift) mod p.
func bcastLinear[T comm.Scalar](cc *comm.Comm, buf []T, v, root, shift, tag int, errs *moveErrs) {
	p := cc.Size()
	if v != root {
		errs.keep(moveRecv(cc, buf, (root+shift)%p, tag))
		return
	}
	reqs := make([]*comm.Request, 0, p-1)
	for i := 1; i < p; i++ {
		dst := (root + i + shift) % p
		req, err := moveIsend(cc, buf, dst, tag)
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
