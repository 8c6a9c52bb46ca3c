package osu

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

func TestBuffersData(t *testing.T) {
	send, recv := buffers(1<<12, DataField)
	if recv[0] != 'b' {
		t.Fatalf("receive buffer not touched")
	}
	for i := 8; i < len(send); i += 8 {
		v := math.Float64frombits(binary.LittleEndian.Uint64(send[i:]))
		if v < 20 || v > 100 || math.IsNaN(v) {
			t.Fatalf("field value %v at %d, want 20..100", v, i/8)
		}
	}
	a, _ := buffers(64, DataRandom)
	b, _ := buffers(64, DataOSU)
	if string(a) == string(b) || b[5] != 'a' {
		t.Fatalf("random %q, osu %q", a, b)
	}
	o := DefaultOptions(Latency)
	o.Data = "zeros"
	if err := o.Check(); !errors.Is(err, ErrOptions) {
		t.Fatalf("data zeros: %v", err)
	}
}
