package collective

import "github.com/spmd-go/spmd/comm"

// Binomial trees over virtual ranks. A tree is rooted at virtual rank 0;
// virtual rank v is real rank (v+shift) mod p, so shift is the root. The
// data are blocks laid out in virtual-rank order: block v is
// buf[off[v]:off[v+1]] of a whole buffer. Rank v's subtree is the ranks
// [v, v+subtreeSpan(v, p)); its parent is v minus its lowest set bit and its
// children are v+2^j for 2^j below that bit (the root: every 2^j < p).
// Every subtree's blocks are therefore contiguous, so each edge carries one
// message. Depth ⌈lg p⌉; the root sends or receives ⌈lg p⌉ messages.
//
// The functions take sub, rank v's part of the buffer: sub[0] is element
// off[v], and sub holds at least the blocks of v's subtree. Only the
// entries off[v…v+span] are read, so a rank that knows no more than its
// subtree's counts may leave the rest zero.

// treeScatter moves blocks down the tree. On entry the root's sub holds
// every block; on return every rank's sub holds the blocks of its subtree.
// Cost: ⌈lg p⌉α + n(p−1)/p·β for n elements in all (each block travels
// from the root once per level it descends, halving at each level).
func treeScatter[T comm.Scalar](x *call, sub []T, off []int, v, shift, role int) {
	p := len(off) - 1
	peer := func(u int) int { return (u + shift) % p }
	base := off[v]
	mask := 1
	for mask < p {
		if v&mask != 0 { // receive my subtree from my parent
			hi := min(v+mask, p)
			x.keep(recvFrom(x, sub[:off[hi]-base], peer(v-mask), role))
			break
		}
		mask <<= 1
	}
	// Send each child its subtree, largest first (it has the deepest tree
	// below it, so it should start soonest).
	for mask >>= 1; mask > 0; mask >>= 1 {
		if c := v + mask; c < p {
			hi := min(c+mask, p)
			x.keep(sendTo(x, sub[off[c]-base:off[hi]-base], peer(c), role))
		}
	}
}

// treeGather moves blocks up the tree. On entry every rank's sub holds its
// own block at sub[0:off[v+1]-off[v]]; on return it holds the blocks of its
// subtree, so the root's holds all. Cost as treeScatter's.
func treeGather[T comm.Scalar](x *call, sub []T, off []int, v, shift, role int) {
	p := len(off) - 1
	peer := func(u int) int { return (u + shift) % p }
	base := off[v]
	for mask := 1; mask < p; mask <<= 1 {
		if v&mask != 0 { // my subtree is complete: pass it to my parent
			hi := min(v+mask, p)
			x.keep(sendTo(x, sub[:off[hi]-base], peer(v-mask), role))
			return
		}
		if c := v + mask; c < p { // child c's subtree follows the blocks I hold
			hi := min(c+mask, p)
			x.keep(recvFrom(x, sub[off[c]-base:off[hi]-base], peer(c), role))
		}
	}
}
