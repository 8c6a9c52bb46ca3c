package objcodec

import (
	"bytes"
	"testing"
)

// FuzzDecode checks that no message makes the decoders panic, and that a
// fast value decoded into its own type encodes back to the same bytes.
func FuzzDecode(f *testing.F) {
	for _, v := range []any{[]byte("ab"), "s", []float64{1.5}, []int32{-1}, 7, true, complex64(1i), stamp{}} {
		msg, _, _ := EncodeFast(v, alloc)
		f.Add(msg)
	}
	for _, v := range []any{point{1, 2, "p"}, holder{square{1}}, map[string][]int{"a": {1}}} {
		msg, _ := EncodeSelf(v, alloc)
		f.Add(msg)
	}
	f.Add([]byte{byte(KindGobStream), 0, 0, 0, 1, 0, 0, 0, 3, 0xff, 0x80, 0})
	f.Fuzz(func(t *testing.T, msg []byte) {
		targets := []any{new([]byte), new(string), new([]float64), new([]int32), new(int), new(bool),
			new(complex64), new(any), new(point), new(holder), new(map[string][]int), new(stamp)}
		for _, p := range targets {
			_ = DecodeSelf(msg, p)
		}
		k, gen, payload, err := Header(msg)
		if err != nil {
			return
		}
		if k == KindGobStream {
			d := NewGobDecoder()
			_ = d.Decode(gen, payload, new(point))
			return
		}
		if k == KindGobSelf || k == KindBinary {
			return
		}
		var v any
		if _, err := DecodeFast(k, payload, &v, true); err != nil {
			t.Fatalf("%v payload of %d bytes into any: %v", k, len(payload), err)
		}
		again, ok, err := EncodeFast(v, alloc)
		if !ok || err != nil || !bytes.Equal(again, msg) {
			t.Fatalf("%v: re-encoded %x, want %x (%v)", k, again, msg, err)
		}
	})
}

// FuzzGobStream feeds a stream's decoder a chunk and a value, each either
// real or arbitrary bytes: errors, never a panic or a hang.
func FuzzGobStream(f *testing.F) {
	enc := NewGobEncoder()
	chunk, msg, _ := enc.Encode(point{1, 2, "p"}, alloc)
	f.Add(chunk, msg[HeaderSize:])
	chunk2, msg2, _ := enc.Encode(wrapped{N: 2}, alloc)
	f.Add(chunk2, msg2[HeaderSize:])
	f.Add([]byte{}, []byte{3, 0xff, 0x80, 0})
	f.Fuzz(func(t *testing.T, chunk, value []byte) {
		d := NewGobDecoder()
		d.AddChunk(chunk)
		for _, p := range []any{new(point), new(wrapped), new(map[string]int), new(any)} {
			_ = d.Decode(1, value, p)
		}
		_, _, _ = splitGob(chunk)
	})
}
