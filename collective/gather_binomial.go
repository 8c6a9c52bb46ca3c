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
// at the root. One tag.
//
// roff is the real layout of recv (read at the root only); voff the
// layout in virtual-rank order (rank v = real (v+root) mod p), of which
// this rank reads only its subtree's entries. At an in-place root the own
// block is already in recv and send is nil.
func gatherBinomial[T comm.Scalar](cc *comm.Comm, send, recv []T, roff, voff []int, root, tag int, inPlace bool, errs *moveErrs) {
	p := cc.Size()
	v := (cc.Rank() - root + p) % p
	span := moveSpan(v, p)
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
		tmp, release := scratchFor[T](cc, voff[p])
		defer release()
		work = tmp
		copyHot(work, recv[roff[root]:roff[root+1]])
	case span == 1:
		work = send
	default:
		tmp, release := scratchFor[T](cc, voff[v+span]-voff[v])
		defer release()
		work = tmp
		copyHot(work[:voff[v+1]-voff[v]], send)
	}
	treeGather(cc, work, voff, v, root, tag, errs)
	if v == 0 && root != 0 {
		moveToReal(recv, work, roff, root)
	}
}

// gathervBinomial is gatherBinomial for Gatherv, whose counts only the root
// knows: first a binomial gather of the counts themselves (one int per
// rank, tag), so that each inner rank learns its subtree's layout and the
// root can check every rank's length against counts; then the data
// (tag+1). Twice the latency of gatherBinomial.
func gathervBinomial[T comm.Scalar](cc *comm.Comm, send, recv []T, counts []int, root, tag int, inPlace bool, errs *moveErrs) {
	p := cc.Size()
	v := (cc.Rank() - root + p) % p
	span := moveSpan(v, p)
	hdr := make([]int, span)
	hdr[0] = len(send)
	if inPlace {
		hdr[0] = counts[root]
	}
	treeGather(cc, hdr, moveEqualOffsets(p, 1), v, root, tag, errs)
	var roff, voff []int
	if v == 0 {
		for u, n := range hdr {
			if r := (u + root) % p; n != counts[r] {
				errs.keep(fmt.Errorf("rank %d sends %d elements, counts[%d] = %d: %w", r, n, r, counts[r], ErrMismatch))
			}
		}
		roff, voff = moveOffsets(counts), moveVirtualOffsets(counts, root)
	} else {
		voff = make([]int, p+1)
		for i, n := range hdr {
			voff[v+i+1] = voff[v+i] + n
		}
	}
	gatherBinomial(cc, send, recv, roff, voff, root, tag+1, inPlace, errs)
}
