package comm

import "sync/atomic"

// SendObj encodes into a buffer it gives back as soon as the send returns.
// Small messages, the ones whose cost is mostly overhead, take theirs from
// a few spare buffers held in atomic slots: one swap to take, one
// compare-and-swap to give back, where the payload pools (getPayload) cost
// two sync.Pool operations each way (bench/results/2026-12-06-objects).
// Larger messages, and small ones when every spare is taken (many
// goroutines sending at once), use the payload pools.

// spareSize is the capacity of a spare buffer: a message within the shared
// memory eager limit, with its header. It is not a power of two, so no
// buffer from getPayload has it, and releaseObjBuf can tell them apart.
const spareSize = 4<<10 + 8

type spareBuf [spareSize]byte

var (
	objSpares  [4]atomic.Pointer[spareBuf]
	sparesMade atomic.Int32 // at most len(objSpares): made on first need
)

// objBuf returns a buffer of length n for an object message.
func objBuf(n int) []byte {
	if n <= spareSize {
		for i := range objSpares {
			if objSpares[i].Load() != nil {
				if p := objSpares[i].Swap(nil); p != nil {
					return p[:n]
				}
			}
		}
		if sparesMade.Load() < int32(len(objSpares)) && sparesMade.Add(1) <= int32(len(objSpares)) {
			return new(spareBuf)[:n]
		}
	}
	return getPayload(n)
}

// releaseObjBuf gives back a buffer from objBuf.
func releaseObjBuf(b []byte) {
	if cap(b) != spareSize {
		putPayload(b)
		return
	}
	p := (*spareBuf)(b[:spareSize])
	for i := range objSpares {
		if objSpares[i].Load() == nil && objSpares[i].CompareAndSwap(nil, p) {
			return
		}
	}
}
