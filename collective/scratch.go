package collective

import (
	"unsafe"

	"github.com/spmd-go/spmd/comm"
)

// Scratch buffers come from a pool per communicator (state.free), so that
// calls at sizes used before allocate nothing. Buffers are 8-byte words,
// which keep every Scalar type aligned, viewed as the call's element type.

// maxFreeScratch bounds the idle buffers kept per communicator (a call
// holds a few, concurrent non-blocking calls as many each), and
// maxKeptScratchWords the size of one kept buffer (16 MiB): beyond it the
// allocation costs little next to moving the data, and a communicator
// should not pin the memory of its largest call for ever.
const (
	maxFreeScratch      = 12
	maxKeptScratchWords = 2 << 20
)

// scratchOf returns n elements of scratch for call x (contents undefined),
// given back to the pool when the call ends (call.done).
func scratchOf[T comm.Scalar](x *call, n int) []T {
	if n == 0 {
		return []T{}
	}
	b := x.st.get(wordsFor[T](n))
	x.hold(b)
	return typed[T](b, n)
}

// get returns a buffer of at least words 8-byte words, reusing an idle one
// when one is large enough. 8-byte words keep every Scalar type aligned.
func (s *state) get(words int) []uint64 {
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
func (s *state) put(b []uint64) {
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
