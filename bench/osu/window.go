package osu

import (
	"fmt"

	"github.com/spmd-go/spmd/comm"
)

// window is one bandwidth iteration: rank 0 sends len(reqs) messages of
// the same buffer and waits for a 4-byte acknowledgement; rank 1 receives
// them all into one buffer, then acknowledges.
func (p *pair) window(send, recv []byte, reqs []*comm.Request) error {
	ack := p.ack[:]
	var err error
	if p.leader() {
		for j := range reqs {
			if reqs[j], err = comm.Isend(p.c, send, p.peer, tagBW); err != nil {
				return fmt.Errorf("isend: %w", err)
			}
		}
		if err := comm.WaitAll(reqs...); err != nil {
			return fmt.Errorf("wait for sends: %w", err)
		}
		if _, err := comm.Recv(p.c, ack, p.peer, tagAck); err != nil {
			return fmt.Errorf("receive ack: %w", err)
		}
		return nil
	}
	for j := range reqs {
		if reqs[j], err = comm.Irecv(p.c, recv, p.peer, tagBW); err != nil {
			return fmt.Errorf("irecv: %w", err)
		}
	}
	if err := comm.WaitAll(reqs...); err != nil {
		return fmt.Errorf("wait for receives: %w", err)
	}
	if err := comm.Send(p.c, ack, p.peer, tagAck); err != nil {
		return fmt.Errorf("send ack: %w", err)
	}
	return nil
}

// biWindow is one bidirectional iteration: each rank posts len(reqs)/2
// receives into one buffer and as many sends of another, then waits for
// all of them.
func (p *pair) biWindow(send, recv []byte, reqs []*comm.Request) error {
	w := len(reqs) / 2
	var err error
	for j := range w {
		if reqs[j], err = comm.Irecv(p.c, recv, p.peer, tagBW); err != nil {
			return fmt.Errorf("irecv: %w", err)
		}
	}
	for j := w; j < 2*w; j++ {
		if reqs[j], err = comm.Isend(p.c, send, p.peer, tagBW); err != nil {
			return fmt.Errorf("isend: %w", err)
		}
	}
	if err := comm.WaitAll(reqs...); err != nil {
		return fmt.Errorf("wait: %w", err)
	}
	return nil
}
