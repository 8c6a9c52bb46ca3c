package collective

import (
	"errors"
	"sync/atomic"

	"github.com/spmd-go/spmd/comm"
)

// Errors of this package, to be tested with errors.Is (besides comm's).
var (
	// ErrAlgorithm: SPMD_COLL_<OP> names an algorithm the operation lacks.
	ErrAlgorithm = errors.New("unknown collective algorithm")
	// ErrMismatch: ranks passed arguments that disagree where MPI requires
	// agreement (counts, roots, lengths), detected before data moved.
	ErrMismatch = errors.New("mismatched collective arguments")
)

// state is what the package keeps per communicator, cached on its
// collective view (comm.Keyval): the call counter and the reductions'
// state. A sync.Map keyed by communicator took 3 % of an 8-byte Allreduce
// on 2 ranks (perf) and kept the state of freed communicators for ever.
type state struct {
	seq atomic.Uint32 // collective calls made on the communicator so far
	red reductionState
}

// stateKey caches a communicator's state on its collective view.
var stateKey = comm.NewKeyval()

func stateOf(cc *comm.Comm) *state {
	if s, ok := cc.Attr(stateKey).(*state); ok {
		return s
	}
	s, _ := cc.AttrOrInit(stateKey, func() any {
		s := new(state)
		s.red.env = forcingEnv()
		return s
	}).(*state)
	return s
}

// callTagBits is how many low bits of a tag name the message's role within
// one call; the bits above count calls. Each call's messages therefore carry
// tags of their own, so that non-blocking collectives outstanding at once on
// one communicator (started in the same order on every rank, as MPI
// requires) never take each other's messages.
const callTagBits = 4

// call begins a collective call on c: it returns the collective view of c
// and the base tag for this call's messages (add a role number below
// 1<<callTagBits).
func call(c *comm.Comm) (*comm.Comm, int) {
	cc, _, tag := callState(c)
	return cc, tag
}

// callState is call that also returns the communicator's state.
func callState(c *comm.Comm) (*comm.Comm, *state, int) {
	cc := c.Collective()
	s := stateOf(cc)
	n := s.seq.Add(1)
	return cc, s, int(n%(1<<(31-callTagBits))) << callTagBits
}
