package osu

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
)

// Data patterns of the point-to-point send buffer (Options.Data).
const (
	DataOSU    = "osu"    // every byte 'a', as OSU fills it (the default)
	DataField  = "field"  // a smooth float64 field: a warm spot on a plate
	DataRandom = "random" // random bytes, which no compressor shrinks
)

// checkData reports whether d names a data pattern.
func checkData(d string) error {
	switch d {
	case "", DataOSU, DataField, DataRandom:
		return nil
	}
	return fmt.Errorf("data %q: want %s, %s or %s: %w", d, DataOSU, DataField, DataRandom, ErrOptions)
}

// buffers returns separate send and receive buffers of n bytes, both
// written so that their pages exist before timing (as OSU touches its
// buffers); the send buffer holds the data pattern (see checkData) and
// the receive buffer 'b'. The pattern matters only where messages are
// compressed (SPMD_COMPRESS).
func buffers(n int, data string) (send, recv []byte) {
	send, recv = make([]byte, n), make([]byte, n)
	for i := range send {
		send[i], recv[i] = 'a', 'b'
	}
	switch data {
	case DataField:
		fillField(send)
	case DataRandom:
		r := rand.New(rand.NewPCG(1, 2))
		for i := range send {
			send[i] = byte(r.Uint32())
		}
	}
	return send, recv
}

// fillField writes a smooth float64 field into b (whole words; a tail of
// fewer than 8 bytes stays as it was): a square plate at 20 degrees with a
// Gaussian warm spot of 100 in its middle.
func fillField(b []byte) {
	n := len(b) / 8
	side := max(1, int(math.Sqrt(float64(n))))
	for i := range n {
		x, y := float64(i%side)/float64(side), float64(i/side)/float64(side)
		v := 20 + 80*math.Exp(-20*((x-0.5)*(x-0.5)+(y-0.5)*(y-0.5)))
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
}
