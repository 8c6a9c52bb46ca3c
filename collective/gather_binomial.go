package collective

import (
	"fmt"

	"github.com/spmd-go/spmd/comm"
)

// gatherBinomial gathers up a binomial tree rooted at root (treeGather):
// leaves send their block to their parent, inner ranks send theirs
// followed by their children's subtrees, so each rank sends one message.
// Inner ranks collect their subtree in a scratch buffer; a root other than
// rank 0 collects in virtual-rank order, in scratch, and rotates the result
// into recv.
//
// Cost: ⌈lg p⌉α + n(p−1)/p·β, plus copies at inner ranks and a rotation
// at the root. One role.
//
// roff is the real layout of recv (read at the root only); voff the
// layout in virtual-rank order (rank v = real (v+root) mod p), of which
// this rank reads only its subtree's entries. At an in-place root the own
// block is already in recv and send is nil.
func gatherBinomial[T comm.Scalar](x *call, send, recv []T, roff, voff []int, root, role int, inPlace bool) {
	p := x.size
	v := (x.rank - root + p) % p
	span := subtreeSpan(v, p)
	var work []T
	switch {
	case v == 0:
		if !inPlace {
			copyHot(recv[roff[root]:roff[root+1]], send)
		}
		if root == 0 {
			work = recv
			break
		}
		tmp := scratchOf[T](x, voff[p])
		work = tmp
		copyHot(work, recv[roff[root]:roff[root+1]])
	case span == 1:
		work = send
	default:
		tmp := scratchOf[T](x, voff[v+span]-voff[v])
		work = tmp
		copyHot(work[:voff[v+1]-voff[v]], send)
	}
	treeGather(x, work, voff, v, root, role)
	if v == 0 && root != 0 {
		toReal(recv, work, roff, root)
	}
}

// gathervBinomial is gatherBinomial for Gatherv, whose counts only the root
// knows: first a binomial gather of the counts themselves (one int per
// rank, role), so that each inner rank learns its subtree's layout and the
// root can check every rank's length against counts; then the data
// (role+1). Twice the latency of gatherBinomial.
func gathervBinomial[T comm.Scalar](x *call, send, recv []T, counts []int, root, role int, inPlace bool) {
	p := x.size
	v := (x.rank - root + p) % p
	span := subtreeSpan(v, p)
	hdr := make([]int, span)
	hdr[0] = len(send)
	if inPlace {
		hdr[0] = counts[root]
	}
	treeGather(x, hdr, equalOffsets(p, 1), v, root, role)
	var roff, voff []int
	if v == 0 {
		for u, n := range hdr {
			if r := (u + root) % p; n != counts[r] {
				x.keep(fmt.Errorf("rank %d sends %d elements, counts[%d] = %d: %w", r, n, r, counts[r], ErrMismatch))
			}
		}
		roff, voff = blockOffsets(counts), virtualOffsets(counts, root)
	} else {
		voff = make([]int, p+1)
		for i, n := range hdr {
			voff[v+i+1] = voff[v+i] + n
		}
	}
	gatherBinomial(x, send, recv, roff, voff, root, role+1, inPlace)
}
