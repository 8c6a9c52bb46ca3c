package wire

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testLimits = Limits{MaxEager: 1 << 16, MaxMessage: 1 << 40}

func TestHeaderRoundTrip(t *testing.T) {
	in := Header{Kind: CTS, Src: 7, Context: 0xdeadbeef, Tag: -3, Len: 1 << 30, ID: 42, Aux: 1<<63 + 5, Credit: 999}
	var b [HeaderSize]byte
	in.Encode(b[:])
	var out Header
	require.NoError(t, out.Decode(b[:], testLimits))
	assert.Equal(t, in, out)
}

func TestHeaderRejects(t *testing.T) {
	good := Header{Kind: Eager, Src: 1, Tag: 5, Len: 10}
	cases := map[string]func(b []byte){
		"short":         nil,
		"magic":         func(b []byte) { b[0] ^= 0xff },
		"version":       func(b []byte) { b[2] = 99 },
		"kind zero":     func(b []byte) { b[3] = 0 },
		"kind high":     func(b []byte) { b[3] = uint8(maxKind) + 1 },
		"reserved":      func(b []byte) { b[47] = 1 },
		"eager too big": func(b []byte) { b[16], b[17], b[18] = 0, 0, 2 },
		"negative src":  func(b []byte) { b[7] = 0x80 },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			var b [HeaderSize]byte
			good.Encode(b[:])
			buf := b[:]
			if mutate == nil {
				buf = buf[:HeaderSize-1]
			} else {
				mutate(buf)
			}
			var h Header
			assert.ErrorIs(t, h.Decode(buf, testLimits), ErrMalformed)
		})
	}
	var b [HeaderSize]byte
	(&Header{Kind: Bye, Len: 1}).Encode(b[:])
	var h Header
	assert.ErrorIs(t, h.Decode(b[:], testLimits), ErrMalformed, "control frames carry no length")
	(&Header{Kind: RTS, Len: 1 << 41}).Encode(b[:])
	assert.ErrorIs(t, h.Decode(b[:], testLimits), ErrMalformed, "message above MaxMessage")
}

func TestHandshakeMACs(t *testing.T) {
	cookie := []byte("secret")
	var ch, n [NonceSize]byte
	ch[0], n[0] = 1, 2
	in := Hello{From: 3, To: 1, Nonce: n, MAC: HelloMAC(cookie, &ch, 3, 1, &n)}
	var b [HelloSize]byte
	in.Encode(b[:])
	var out Hello
	require.NoError(t, out.Decode(b[:], 4))
	assert.Equal(t, in, out)
	assert.Equal(t, in.MAC, HelloMAC(cookie, &ch, 3, 1, &n))
	assert.NotEqual(t, in.MAC, HelloMAC([]byte("other"), &ch, 3, 1, &n), "MAC depends on the cookie")
	assert.NotEqual(t, in.MAC, HelloMAC(cookie, &ch, 2, 1, &n), "MAC binds the dialer's rank")
	assert.NotEqual(t, AcceptMAC(cookie, &n, 3, 1), AcceptMAC(cookie, &n, 1, 3))
	assert.ErrorIs(t, out.Decode(b[:], 3), ErrMalformed, "rank outside the world")

	var cb [ChallengeSize]byte
	EncodeChallenge(cb[:], &ch)
	got, err := DecodeChallenge(cb[:])
	require.NoError(t, err)
	assert.Equal(t, ch, got)
	cb[0] = 0
	_, err = DecodeChallenge(cb[:])
	assert.ErrorIs(t, err, ErrMalformed)
}

// TestShareCut checks where the sender's part of a shared copy starts:
// half way, on a 4 KiB boundary, so that both parts are whole pages and
// the receiver's never the smaller by more than a page.
func TestShareCut(t *testing.T) {
	for _, c := range []struct{ n, cut uint64 }{
		{0, 0}, {8191, 0}, {8192, 4096}, {64 << 10, 32 << 10},
		{64<<10 + 1, 32 << 10}, {100_001, 49152}, {1 << 20, 512 << 10}, {3<<20 + 4095, 1572864},
	} {
		assert.Equal(t, c.cut, ShareCut(c.n), "ShareCut(%d)", c.n)
	}
	for n := uint64(0); n < 1<<20; n += 997 {
		cut := ShareCut(n)
		assert.Zero(t, cut%4096, "ShareCut(%d) = %d", n, cut)
		assert.LessOrEqual(t, cut, n-cut, "ShareCut(%d) = %d", n, cut)
		assert.Less(t, n-2*cut, uint64(2*4096), "ShareCut(%d) = %d", n, cut)
	}
}

func TestKindString(t *testing.T) {
	assert.Equal(t, "rts", RTS.String())
	assert.Equal(t, "share", Share.String())
	assert.Equal(t, "pushed", Pushed.String())
	assert.Equal(t, "kind(200)", Kind(200).String())
	assert.True(t, Eager.HasPayload())
	assert.False(t, CTS.HasPayload())
}

// TestInline: a payload of up to InlineMax bytes travels in an Eager
// header and comes back out whole; bytes after it in the header are
// refused, and a longer Eager payload is not inlined.
func TestInline(t *testing.T) {
	for n := 0; n <= InlineMax; n++ {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(0xa0 + i)
		}
		in := Header{Kind: Eager, Src: 3, Tag: 9, Credit: 7}
		in.PutInline(p)
		require.True(t, in.Inlined())
		var b [HeaderSize]byte
		in.Encode(b[:])
		var out Header
		require.NoError(t, out.Decode(b[:], testLimits), "%d bytes", n)
		require.Equal(t, in, out)
		var buf [InlineMax]byte
		require.Equal(t, p, out.InlineBytes(&buf), "%d bytes", n)
		if n < InlineMax {
			b[24+n] = 1
			require.ErrorIs(t, out.Decode(b[:], testLimits), ErrMalformed, "a byte after %d inline bytes", n)
		}
	}
	require.False(t, (&Header{Kind: Eager, Len: InlineMax + 1}).Inlined())
	require.False(t, (&Header{Kind: Data, Len: 8}).Inlined())
}
