package comm

import (
	"fmt"
	"io"
	"sync/atomic"

	"github.com/spmd-go/spmd/comm/internal/squeeze"
	"github.com/spmd-go/spmd/comm/internal/wire"
)

// packer is the compression state of a TCP link (SPMD_COMPRESS): the
// writer's encoder and per-peer policy, used only by the link's writer
// goroutine, and the reader's decoder, used under the link's read lock.
// Only rendezvous data is compressed, that is, messages above the eager
// limit: smaller ones would not pay for the work. Every TCP link can
// decode, whatever its own rank's setting, so that ranks with different
// settings still understand each other.
type packer struct {
	enc    *squeeze.Encoder // nil: this rank does not compress
	policy squeeze.Policy
	dec    squeeze.Decoder
	// raw and packed count the data bytes of the messages the encoder
	// tried and what went on the wire for them, for tests and diagnostics.
	raw, packed atomic.Uint64
}

// newPacker returns the compression state for a TCP link.
func newPacker(method string) *packer {
	p := &packer{}
	// withDefaults checked the method; an error here means none.
	if m, err := squeeze.ParseMethod(method); err == nil && m != squeeze.Stored {
		p.enc, _ = squeeze.NewEncoder(m)
	}
	return p
}

// writeData writes the data of a granted rendezvous send, as one Data
// frame, or as Packed chunks when the link compresses and its policy says
// this message is worth a try. It runs on the link's writer goroutine.
func (l *link) writeData(h *wire.Header, payload []byte) error {
	p := l.packer
	if p == nil || p.enc == nil || !p.policy.Try() {
		return l.writeFrame(h, payload)
	}
	p.enc.Begin()
	for off := 0; off < len(payload); off += squeeze.MaxChunk {
		raw := payload[off:min(off+squeeze.MaxChunk, len(payload))]
		packed, c := p.enc.Encode(raw, off == 0)
		ch := wire.Header{Kind: wire.Packed, Aux: h.Aux, Len: uint64(len(packed)), ID: uint64(c.Raw), Context: c.Flags()}
		if err := l.writeFrame(&ch, packed); err != nil {
			return err
		}
		p.raw.Add(uint64(len(raw)))
		p.packed.Add(uint64(len(packed)))
	}
	p.policy.Observe(p.enc.Shrank())
	return nil
}

// handlePacked reads one compressed chunk of a granted receive's data
// into its place in the buffer, and completes the receive with its last.
func (w *world) handlePacked(l *link, h *wire.Header, br frameSource) error {
	g := w.rdv.recvOf(h.Aux)
	if g == nil || g.peer != l.peer || l.packer == nil {
		return fmt.Errorf("%w: packed data for unknown receive %d", errProtocol, h.Aux)
	}
	c, err := squeeze.ParseChunk(h.Context, h.ID, h.Len)
	if err != nil || g.got+c.Raw > g.st.Bytes {
		return fmt.Errorf("%w: packed chunk of %d raw bytes at %d of %d for receive %d: %w",
			errProtocol, h.ID, g.got, g.st.Bytes, h.Aux, err)
	}
	dst := g.req.buf[g.got : g.got+c.Raw]
	if c.Method == squeeze.Stored {
		_, err = io.ReadFull(br, dst)
	} else {
		in := l.packer.dec.Buffer(int(h.Len))
		if _, err = io.ReadFull(br, in); err == nil {
			if err = l.packer.dec.Decode(dst, in, c); err != nil {
				err = fmt.Errorf("%w: receive %d: %w", errProtocol, h.Aux, err)
			}
		}
	}
	if err != nil {
		w.rdv.takeRecv(h.Aux)
		g.req.complete(Status{}, &PeerLostError{Rank: l.peer, Cause: err})
		return err
	}
	g.got += c.Raw
	if g.got == g.st.Bytes {
		w.rdv.takeRecv(h.Aux)
		g.req.complete(g.st, g.err)
	}
	return nil
}
