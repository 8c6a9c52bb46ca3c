package comm

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm/internal/match"
	"github.com/spmd-go/spmd/comm/internal/shm"
	"github.com/spmd-go/spmd/comm/internal/wire"
)

// pipeLink is a link that reads what the test writes into a ring, in a
// world with nothing else.
func pipeLink(t *testing.T) (*link, *shm.Writer) {
	t.Helper()
	cfg := Config{EagerWindow: 1 << 20, EagerLimit: 1 << 16}
	w := &world{cfg: cfg, eng: match.New(), limits: wire.Limits{MaxEager: 1 << 20, MaxMessage: 1 << 30}}
	w.rdv.init()
	rd, wr, err := shm.Pipe(4096)
	require.NoError(t, err)
	return newLink(w, 0, rd, wr, io.NopCloser(nil), wr.Close), wr
}

// eagerFrame encodes an eager frame as a link writes it: a payload of up
// to wire.InlineMax bytes inside the header, a longer one after it.
func eagerFrame(tag int32, payload []byte) []byte {
	h := wire.Header{Kind: wire.Eager, Tag: tag, Len: uint64(len(payload))}
	f := make([]byte, wire.HeaderSize)
	if h.Inlined() {
		h.PutInline(payload)
		h.Encode(f)
		return f
	}
	h.Encode(f)
	return append(f, payload...)
}

// long is a payload too long to travel inside a header.
const long = "abcdefghijklmnopqrstuvwxyz"

// TestInPlaceFrame: a frame read in place delivers its payload to the
// posted receive, as one read through the stream would.
func TestInPlaceFrame(t *testing.T) {
	for _, payload := range []string{"abcd", long} { // in the header, after it
		l, wr := pipeLink(t)
		req := new(Request)
		buf := make([]byte, len(payload))
		req.w, req.isRecv, req.buf = l.w, true, buf
		req.recv = match.Recv{Src: 0, Tag: 5, Owner: req}
		_, _, err := l.w.eng.Post(&req.recv)
		require.NoError(t, err)
		require.NoError(t, wr.WriteFrame(eagerFrame(5, []byte(payload)), nil))
		require.True(t, l.src.Ready())
		require.NoError(t, l.readFrame())
		require.True(t, req.isDone())
		assert.Equal(t, payload, string(buf))
	}
}

// TestInPlaceFrameLongerThanItsHeader: bytes after the payload the header
// announces are a protocol violation, not the start of the next frame.
func TestInPlaceFrameLongerThanItsHeader(t *testing.T) {
	l, wr := pipeLink(t)
	f := eagerFrame(5, []byte(long))
	require.NoError(t, wr.WriteFrame(f, []byte("junk")))
	require.True(t, l.src.Ready())
	assert.ErrorIs(t, l.readFrame(), errProtocol)
}

// TestInPlaceFrameShorterThanAHeader is refused before decoding.
func TestInPlaceFrameShorterThanAHeader(t *testing.T) {
	l, wr := pipeLink(t)
	require.NoError(t, wr.WriteFrame([]byte("short"), nil))
	require.True(t, l.src.Ready())
	assert.ErrorIs(t, l.readFrame(), errProtocol)
}

// TestInPlaceFrameShorterThanItsPayload: a payload cut short fails the
// read rather than taking bytes of the next frame.
func TestInPlaceFrameShorterThanItsPayload(t *testing.T) {
	l, wr := pipeLink(t)
	f := eagerFrame(5, []byte(long))
	require.NoError(t, wr.WriteFrame(f[:len(f)-2], nil))
	require.NoError(t, wr.WriteFrame(eagerFrame(6, nil), nil))
	require.True(t, l.src.Ready())
	assert.ErrorIs(t, l.readFrame(), io.ErrUnexpectedEOF)
}
