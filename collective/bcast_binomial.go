package collective

import "github.com/spmd-go/spmd/comm"

// bcastBinomial sends the whole buffer down a binomial tree rooted at root
// (see tree.go): each rank receives it once from its parent, then
// forwards it to its children, the one with the largest subtree first.
//
// Cost: ⌈lg p⌉(α + nβ). Best for small messages, where the lg p latency
// terms dominate. One role.
func bcastBinomial[T comm.Scalar](x *call, buf []T, root, role int) {
	p := x.size
	v := (x.rank - root + p) % p
	peer := func(u int) int { return (u + root) % p }
	mask := 1
	for mask < p {
		if v&mask != 0 {
			x.keep(recvFrom(x, buf, peer(v-mask), role))
			break
		}
		mask <<= 1
	}
	for mask >>= 1; mask > 0; mask >>= 1 {
		if c := v + mask; c < p {
			x.keep(sendTo(x, buf, peer(c), role))
		}
	}
}
