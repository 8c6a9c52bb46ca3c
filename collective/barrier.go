package collective

import "github.com/spmd-go/spmd/comm"

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
	var x call
	if err := x.startBarrier(c); err != nil {
		return err
	}
	return x.done(barrierDissemination, barrier(&x))
}

// Ibarrier starts a Barrier and returns at once: the request completes
// once every rank has called Barrier or Ibarrier (in the same place of the
// sequence of collectives on c).
func Ibarrier(c *comm.Comm) (*comm.Request, error) {
	x := new(call)
	if err := x.startBarrier(c); err != nil {
		return nil, err
	}
	req, complete := comm.NewRequest()
	x.detach("Ibarrier", req)
	go func() { complete(comm.Status{}, x.done(barrierDissemination, barrier(x))) }()
	return req, nil
}

// startBarrier begins a barrier; the only algorithm may still be named
// wrongly in SPMD_COLL_BARRIER.
func (x *call) startBarrier(c *comm.Comm) error {
	if err := x.begin(c, "barrier"); err != nil {
		return err
	}
	_, err := x.forced("barrier")
	return err
}

func barrier(x *call) error {
	p, r := x.size, x.rank
	for d := 1; d < p; d *= 2 {
		if err := exchange[byte](x, nil, (r+d)%p, nil, (r-d+p)%p, 0); err != nil {
			return err
		}
	}
	return nil
}
