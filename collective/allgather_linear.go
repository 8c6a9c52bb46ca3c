package collective

import "github.com/spmd-go/spmd/comm"

// allgatherLinear is the reference: a linear gather to virtual rank 0, then
// a linear broadcast of the whole result from it.
//
// Cost: 2(p−1)α + n(p−1)/p·β + n(p−1)β, all through one rank. Roles: role
// (gather), role+1 (broadcast).
//
// buf, off, v and shift as for allgatherRing.
func allgatherLinear[T comm.Scalar](x *call, buf []T, off []int, v, shift, role int) {
	p := len(off) - 1
	if p == 1 {
		return
	}
	mine := buf
	if v != 0 {
		mine = buf[off[v]:off[v+1]]
	}
	gatherLinear(x, mine, off, v, 0, shift, role)
	bcastLinear(x, buf[:off[p]], v, 0, shift, role+1)
}
