package pmi

import (
	"context"
	"fmt"
)

// A job that spans nodes is served by one Server per node: each node's
// proxy serves its own ranks (ServerConfig.Ranks) and relays their
// barriers, with their puts batched, to the root's Server (FenceFor), which
// answers with every put of the barrier. The root thus handles one fence
// message per node and barrier, not one request per rank and key, and a
// rank's get is answered on its own node.

// serveShare sets the Server up to serve only ranks, relaying barriers.
func (s *Server) serveShare(ranks []int, relay func([]KV) ([]KV, error)) error {
	if len(ranks) == 0 {
		if relay != nil {
			return fmt.Errorf("%w: ServerConfig.Relay without Ranks", ErrInvalid)
		}
		return nil
	}
	if relay == nil {
		return fmt.Errorf("%w: ServerConfig.Ranks without Relay", ErrInvalid)
	}
	s.foreign = make([]bool, s.cfg.Size)
	for i := range s.foreign {
		s.foreign[i] = true
	}
	for _, r := range ranks {
		if r < 0 || r >= s.cfg.Size || !s.foreign[r] {
			return fmt.Errorf("%w: ServerConfig.Ranks: rank %d out of range [0,%d) or repeated", ErrInvalid, r, s.cfg.Size)
		}
		s.foreign[r] = false
	}
	s.job.members = len(ranks)
	s.job.relay = relay
	return nil
}

// FenceFor enters ranks, served by another node's Server, into the current
// barrier with the puts they made since the last one, and waits until the
// barrier completes, the Server closes or ctx ends. It returns every put
// the barrier made visible. Ranks must not have connections of their own
// here.
func (s *Server) FenceFor(ctx context.Context, ranks []int, puts []KV) ([]KV, error) {
	for _, r := range ranks {
		if r < 0 || r >= s.cfg.Size {
			return nil, fmt.Errorf("%w: rank %d out of range [0,%d)", ErrInvalid, r, s.cfg.Size)
		}
	}
	b, rerr := s.job.enterMany(ranks, puts)
	if rerr != nil {
		return nil, fmt.Errorf("pmi: fence for ranks %v: %w", ranks, rerr)
	}
	select {
	case <-b.done:
	case <-s.done:
		return nil, fmt.Errorf("pmi: server: %w", ErrClosed)
	case <-ctx.Done():
		return nil, fmt.Errorf("pmi: fence: %w", ctx.Err())
	}
	if b.err != nil {
		return nil, fmt.Errorf("pmi: fence: %w", b.err)
	}
	return b.puts, nil
}

// Leave records that rank, served elsewhere, has gone: barriers it has not
// completed fail, as they do when a rank's own connection ends.
func (s *Server) Leave(rank int) error {
	if rank < 0 || rank >= s.cfg.Size {
		return fmt.Errorf("%w: rank %d out of range [0,%d)", ErrInvalid, rank, s.cfg.Size)
	}
	s.job.leave(rank)
	return nil
}
