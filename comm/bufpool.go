package comm

import (
	"math/bits"
	"sync"
)

// Unexpected eager payloads are buffered in pooled slices by power-of-two
// size class, so a steady stream of unexpected messages allocates nothing.
const (
	minClassBits = 6  // 64 B
	maxClassBits = 24 // 16 MiB: larger eager limits fall back to make
)

// payloadBox carries a slice through a sync.Pool (which takes pointers);
// the boxes are pooled too, so recycling a slice allocates nothing.
type payloadBox struct{ b []byte }

var (
	payloadPools [maxClassBits + 1]sync.Pool
	boxPool      = sync.Pool{New: func() any { return new(payloadBox) }}
)

func classOf(n int) int {
	if n <= 1<<minClassBits {
		return minClassBits
	}
	return bits.Len(uint(n - 1))
}

// getPayload returns a slice of length n.
func getPayload(n int) []byte {
	c := classOf(n)
	if c > maxClassBits {
		return make([]byte, n)
	}
	if box, ok := payloadPools[c].Get().(*payloadBox); ok {
		b := box.b
		box.b = nil
		boxPool.Put(box)
		return b[:n]
	}
	return make([]byte, n, 1<<c)
}

// putPayload recycles a slice from getPayload.
func putPayload(b []byte) {
	c := classOf(cap(b))
	if cap(b) != 1<<c || c > maxClassBits {
		return
	}
	box := boxPool.Get().(*payloadBox)
	box.b = b[:0]
	payloadPools[c].Put(box)
}
