package collective

import (
	"fmt"

	"github.com/spmd-go/spmd/comm"
)

// scatterBinomial scatters down a binomial tree rooted at root
// (treeScatter): the root sends each child its whole subtree's blocks, and
// inner ranks pass on their children's parts. A root other than rank 0
// first rotates send into virtual-rank order, in scratch; inner ranks
// receive their subtree in scratch; leaves receive straight into recv.
//
// Cost: ⌈lg p⌉α + n(p−1)/p·β, plus copies at inner ranks. One tag.
//
// roff is the real layout of send (read at the root only); voff the
// layout in virtual-rank order (rank v = real (v+root) mod p), of which
// this rank reads only its subtree's entries. An in-place root (recv nil)
// keeps its block in send.
func scatterBinomial[T comm.Scalar](cc *comm.Comm, send, recv []T, roff, voff []int, root, tag int, inPlace bool, errs *moveErrs) {
	p := cc.Size()
	v := (cc.Rank() - root + p) % p
	span := moveSpan(v, p)
	own := voff[v+1] - voff[v]
	var work []T
	direct := false // a leaf receives straight into recv
	switch {
	case v == 0 && root == 0:
		work = send
	case v == 0:
		tmp, release := scratchFor[T](cc, voff[p])
		defer release()
		work = tmp
		moveToVirtual(work, send, roff, root)
	case span == 1 && own == len(recv):
		work, direct = recv, true
	default:
		tmp, release := scratchFor[T](cc, voff[v+span]-voff[v])
		defer release()
		work = tmp
	}
	treeScatter(cc, work, voff, v, root, tag, errs)
	if v == 0 {
		if !inPlace {
			copyHot(recv, send[roff[root]:roff[root+1]])
		}
		return
	}
	if own != len(recv) {
		errs.keep(fmt.Errorf("rank %d receives %d elements, its recv holds %d: %w", cc.Rank(), own, len(recv), ErrMismatch))
	}
	if !direct {
		copyHot(recv, work[:own])
	}
}

// scattervBinomial is scatterBinomial for Scatterv, whose counts only the
// root knows: first a binomial scatter of the counts themselves (one int
// per rank, tag), which gives each inner rank its subtree's layout and
// each rank the length it is to receive; then the data (tag+1). Twice the
// latency of scatterBinomial.
func scattervBinomial[T comm.Scalar](cc *comm.Comm, send, recv []T, counts []int, root, tag int, inPlace bool, errs *moveErrs) {
	p := cc.Size()
	v := (cc.Rank() - root + p) % p
	span := moveSpan(v, p)
	var hdr []int
	if v == 0 {
		hdr = make([]int, p)
		moveToVirtual(hdr, counts, moveEqualOffsets(p, 1), root)
	} else {
		hdr = make([]int, span)
	}
	treeScatter(cc, hdr, moveEqualOffsets(p, 1), v, root, tag, errs)
	var roff, voff []int
	if v == 0 {
		roff, voff = moveOffsets(counts), moveVirtualOffsets(counts, root)
	} else {
		voff = make([]int, p+1)
		for i, n := range hdr {
			voff[v+i+1] = voff[v+i] + max(n, 0)
		}
	}
	scatterBinomial(cc, send, recv, roff, voff, root, tag+1, inPlace, errs)
}
