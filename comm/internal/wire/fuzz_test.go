package wire

import (
	"testing"
)

// FuzzDecodeHeader checks that no input makes Decode panic, and that every
// accepted header re-encodes to the same bytes and respects the limits.
func FuzzDecodeHeader(f *testing.F) {
	for _, h := range []Header{
		{Kind: Eager, Src: 1, Tag: 7, Len: 8},
		{Kind: RTS, Src: 0, Context: 2, Len: 1 << 26, ID: 9},
		{Kind: CTS, Len: 100, ID: 9, Aux: 3},
		{Kind: Data, Len: 100, Aux: 3},
		{Kind: Packed, Len: 60, ID: 100, Aux: 3, Context: 1},
		{Kind: Share, Len: 1 << 20, ID: 9, Aux: 0x7f0000001000},
		{Kind: Pushed, Len: 1 << 19, ID: 9},
		{Kind: Credit, Credit: 4096},
		{Kind: Bye},
	} {
		b := make([]byte, HeaderSize)
		h.Encode(b)
		f.Add(b)
	}
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Header
		if err := h.Decode(b, testLimits); err != nil {
			return
		}
		if h.Kind == Eager && h.Len > testLimits.MaxEager || h.Len > testLimits.MaxMessage {
			t.Fatalf("accepted length %d for %v", h.Len, h.Kind)
		}
		out := make([]byte, HeaderSize)
		h.Encode(out)
		if string(out) != string(b[:HeaderSize]) {
			t.Fatalf("re-encoding differs:\n%x\n%x", out, b[:HeaderSize])
		}
	})
}

// FuzzDecodeHello checks the handshake decoder on arbitrary bytes.
func FuzzDecodeHello(f *testing.F) {
	b := make([]byte, HelloSize)
	(&Hello{From: 1, To: 0}).Encode(b)
	f.Add(b, 4)
	c := make([]byte, ChallengeSize)
	EncodeChallenge(c, &[NonceSize]byte{})
	f.Add(c, 2)
	f.Fuzz(func(t *testing.T, b []byte, size int) {
		var h Hello
		if h.Decode(b, size) == nil && (h.From < 0 || int(h.From) >= size || h.To < 0 || int(h.To) >= size) {
			t.Fatalf("accepted ranks %d→%d for size %d", h.From, h.To, size)
		}
		_, _ = DecodeChallenge(b)
	})
}
