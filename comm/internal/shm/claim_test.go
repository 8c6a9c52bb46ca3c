package shm

import (
	"bytes"
	"crypto/rand"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClaims checks the claim words as the two processes of a pair see
// them: one claim per offer, whoever comes first; a late claim for an
// earlier offer fails; the rings' claims are apart; and the claims leave
// the segment's probe alone.
func TestClaims(t *testing.T) {
	s, peer := newSegment(t, 2, 4096)
	addr, probe := s.ProbeAddr()
	recv, send := s.Claims(1), peer.Claims(1)
	other := s.Claims(0)
	require.Equal(t, claimsPerRing, recv.Len())
	require.Zero(t, s.Claims(2).Len(), "a pair segment has two rings")

	for slot := range recv.Len() {
		gen := recv.Offer(slot)
		assert.True(t, send.ClaimSender(slot, gen))
		assert.False(t, recv.ClaimReceiver(slot, gen), "slot %d claimed twice", slot)
		assert.False(t, send.ClaimSender(slot, gen))
	}
	gen := recv.Offer(7)
	assert.False(t, send.ClaimSender(7, gen-1), "a claim for an earlier offer")
	assert.True(t, recv.ClaimReceiver(7, gen))
	assert.False(t, send.ClaimSender(7, gen), "the receiver took it back")
	next := recv.Offer(7)
	assert.Equal(t, gen+1, next)
	assert.False(t, send.ClaimSender(7, gen), "the offer before")
	assert.True(t, send.ClaimSender(7, next))

	g0 := other.Offer(7)
	assert.True(t, other.ClaimReceiver(7, g0), "ring 0's slot 7 is its own")
	assert.False(t, send.ClaimSender(-1, 1))
	assert.False(t, send.ClaimSender(recv.Len(), 1))
	assert.False(t, Claims{}.ClaimReceiver(0, 1))
	assert.True(t, CanReadRemote(os.Getpid(), addr, probe), "the probe is intact")
}

// TestClaimRace offers slots and has a sender and the receiver claim each
// at once: exactly one of them gets it.
func TestClaimRace(t *testing.T) {
	s, peer := newSegment(t, 2, 4096)
	recv, send := s.Claims(0), peer.Claims(0)
	const rounds = 2000
	var senderWins, receiverWins atomic.Int64
	for r := range rounds {
		slot := r % recv.Len()
		gen := recv.Offer(slot)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			if send.ClaimSender(slot, gen) {
				senderWins.Add(1)
			}
		}()
		go func() {
			defer wg.Done()
			if recv.ClaimReceiver(slot, gen) {
				receiverWins.Add(1)
			}
		}()
		wg.Wait()
	}
	assert.Equal(t, int64(rounds), senderWins.Load()+receiverWins.Load())
}

func TestWriteRemoteSelf(t *testing.T) {
	src := make([]byte, 5<<20+3)
	_, _ = rand.Read(src)
	dst := make([]byte, len(src))
	require.NoError(t, WriteRemote(os.Getpid(), Addr(dst), src))
	assert.True(t, bytes.Equal(src, dst))
	assert.Error(t, WriteRemote(1<<30, Addr(dst), src[:8]), "no such process")
	assert.Error(t, WriteRemote(os.Getpid(), 8, src[:8]), "a bad address")
}
