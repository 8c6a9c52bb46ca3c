package shm

import (
	"sync/atomic"
	"unsafe"
)

// Claims are words in a pair segment's header through which the two
// processes decide, without waiting for each other, which of them copies a
// part of a message that either could copy: the receiver offers the part to
// the sender and copies the rest itself; whichever of them first claims the
// part copies it, and the other leaves it alone. Then neither ever waits
// for the other to be scheduled merely to learn that it will not copy.
//
// Each ring of a segment has its own claims, used for the messages that
// travel the ring's way: the receiver of those messages (the ring's
// reader) offers slots, the sender (its writer) only claims. A slot's word
// holds a generation and a state; the receiver bumps the generation each
// time it offers the slot again, so that a late claim for an earlier offer
// fails.
type Claims struct {
	words []uint64
}

// Claim states, the low bits of a slot's word.
const (
	claimOpen     = 0
	claimSender   = 1
	claimReceiver = 2
	claimBits     = 2
)

// The claims lie in the segment header after its fixed fields, split
// evenly between the rings.
const (
	offClaims     = 64
	claimsPerRing = (headerBytes - offClaims) / 8 / 2
)

// Claims returns the claim slots of ring i's messages.
func (s *Segment) Claims(i int) Claims {
	if i < 0 || i >= min(s.rings, 2) {
		return Claims{}
	}
	off := offClaims + i*claimsPerRing*8
	return Claims{words: unsafe.Slice((*uint64)(unsafe.Pointer(&s.mem[off])), claimsPerRing)}
}

// Len returns the number of slots.
func (c Claims) Len() int { return len(c.words) }

// Offer makes slot, which the receiver no longer uses, open for a new
// part and returns the offer's generation. Only the receiver offers.
func (c Claims) Offer(slot int) uint32 {
	w := &c.words[slot]
	gen := uint32(atomic.LoadUint64(w)>>claimBits) + 1
	atomic.StoreUint64(w, uint64(gen)<<claimBits|claimOpen)
	return gen
}

// ClaimSender claims the part offered in slot with generation gen for the
// sender, and reports whether it got it. A slot out of range is refused.
func (c Claims) ClaimSender(slot int, gen uint32) bool { return c.claim(slot, gen, claimSender) }

// ClaimReceiver claims the part offered in slot with generation gen back
// for the receiver, and reports whether it got it (the sender had not).
func (c Claims) ClaimReceiver(slot int, gen uint32) bool { return c.claim(slot, gen, claimReceiver) }

func (c Claims) claim(slot int, gen uint32, by uint64) bool {
	if slot < 0 || slot >= len(c.words) {
		return false
	}
	open := uint64(gen) << claimBits
	return atomic.CompareAndSwapUint64(&c.words[slot], open|claimOpen, open|by)
}
