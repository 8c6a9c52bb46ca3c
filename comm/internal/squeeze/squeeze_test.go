package squeeze

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// smoothField is a float64 field of n values: a warm spot on a plate at a
// constant temperature, as a heat solver's state looks.
func smoothField(n int) []byte {
	b := make([]byte, 8*n)
	side := int(math.Sqrt(float64(n)))
	for i := range n {
		x, y := float64(i%side)/float64(side), float64(i/side)/float64(side)
		v := 20 + 80*math.Exp(-20*((x-0.5)*(x-0.5)+(y-0.5)*(y-0.5)))
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	return b
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// send encodes msg chunk by chunk as a link does and decodes every chunk
// into a buffer of the message's size, returning it and the packed bytes.
func send(t *testing.T, e *Encoder, d *Decoder, msg []byte) ([]byte, int) {
	t.Helper()
	got := make([]byte, len(msg))
	wire := 0
	e.Begin()
	for off := 0; off < len(msg); off += MaxChunk {
		raw := msg[off:min(off+MaxChunk, len(msg))]
		packed, c := e.Encode(raw, off == 0)
		wire += len(packed)
		pc, err := ParseChunk(c.Flags(), uint64(c.Raw), uint64(len(packed)))
		if err != nil {
			t.Fatalf("ParseChunk of what Encode made: %v", err)
		}
		in := d.Buffer(len(packed))
		copy(in, packed)
		if err := d.Decode(got[off:off+len(raw)], in, pc); err != nil {
			t.Fatalf("chunk at %d: %v", off, err)
		}
	}
	return got, wire
}

func TestRoundTrip(t *testing.T) {
	inputs := map[string][]byte{
		"smooth field":        smoothField(3 << 18),
		"random":              randomBytes(2<<20+5, 1),
		"zeros":               make([]byte, 3<<20),
		"text, not words":     bytes.Repeat([]byte("halo exchange "), 100_003),
		"one byte":            {42},
		"field then random":   append(smoothField(1<<17), randomBytes(1<<20, 2)...),
		"exactly one chunk":   smoothField(MaxChunk / 8),
		"one chunk plus word": smoothField(MaxChunk/8 + 1),
	}
	for _, m := range []Method{S2, Zstd} {
		e, err := NewEncoder(m)
		if err != nil {
			t.Fatal(err)
		}
		var d Decoder
		for name, msg := range inputs {
			got, wire := send(t, e, &d, msg)
			if !bytes.Equal(got, msg) {
				t.Fatalf("%v %s: data differs after the round trip", m, name)
			}
			t.Logf("%v %-20s %8d → %8d bytes (%.2f×)", m, name, len(msg), wire, float64(len(msg))/float64(wire))
		}
	}
}

func TestSmoothFieldShrinksRandomDoesNot(t *testing.T) {
	for _, m := range []Method{S2, Zstd} {
		e, _ := NewEncoder(m)
		var d Decoder
		field := smoothField(2 << 20) // 16 MiB
		if _, wire := send(t, e, &d, field); float64(len(field))/float64(wire) < 1.6 {
			t.Errorf("%v: smooth field %d → %d bytes, want at least 1.6× smaller", m, len(field), wire)
		}
		if !e.Shrank() {
			t.Errorf("%v: smooth field did not count as shrinking", m)
		}
		random := randomBytes(4<<20, 3)
		if _, wire := send(t, e, &d, random); wire != len(random) {
			t.Errorf("%v: random data sent as %d bytes, want the %d raw ones stored", m, wire, len(random))
		}
		if e.Shrank() {
			t.Errorf("%v: random data counted as shrinking", m)
		}
	}
}

func TestPolicy(t *testing.T) {
	var p Policy
	// Outcomes of tried messages (true: shrank) and, after each, how many
	// messages are skipped before the next try.
	steps := []struct {
		shrank bool
		skips  int
	}{{false, 1}, {false, 2}, {false, 4}, {true, 0}, {false, 1}, {false, 2}}
	for i, s := range steps {
		if !p.Try() {
			t.Fatalf("step %d: not tried", i)
		}
		p.Observe(s.shrank)
		for k := range s.skips {
			if p.Try() {
				t.Fatalf("step %d: message %d after it tried, want %d skipped", i, k, s.skips)
			}
		}
	}
	for range 20 {
		p.Observe(false)
	}
	if p.penalty != maxSkip {
		t.Fatalf("penalty %d after many failures, want the cap %d", p.penalty, maxSkip)
	}
}

func TestParseChunkRejects(t *testing.T) {
	for _, c := range []struct {
		name        string
		flags       uint32
		raw, packed uint64
	}{
		{"unknown method", 7, 10, 10},
		{"stray flag bits", uint32(S2) | 1<<12, 10, 10},
		{"empty", uint32(S2), 0, 1},
		{"too big", uint32(S2), MaxChunk + 1, 10},
		{"stored length differs", 0, 10, 11},
		{"stored and shuffled", 1 << 8, 16, 16},
		{"packed far too long", uint32(Zstd), 100, 100_000},
		{"no packed bytes", uint32(S2), 100, 0},
		{"shuffled part word", uint32(S2) | 1<<8, 12, 10},
	} {
		if _, err := ParseChunk(c.flags, c.raw, c.packed); !errors.Is(err, ErrChunk) {
			t.Errorf("%s: %v, want ErrChunk", c.name, err)
		}
	}
	if _, err := ParseMethod("lz4"); !errors.Is(err, ErrMethod) {
		t.Errorf("ParseMethod(lz4) = %v", err)
	}
}

func TestDecodeRejectsLies(t *testing.T) {
	e, _ := NewEncoder(S2)
	e.Begin()
	msg := smoothField(1 << 16)
	packed, c := e.Encode(msg, true)
	var d Decoder
	if err := d.Decode(make([]byte, c.Raw-8), packed, c); !errors.Is(err, ErrChunk) {
		t.Errorf("short destination: %v", err)
	}
	c.Raw -= 8
	if err := d.Decode(make([]byte, c.Raw), packed, c); !errors.Is(err, ErrChunk) {
		t.Errorf("raw length that the s2 data does not have: %v", err)
	}
	ez, _ := NewEncoder(Zstd)
	ez.Begin()
	packed, c = ez.Encode(msg, true)
	c.Raw -= 8
	if err := d.Decode(make([]byte, c.Raw), packed, c); !errors.Is(err, ErrChunk) {
		t.Errorf("raw length that the zstd data does not have: %v", err)
	}
	c.Raw += 16
	if err := d.Decode(make([]byte, c.Raw), packed, c); !errors.Is(err, ErrChunk) {
		t.Errorf("raw length longer than the zstd data: %v", err)
	}
}

func TestSteadyStateAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers")
	}
	for _, m := range []Method{S2, Zstd} {
		e, _ := NewEncoder(m)
		var d Decoder
		msg := smoothField(MaxChunk / 8)
		dst := make([]byte, len(msg))
		run := func() {
			e.Begin()
			packed, c := e.Encode(msg, true)
			in := d.Buffer(len(packed))
			copy(in, packed)
			if err := d.Decode(dst, in, c); err != nil {
				t.Fatal(err)
			}
		}
		run()
		if n := testing.AllocsPerRun(5, run); n != 0 {
			t.Errorf("%v: %v allocations per message in steady state", m, n)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, m := range []Method{S2, Zstd} {
		e, _ := NewEncoder(m)
		e.Begin()
		packed, c := e.Encode(smoothField(512), true)
		f.Add(c.Flags(), uint64(c.Raw), bytes.Clone(packed))
	}
	f.Add(uint32(0), uint64(3), []byte("abc"))
	f.Add(uint32(Zstd), uint64(8), []byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0})
	var d Decoder
	f.Fuzz(func(t *testing.T, flags uint32, raw uint64, packed []byte) {
		c, err := ParseChunk(flags, raw, uint64(len(packed)))
		if err != nil {
			return
		}
		_ = d.Decode(make([]byte, c.Raw), packed, c)
	})
}
