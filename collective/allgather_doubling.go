package collective

import (
	"math/bits"

	"github.com/spmd-go/spmd/comm"
)

// allgatherDoubling is recursive doubling. For p = 2^k: in step j rank v
// exchanges with v XOR 2^j everything it holds, the 2^j blocks of its
// aligned group, so the held range doubles each step; lg p steps.
//
// Other p fold first, as MPICH does for its recursive algorithms: with
// q = 2^⌊lg p⌋ and r = p−q, each even rank v < 2r sends its block to v+1
// and sits out; the odd ones and the ranks ≥ 2r are q members, member j
// holding the contiguous blocks [lo(j), lo(j+1)) (two blocks for j < r,
// one otherwise), which keeps every exchanged range contiguous. After the
// doubling among members, each odd v < 2r hands the whole result to v−1.
//
// Cost: lg p·α + n(p−1)/p·β for p = 2^k; two more α and up to 2n·β
// otherwise. Roles: role (fold), role+1 (doubling), role+2 (unfold).
//
// buf, off, v and shift as for allgatherRing.
func allgatherDoubling[T comm.Scalar](x *call, buf []T, off []int, v, shift, role int) {
	allgatherDoublingFrom(x, buf, off, v, shift, nil, role)
}

// allgatherDoublingFrom is allgatherDoubling for a rank whose own block is
// still in own (nil: in place), p a power of two. Its first step sends
// own itself and copies it into place after its receive, for the reasons
// given at allgatherRingFrom.
func allgatherDoublingFrom[T comm.Scalar](x *call, buf []T, off []int, v, shift int, own []T, role int) {
	p := len(off) - 1
	if own != nil && (p == 1 || !isPow2(p)) {
		copyHot(buf[off[v]:off[v+1]], own) // the fold reads it in place
		own = nil
	}
	if p == 1 {
		return
	}
	peer := func(u int) int { return (u + shift) % p }
	q := 1 << (bits.Len(uint(p)) - 1)
	r := p - q
	if v < 2*r && v%2 == 0 { // fold into v+1, wait for the result
		x.keep(sendTo(x, buf[off[v]:off[v+1]], peer(v+1), role))
		x.keep(recvFrom(x, buf[:off[p]], peer(v+1), role+2))
		return
	}
	if v < 2*r {
		x.keep(recvFrom(x, buf[off[v-1]:off[v]], peer(v-1), role))
	}
	// lo(j) is the first block of member j; member j is virtual rank vm(j).
	lo := func(j int) int {
		if j < r {
			return 2 * j
		}
		return j + r
	}
	vm := func(j int) int {
		if j < r {
			return 2*j + 1
		}
		return j + r
	}
	j := v - r
	if v < 2*r {
		j = v / 2
	}
	first := 1
	if own != nil {
		pj := j ^ 1
		req, err := isendTo(x, own, peer(vm(pj)), role+1)
		x.keep(err)
		x.keep(recvFrom(x, buf[off[lo(pj)]:off[lo(pj+1)]], peer(vm(pj)), role+1))
		copyHot(buf[off[lo(j)]:off[lo(j+1)]], own)
		if req != nil {
			_, err := req.Wait()
			x.keep(err)
		}
		first = 2
	}
	for mask := first; mask < q; mask <<= 1 {
		pj := j ^ mask
		mine, theirs := j&^(mask-1), pj&^(mask-1)
		x.keep(exchange(x,
			buf[off[lo(mine)]:off[lo(mine+mask)]], peer(vm(pj)),
			buf[off[lo(theirs)]:off[lo(theirs+mask)]], peer(vm(pj)), role+1))
	}
	if v < 2*r {
		x.keep(sendTo(x, buf[:off[p]], peer(v-1), role+2))
	}
}
