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

func TestKindString(t *testing.T) {
	assert.Equal(t, "rts", RTS.String())
	assert.Equal(t, "kind(200)", Kind(200).String())
	assert.True(t, Eager.HasPayload())
	assert.False(t, CTS.HasPayload())
}
