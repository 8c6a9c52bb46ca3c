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
// Cost: ⌈lg p⌉α + n(p−1)/p·β, plus copies at inner ranks. One role.
//
// roff is the real layout of send (read at the root only); voff the
// layout in virtual-rank order (rank v = real (v+root) mod p), of which
// this rank reads only its subtree's entries. An in-place root (recv nil)
// keeps its block in send.
func scatterBinomial[T comm.Scalar](x *call, send, recv []T, roff, voff []int, root, role int, inPlace bool) {
	p := x.size
	v := (x.rank - root + p) % p
	span := subtreeSpan(v, p)
	own := voff[v+1] - voff[v]
	var work []T
	direct := false // a leaf receives straight into recv
	switch {
	case v == 0 && root == 0:
		work = send
	case v == 0:
		tmp := scratchOf[T](x, voff[p])
		work = tmp
		toVirtual(work, send, roff, root)
	case span == 1 && own == len(recv):
		work, direct = recv, true
	default:
		tmp := scratchOf[T](x, voff[v+span]-voff[v])
		work = tmp
	}
	treeScatter(x, work, voff, v, root, role)
	if v == 0 {
		if !inPlace {
			copyHot(recv, send[roff[root]:roff[root+1]])
		}
		return
	}
	if own != len(recv) {
		x.keep(fmt.Errorf("rank %d receives %d elements, its recv holds %d: %w", x.rank, own, len(recv), ErrMismatch))
	}
	if !direct {
		copyHot(recv, work[:own])
	}
}

// scattervBinomial is scatterBinomial for Scatterv, whose counts only the
// root knows: first a binomial scatter of the counts themselves (one int
// per rank, role), which gives each inner rank its subtree's layout and
// each rank the length it is to receive; then the data (role+1). Twice the
// latency of scatterBinomial.
func scattervBinomial[T comm.Scalar](x *call, send, recv []T, counts []int, root, role int, inPlace bool) {
	p := x.size
	v := (x.rank - root + p) % p
	span := subtreeSpan(v, p)
	var hdr []int
	if v == 0 {
		hdr = make([]int, p)
		toVirtual(hdr, counts, equalOffsets(p, 1), root)
	} else {
		hdr = make([]int, span)
	}
	treeScatter(x, hdr, equalOffsets(p, 1), v, root, role)
	var roff, voff []int
	if v == 0 {
		roff, voff = blockOffsets(counts), virtualOffsets(counts, root)
	} else {
		voff = make([]int, p+1)
		for i, n := range hdr {
			voff[v+i+1] = voff[v+i] + max(n, 0)
		}
	}
	scatterBinomial(x, send, recv, roff, voff, root, role+1, inPlace)
}
