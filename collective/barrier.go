package collective

import (
	"fmt"

	"github.com/spmd-go/spmd/comm"
)

// The barrier algorithm (SPMD_COLL_BARRIER value).
const barrierDissemination = "dissemination"

func init() {
	register("barrier", barrierDissemination)
}

// Barrier returns once every rank of c has called it.
//
// It is a dissemination barrier (Hensgen, Finkel & Manber; MPICH's
// barrier_intra_k_dissemination with k = 2): in round k = 0 … ⌈lg p⌉−1 rank
// r sends an empty message to r+2^k and waits for one from r−2^k (mod p).
// After round k a rank has heard, directly or not, from the 2^(k+1)−1 ranks
// before it, so after the last round from all. Cost: ⌈lg p⌉·α, for any p.
func Barrier(c *comm.Comm) error {
	if err := checkComm(c); err != nil {
		return err
	}
	cc, s, tag := callState(c)
	if _, err := s.red.algorithm("barrier"); err != nil {
		return err
	}
	return barrier(cc, tag)
}

// Ibarrier starts a Barrier and returns at once: the request completes
// once every rank has called Barrier or Ibarrier (in the same place of the
// sequence of collectives on c).
func Ibarrier(c *comm.Comm) (*comm.Request, error) {
	if err := checkComm(c); err != nil {
		return nil, err
	}
	cc, tag := call(c)
	if _, err := reductionStateOf(cc).algorithm("barrier"); err != nil {
		return nil, err
	}
	req, complete := comm.NewRequest()
	go func() { complete(comm.Status{}, barrier(cc, tag)) }()
	return req, nil
}

func barrier(cc *comm.Comm, tag int) error {
	p, r := cc.Size(), cc.Rank()
	for d := 1; d < p; d *= 2 {
		if _, err := comm.Sendrecv[byte, byte](cc, nil, (r+d)%p, tag, nil, (r-d+p)%p, tag); err != nil {
			return fmt.Errorf("collective: barrier: %w", err)
		}
	}
	return nil
}
