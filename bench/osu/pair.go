package osu

import (
	"fmt"

	"github.com/spmd-go/spmd/comm"
)

// Tags of the benchmark's messages; the data tags are OSU's.
const (
	tagData = 1   // ping-pong
	tagBW   = 100 // bandwidth window
	tagAck  = 101 // bandwidth acknowledgement
	tagSync = 102 // pair barrier
	tagIter = 103 // iteration count, rank 0 → rank 1
)

// pair is one rank's side of the two-rank benchmark.
type pair struct {
	c    *comm.Comm
	peer int
	sync []byte  // empty message of the barrier
	ack  [4]byte // bandwidth acknowledgement
	obj  []byte  // what objPingPong receives into
}

// newPair checks that c has exactly two ranks.
func newPair(c *comm.Comm) (*pair, error) {
	if c.Size() != 2 {
		return nil, fmt.Errorf("the point-to-point benchmarks need exactly 2 ranks, got %d: %w", c.Size(), ErrOptions)
	}
	return &pair{c: c, peer: 1 - c.Rank()}, nil
}

// leader reports whether this is rank 0, which drives and reports.
func (p *pair) leader() bool { return p.c.Rank() == 0 }

// barrier returns once both ranks have entered it.
func (p *pair) barrier() error {
	if _, err := comm.Sendrecv(p.c, p.sync, p.peer, tagSync, p.sync, p.peer, tagSync); err != nil {
		return fmt.Errorf("barrier: %w", err)
	}
	return nil
}

// agree returns rank 0's n on both ranks.
func (p *pair) agree(n int) (int, error) {
	v := []int64{int64(n)}
	if p.leader() {
		if err := comm.Send(p.c, v, p.peer, tagIter); err != nil {
			return 0, fmt.Errorf("send iteration count: %w", err)
		}
		return n, nil
	}
	if _, err := comm.Recv(p.c, v, p.peer, tagIter); err != nil {
		return 0, fmt.Errorf("receive iteration count: %w", err)
	}
	return int(v[0]), nil
}
