package collective

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/spmd-go/spmd/comm"
)

// reductionState is what the collectives keep per communicator (keyed, like
// state, by the collective view): scratch buffers reused from call to call,
// so that hot sizes allocate nothing, and the algorithms tests force.
type reductionState struct {
	mu   sync.Mutex
	free [][]uint64 // idle scratch buffers, at most maxFreeScratch

	// override maps an operation to the algorithm tests force on this
	// communicator (before SPMD_COLL_<OP> and the decision function).
	override atomic.Pointer[map[string]string]

	// env holds the SPMD_COLL_<OP> variables as they were when the
	// communicator made its first collective call (nil: none set). Reading
	// the environment on every call took a lock and a map lookup: 4 % of
	// all samples of spmdbench allreduce at 8 B on 2 ranks (perf).
	env map[string]string
}

// maxFreeScratch bounds the idle buffers kept per communicator (a call
// holds up to ten, concurrent non-blocking calls as many each), and
// maxKeptScratchWords the size of one kept buffer (16 MiB): beyond it the
// allocation costs little next to moving the data, and a communicator
// should not pin the memory of its largest call for ever.
const (
	maxFreeScratch      = 12
	maxKeptScratchWords = 2 << 20
)

// reductionStateOf returns the reductions' state of the collective view cc
// (part of its state).
func reductionStateOf(cc *comm.Comm) *reductionState {
	return &stateOf(cc).red
}

// get returns a buffer of at least words 8-byte words, reusing an idle one
// when one is large enough. 8-byte words keep every Scalar type aligned.
func (s *reductionState) get(words int) []uint64 {
	s.mu.Lock()
	best := -1
	for i, b := range s.free {
		if cap(b) >= words && (best < 0 || cap(b) < cap(s.free[best])) {
			best = i
		}
	}
	if best >= 0 {
		b := s.free[best]
		last := len(s.free) - 1
		s.free[best] = s.free[last]
		s.free[last] = nil
		s.free = s.free[:last]
		s.mu.Unlock()
		return b[:words]
	}
	s.mu.Unlock()
	return make([]uint64, words)
}

// put returns b for reuse; when the list is full the smallest buffer goes.
func (s *reductionState) put(b []uint64) {
	if cap(b) == 0 || cap(b) > maxKeptScratchWords {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.free) < maxFreeScratch {
		s.free = append(s.free, b)
		return
	}
	small := 0
	for i, f := range s.free {
		if cap(f) < cap(s.free[small]) {
			small = i
		}
	}
	if cap(s.free[small]) < cap(b) {
		s.free[small] = b
	}
}

// typed views the first n elements of T in b (which holds enough words).
func typed[T comm.Scalar](b []uint64, n int) []T {
	if n == 0 {
		return []T{}
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// wordsFor returns how many 8-byte words hold n elements of T.
func wordsFor[T comm.Scalar](n int) int {
	return (n*comm.SizeOf[T]() + 7) / 8
}

// setOverride forces alg for op on c's collective context ("" removes it):
// the internal test hook that covers every algorithm without touching the
// environment, so tests may run in parallel.
func setOverride(c *comm.Comm, op, alg string) {
	s := reductionStateOf(c.Collective())
	for {
		old := s.override.Load()
		m := make(map[string]string)
		if old != nil {
			for k, v := range *old {
				m[k] = v
			}
		}
		if alg == "" {
			delete(m, op)
		} else {
			m[op] = alg
		}
		if s.override.CompareAndSwap(old, &m) {
			return
		}
	}
}
