package comm

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/spmd-go/spmd/internal/objcodec"
)

// Gob-encoded objects travel in streams, one per communicator context,
// pair of ranks and direction, so that a type is described once per stream
// rather than in every message. The sender's encoder splits each encoding
// into type descriptions and the value: a value that needs descriptions
// the stream has not carried yet is preceded by a chunk holding them, sent
// to the same rank on the same context with tagObjectTypes, and the value
// carries the count of chunks sent so far (its generation).
//
// The receiver may match the values of one sender in any order (different
// tags, AnySource), but the chunks, all on one tag, it receives in the order
// sent; it decodes a value of generation g once it has applied chunks 1…g.
// A chunk is written to the link before the value that first needs it and
// frames between two ranks arrive in the order written, so when a value
// of generation g has arrived, chunks 1…g have too: the receiver takes them
// without waiting, and a generation for which no chunk arrived is an error,
// not a hang. Chunks go out eagerly, or as a non-blocking send when they
// exceed the eager limit or credit, so a sender never waits for a receiver
// to want a chunk.

// tagObjectTypes is the tag of the chunks of type descriptions. It is
// negative, so no user receive (AnyTag included) matches it, and distinct
// from the runtime's internal tags on the collective context.
const tagObjectTypes = -16

// objectStreams is a communicator's gob streams, by rank in the
// communicator, made on first use, and the numbers of its split messages
// (object_split.go).
type objectStreams struct {
	mu   sync.Mutex
	send map[int]*sendStream
	recv map[int]*recvStream

	splitSeq atomic.Uint32
}

// sendStream is the sending end of one stream. mu serialises encodings
// and the chunks' sends, so chunks leave in the order of their numbers.
type sendStream struct {
	mu      sync.Mutex
	enc     *objcodec.GobEncoder
	pending []*Request // chunks sent without the eager path, not yet complete
}

// recvStream is the receiving end of one stream. mu serialises taking
// chunks and decoding.
type recvStream struct {
	mu  sync.Mutex
	dec *objcodec.GobDecoder
}

// streams returns c's object streams, made on first use.
func (c *Comm) streams() *objectStreams {
	if s := c.objs.Load(); s != nil {
		return s
	}
	c.objs.CompareAndSwap(nil, &objectStreams{send: map[int]*sendStream{}, recv: map[int]*recvStream{}})
	return c.objs.Load()
}

func (s *objectStreams) sendTo(dest int) *sendStream {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.send[dest]
	if st == nil {
		st = &sendStream{enc: objcodec.NewGobEncoder()}
		s.send[dest] = st
	}
	return st
}

func (s *objectStreams) recvFrom(source int) *recvStream {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.recv[source]
	if st == nil {
		st = &recvStream{dec: objcodec.NewGobDecoder()}
		s.recv[source] = st
	}
	return st
}

// encodeGob gob-encodes v on the stream to dest, sending the chunk of type
// descriptions it needs first, and returns the value's message (a buffer
// from objBuf).
func (c *Comm) encodeGob(v any, dest int) ([]byte, error) {
	s := c.streams().sendTo(dest)
	s.mu.Lock()
	defer s.mu.Unlock()
	chunk, msg, err := s.enc.Encode(v, objBuf)
	if err != nil {
		return nil, err
	}
	if chunk != nil {
		if err := c.sendChunk(s, chunk, dest); err != nil {
			releaseObjBuf(msg)
			return nil, fmt.Errorf("type descriptions: %w", err)
		}
	}
	return msg, nil
}

// sendChunk sends a chunk of type descriptions to dest without waiting for
// the receiver: eagerly, or else as a request kept in s until it
// completes. The caller holds s.mu.
func (c *Comm) sendChunk(s *sendStream, chunk []byte, dest int) error {
	live := s.pending[:0]
	for _, r := range s.pending {
		if !r.isDone() {
			live = append(live, r)
		} else if _, err := r.Wait(); err != nil {
			return err
		}
	}
	clear(s.pending[len(live):])
	s.pending = live
	if sent, err := c.sendEager(c.ctx, chunk, dest, tagObjectTypes); sent {
		return err
	}
	req := new(Request)
	c.isend(c.ctx, chunk, dest, tagObjectTypes, false, req)
	s.pending = append(s.pending, req)
	return nil
}

// decodeGob decodes the payload of a stream's value of generation gen from
// source into ptr, first taking the chunks it needs.
func (c *Comm) decodeGob(gen uint32, payload []byte, source int, ptr any) error {
	s := c.streams().recvFrom(source)
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.dec.Needs(gen) {
		if _, ok, err := c.w.eng.Probe(c.ctx, source, tagObjectTypes); !ok {
			if err != nil {
				return fmt.Errorf("type descriptions: %w", err)
			}
			return fmt.Errorf("%w: %w: a value that needs type descriptions rank %d never sent",
				ErrDecode, objcodec.ErrMalformed, source)
		}
		chunk, _, err := c.recvAlloc(source, tagObjectTypes)
		if err != nil {
			return fmt.Errorf("type descriptions: %w", err)
		}
		s.dec.AddChunk(chunk)
	}
	if err := s.dec.Decode(gen, payload, ptr); err != nil {
		return fmt.Errorf("%w: %w", ErrDecode, err)
	}
	return nil
}
