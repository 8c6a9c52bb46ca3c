package collective

import (
	"sync"
	"sync/atomic"

	"github.com/spmd-go/spmd/comm"
)

// state is what the package keeps per communicator: the count of its
// collective calls, the pool of scratch buffers its calls reuse, and the
// algorithms forced on it. It is cached as an attribute of the
// communicator's collective view (comm.Keyval), so that finding it takes
// no lock and it goes when the communicator does; a package-level map keyed
// by communicator cost a measurable share of the smallest Allreduce
// (bench/results/2026-11-21-coll-shm-seal/profile.md) and kept the state of
// freed communicators for ever.
type state struct {
	seq atomic.Uint32 // collective calls made on the communicator so far

	mu   sync.Mutex
	free [][]uint64 // idle scratch buffers, at most maxFreeScratch (scratch.go)

	// override maps an operation to the algorithm tests force on this
	// communicator (before SPMD_COLL_<OP> and the decision function).
	override atomic.Pointer[map[string]string]

	// env holds the SPMD_COLL_<OP> variables as they were when the
	// communicator made its first collective call (nil: none set), so
	// that a call reads no environment (same profile).
	env map[string]string
}

// stateKey caches a communicator's state on its collective view.
var stateKey = comm.NewKeyval()

// stateOf returns the state of the collective view cc, made on first use.
func stateOf(cc *comm.Comm) *state {
	if s, ok := cc.Attr(stateKey).(*state); ok {
		return s
	}
	s, _ := cc.AttrOrInit(stateKey, func() any {
		s := new(state)
		s.env = forcingEnv()
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
