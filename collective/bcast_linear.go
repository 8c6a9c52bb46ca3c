package collective

import "github.com/spmd-go/spmd/comm"

// bcastLinear: the root sends the whole buffer to every other rank, all
// sends started at once. The reference for the others.
//
// Cost: (p−1)α + n(p−1)β at the root. One role.
//
// v and root are indexes (of this rank and of the root) whose real ranks
// are (index+shift) mod p.
func bcastLinear[T comm.Scalar](x *call, buf []T, v, root, shift, role int) {
	p := x.size
	if v != root {
		x.keep(recvFrom(x, buf, (root+shift)%p, role))
		return
	}
	reqs := make([]*comm.Request, 0, p-1)
	for i := 1; i < p; i++ {
		dst := (root + i + shift) % p
		req, err := isendTo(x, buf, dst, role)
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
