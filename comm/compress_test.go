package comm_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// warmPlate is a smooth float64 field of n values: a warm spot on a plate
// at a constant temperature.
func warmPlate(n int) []float64 {
	f := make([]float64, n)
	side := int(math.Sqrt(float64(n)))
	for i := range f {
		x, y := float64(i%side)/float64(side), float64(i/side)/float64(side)
		f[i] = 20 + 80*math.Exp(-20*((x-0.5)*(x-0.5)+(y-0.5)*(y-0.5)))
	}
	return f
}

func noise(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestCompressDeliversExactly sends compressible and incompressible
// messages of awkward sizes both ways with each method and checks every
// byte, what went on the wire, and truncation.
func TestCompressDeliversExactly(t *testing.T) {
	field := warmPlate(3<<17 + 3) // 3 MiB and a bit: chunks and a short tail
	random := noise(2<<20+5, 1)
	for _, method := range []string{"s2", "zstd"} {
		t.Run(method, func(t *testing.T) {
			cfg := comm.Config{Transport: comm.TransportTCP, Compress: method}
			err := commtest.Run(2, func(c *comm.Comm) error {
				peer := 1 - c.Rank()
				if c.Rank() == 0 {
					if err := comm.Send(c, field, peer, 1); err != nil {
						return err
					}
					for range 3 { // a policy that gave up on random data tries again later
						if err := comm.Send(c, random, peer, 2); err != nil {
							return err
						}
					}
					if err := comm.Send(c, field, peer, 3); err != nil {
						return err
					}
					raw, packed := comm.PackedBytes(c, peer)
					if raw == 0 || packed >= raw {
						return fmt.Errorf("tried %d bytes, sent %d: nothing was compressed", raw, packed)
					}
					// The truncated receive below must fail, not hang.
					return comm.Send(c, field, peer, 4)
				}
				got := make([]float64, len(field))
				if _, err := comm.Recv(c, got, peer, 1); err != nil {
					return err
				}
				if !equalBits(got, field) {
					return errors.New("smooth field differs after compression")
				}
				b := make([]byte, len(random))
				for range 3 {
					if _, err := comm.Recv(c, b, peer, 2); err != nil {
						return err
					}
					if !bytes.Equal(b, random) {
						return errors.New("random data differs")
					}
				}
				if _, err := comm.Recv(c, got, peer, 3); err != nil || !equalBits(got, field) {
					return fmt.Errorf("second field: %v", err)
				}
				short := make([]float64, len(field)/2)
				st, err := comm.Recv(c, short, peer, 4)
				if !errors.Is(err, comm.ErrTruncate) || st.Bytes != 8*len(short) || !equalBits(short, field[:len(short)]) {
					return fmt.Errorf("truncated receive: %v, %d bytes", err, st.Bytes)
				}
				return nil
			}, commtest.Config(cfg))
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func equalBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// TestCompressStopsOnRandomData checks that a peer sending data that does
// not shrink stops compressing it: of many random messages only a few are
// tried.
func TestCompressStopsOnRandomData(t *testing.T) {
	random := noise(256<<10, 2)
	const n = 40
	err := commtest.Run(2, func(c *comm.Comm) error {
		if c.Rank() == 1 {
			b := make([]byte, len(random))
			for range n {
				if _, err := comm.Recv(c, b, 0, 0); err != nil {
					return err
				}
			}
			return nil
		}
		for range n {
			if err := comm.Send(c, random, 1, 0); err != nil {
				return err
			}
		}
		raw, packed := comm.PackedBytes(c, 1)
		if tried := raw / uint64(len(random)); tried > 8 {
			return fmt.Errorf("tried %d of %d random messages, want the policy to stop", tried, n)
		}
		if packed != raw {
			return fmt.Errorf("random data went as %d bytes for %d", packed, raw)
		}
		return nil
	}, commtest.Config(comm.Config{Transport: comm.TransportTCP, Compress: "s2"}))
	if err != nil {
		t.Fatal(err)
	}
}

func TestCompressBadSetting(t *testing.T) {
	t.Setenv("SPMD_COMPRESS", "gzip")
	_, err := comm.ConfigFromEnv()
	if err == nil {
		cfg, _ := comm.ConfigFromEnv()
		err = commtest.Run(1, func(*comm.Comm) error { return nil }, commtest.Config(cfg))
	}
	if !errors.Is(err, comm.ErrArg) {
		t.Fatalf("SPMD_COMPRESS=gzip: %v, want ErrArg", err)
	}
}
