package collective

import (
	"fmt"

	"github.com/spmd-go/spmd/comm"
)

// alltoallPairwise exchanges with one partner per step, p−1 steps: for
// p = 2^k rank r sends to and receives from r XOR k in step k (pairs
// exchange both ways at once); otherwise it sends to r+k and receives from
// r−k (mod p). One message in flight each way per rank keeps memory and
// contention low for large blocks.
//
// Cost: (p−1)α + nβ per rank (n the bytes it sends). One role, the same as
// alltoallLinear's (see there). Layouts as for alltoallLinear.
func alltoallPairwise[T comm.Scalar](x *call, send []T, soff []int, recv []T, roff []int, role int) {
	p, me := x.size, x.rank
	alltoallSelf(x, send, soff, recv, roff)
	pow2 := isPow2(p)
	for k := 1; k < p; k++ {
		dst, src := (me+k)%p, (me-k+p)%p
		if pow2 {
			dst, src = me^k, me^k
		}
		x.keep(exchange(x, send[soff[dst]:soff[dst+1]], dst, recv[roff[src]:roff[src+1]], src, role))
	}
}

// alltoallSelf copies a rank's block to itself.
func alltoallSelf[T comm.Scalar](x *call, send []T, soff []int, recv []T, roff []int) {
	me := x.rank
	s, r := send[soff[me]:soff[me+1]], recv[roff[me]:roff[me+1]]
	if len(s) != len(r) {
		x.keep(fmt.Errorf("rank %d sends itself %d elements but receives %d: %w", me, len(s), len(r), ErrMismatch))
	}
	copyHot(r, s)
}
