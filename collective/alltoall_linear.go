package collective

import "github.com/spmd-go/spmd/comm"

// alltoallLinear posts every receive and every send at once and waits for
// them all: the network sees all p−1 messages of every rank together
// (MPICH's "scattered" algorithm without its throttle). Sends start at
// rank+1 and go round, so that not everyone sends to rank 0 first.
//
// Cost: (p−1)α + nβ per rank (n the bytes it sends), with all messages
// in flight at once. One role: the same messages, with the same role, as
// alltoallPairwise, so ranks that choose differently still match.
//
// Block i of send (sent to rank i) is send[soff[i]:soff[i+1]]; block i of
// recv (from rank i) is recv[roff[i]:roff[i+1]].
func alltoallLinear[T comm.Scalar](x *call, send []T, soff []int, recv []T, roff []int, role int) {
	p, me := x.size, x.rank
	rreqs := make([]*comm.Request, p)
	sreqs := make([]*comm.Request, 0, p-1)
	for i := 1; i < p; i++ {
		src := (me - i + p) % p
		req, err := irecvFrom(x, recv[roff[src]:roff[src+1]], src, role)
		x.keep(err)
		rreqs[src] = req
	}
	for i := 1; i < p; i++ {
		dst := (me + i) % p
		req, err := isendTo(x, send[soff[dst]:soff[dst+1]], dst, role)
		x.keep(err)
		if req != nil {
			sreqs = append(sreqs, req)
		}
	}
	alltoallSelf(x, send, soff, recv, roff)
	for src, req := range rreqs {
		if req != nil {
			x.keep(x.waitRecv(req, (roff[src+1]-roff[src])*comm.SizeOf[T](), src))
		}
	}
	for _, req := range sreqs {
		_, err := req.Wait()
		x.keep(err)
	}
}
