package collective

import "github.com/spmd-go/spmd/comm"

// bcastBinomial sends the whole buffer down a binomial tree rooted at root
// (see movetree.go): each rank receives it once from its parent, then
// forwards it to its children, the one with the largest subtree first.
//
// Cost: ⌈lg p⌉(α + nβ). Best for small messages, where the lg p latency
// terms dominate. One tag.
func bcastBinomial[T comm.Scalar](cc *comm.Comm, buf []T, root, tag int, errs *moveErrs) {
	p := cc.Size()
	v := (cc.Rank() - root + p) % p
	peer := func(u int) int { return (u + root) % p }
	mask := 1
	for mask < p {
		if v&mask != 0 {
			errs.keep(moveRecv(cc, buf, peer(v-mask), tag))
			break
		}
		mask <<= 1
	}
	for mask >>= 1; mask > 0; mask >>= 1 {
		if c := v + mask; c < p {
			errs.keep(moveSend(cc, buf, peer(c), tag))
		}
	}
}
