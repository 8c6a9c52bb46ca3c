package comm_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/spmd-go/spmd/internal/commhook"
	"github.com/spmd-go/spmd/internal/objcodec"
	"github.com/stretchr/testify/require"
)

// splitEager is the eager limit of the split tests' links: values whose
// message (8-byte header and payload) exceeds it travel split.
const splitEager = 1024

// splitTransports run the split tests over every kind of link, with a
// small eager limit so that modest sizes cross it.
func splitTransports() map[string]comm.Config {
	return map[string]comm.Config{
		"tcp":       {Transport: "tcp", EagerLimit: splitEager, ShmEagerLimit: splitEager},
		"shm":       {Transport: "shm", EagerLimit: splitEager, ShmEagerLimit: splitEager},
		"shm-nocma": {Transport: "shm", NoCMA: true, EagerLimit: splitEager, ShmEagerLimit: splitEager},
	}
}

// splitSizes are payload sizes in bytes around the split threshold (a
// message of splitEager bytes, the payload's 8-byte header included) and
// well past it (rendezvous sizes); a slice holds as many whole elements as
// fit. The odd ones are for []byte and strings.
var (
	splitSizes    = []int{0, 16, splitEager - 12, splitEager - 8, splitEager - 4, splitEager, splitEager + 16, 64<<10 + 16, 1 << 20}
	splitOddSizes = []int{1, 7, splitEager - 9, splitEager - 7, splitEager + 1, 64<<10 + 3}
)

// bigBlob marshals itself to as many bytes as it holds.
type bigBlob struct{ b []byte }

func (b bigBlob) MarshalBinary() ([]byte, error) { return append([]byte(nil), b.b...), nil }

func (b *bigBlob) UnmarshalBinary(p []byte) error {
	b.b = append(b.b[:0], p...)
	return nil
}

// splitValue returns a value of kind i (of splitKinds) whose payload is
// n bytes, filled with a pattern that depends on seed, and a pointer to
// receive it into.
func splitValue(i, n int, seed byte) (v any, ptr func() any) {
	pat := make([]byte, n)
	for j := range pat {
		pat[j] = byte(j*7) + seed
	}
	switch i {
	case 0:
		return pat, func() any { return new([]byte) }
	case 1:
		return string(pat), func() any { return new(string) }
	case 2:
		return fromBytes[int16](pat), func() any { return new([]int16) }
	case 3:
		return fromBytes[float64](pat), func() any { return new([]float64) }
	case 4:
		return fromBytes[complex128](pat), func() any { return new([]complex128) }
	case 5:
		return vector(fromBytes[float64](pat)), func() any { return new(vector) }
	case 6:
		return bigBlob{pat}, func() any { return new(bigBlob) }
	}
	return fromBytes[uint32](pat), func() any { var a any; return &a } // into an interface
}

const splitKinds = 8

// fromBytes returns a []T holding pat's bytes (len(pat) a multiple of T's
// size).
func fromBytes[T any](pat []byte) []T {
	var z T
	s := make([]T, len(pat)/int(unsafe.Sizeof(z)))
	if len(s) > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(pat)), pat)
	}
	return s
}

// sameValue compares what was sent with what was received: equal, or both
// empty.
func sameValue(sent, got any) bool {
	if reflect.DeepEqual(sent, got) {
		return true
	}
	a, b := reflect.ValueOf(sent), reflect.ValueOf(got)
	if a.Kind() == reflect.Struct { // bigBlob
		a, b = a.Field(0), b.Field(0)
	}
	return a.Type() == b.Type() && a.Len() == 0 && b.Len() == 0
}

// TestObjectSplitRoundTrips sends a value of every splittable kind at
// sizes on both sides of the split threshold and far past it, over every
// transport, with a gob value between each two on the same pair, and to
// the sending rank itself when the value is small enough to go eagerly.
func TestObjectSplitRoundTrips(t *testing.T) {
	for name, cfg := range splitTransports() {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
				for i := range splitKinds {
					sizes := splitSizes
					if i <= 1 { // []byte and string take any length
						sizes = append(append([]int(nil), splitSizes...), splitOddSizes...)
					}
					for _, n := range sizes {
						if err := splitRoundTrip(c, i, n); err != nil {
							return fmt.Errorf("kind %d, %d bytes: %w", i, n, err)
						}
					}
				}
				return nil
			}, commtest.Config(cfg), commtest.Timeout(60*time.Second)))
		})
	}
}

func splitRoundTrip(c *comm.Comm, i, n int) error {
	other := 1 - c.Rank()
	v, ptr := splitValue(i, n, byte(c.Rank()))
	want, _ := splitValue(i, n, byte(other))
	gob := objPoint{X: float64(n), Name: "between"}
	// Rank 0 sends first; rank 1 answers: every send meets a receive.
	for turn := range 2 {
		if c.Rank() == turn {
			if err := comm.SendObj(c, v, other, i); err != nil {
				return err
			}
			if err := comm.SendObj(c, gob, other, 100+i); err != nil {
				return err
			}
			continue
		}
		p := ptr()
		st, err := comm.RecvObj(c, p, other, i)
		if err != nil {
			return err
		}
		if got := reflect.ValueOf(p).Elem().Interface(); !sameValue(want, got) {
			return fmt.Errorf("got %T of another value than sent", got)
		}
		x, _, _ := objcodec.View(want)
		if st.Source != other || st.Tag != i || st.Bytes != objcodec.HeaderSize+x.Len() {
			return fmt.Errorf("status %+v", st)
		}
		var q objPoint
		if _, err := comm.RecvObj(c, &q, other, 100+i); err != nil || q != gob {
			return fmt.Errorf("gob value between: %+v, %v", q, err)
		}
	}
	if x, _, _ := objcodec.View(v); x.Len()+objcodec.HeaderSize <= splitEager { // a larger one to self would wait for itself
		if err := comm.SendObj(c, v, c.Rank(), 7); err != nil {
			return err
		}
		p := ptr()
		if _, err := comm.RecvObj(c, p, c.Rank(), 7); err != nil {
			return err
		}
		if got := reflect.ValueOf(p).Elem().Interface(); !sameValue(v, got) {
			return fmt.Errorf("to self: got %T of another value than sent", got)
		}
	}
	return nil
}

// TestObjectSplitIntoCapacity checks that a large value travels split and
// is received into the capacity the receiver's slice already has, and
// into one new array when that is too small.
func TestObjectSplitIntoCapacity(t *testing.T) {
	require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
		const n = 64 << 10
		if c.Rank() == 0 {
			send := make([]float64, n)
			for i := range send {
				send[i] = float64(i)
			}
			for range 2 {
				if err := comm.SendObj(c, &send, 1, 0); err != nil {
					return err
				}
			}
			return nil
		}
		// What arrives first is the head alone.
		if st, err := c.Probe(0, 0); err != nil || st.Bytes != objcodec.SplitSize {
			return fmt.Errorf("probe: %+v, %v; want a %d-byte head", st, err, objcodec.SplitSize)
		}
		recv := make([]float64, 3, n+5)
		base := &recv[:1][0]
		if _, err := comm.RecvObj(c, &recv, 0, 0); err != nil {
			return err
		}
		if len(recv) != n || &recv[0] != base || recv[n-1] != n-1 {
			return fmt.Errorf("received %d elements, in place %v", len(recv), &recv[0] == base)
		}
		small := make([]float64, 0, 10)
		if _, err := comm.RecvObj(c, &small, 0, 0); err != nil {
			return err
		}
		if len(small) != n || cap(small) != n || small[n-1] != n-1 {
			return fmt.Errorf("into a small slice: len %d cap %d", len(small), cap(small))
		}
		return nil
	}, commtest.Config(comm.Config{Transport: "shm"}), commtest.Timeout(60*time.Second)))
}

// TestObjectSplitWrongType receives split values into pointers of other
// types: an error wrapping ErrDecode and ErrType, the sender not left
// waiting, and the next message unaffected.
func TestObjectSplitWrongType(t *testing.T) {
	for name, cfg := range splitTransports() {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
				big := make([]float64, 4*splitEager)
				if c.Rank() == 0 {
					for _, v := range []any{big, bigBlob{make([]byte, 4*splitEager)}, "x" + string(make([]byte, 4*splitEager))} {
						if err := comm.SendObj(c, v, 1, 0); err != nil {
							return err
						}
					}
					return comm.SendObj(c, big, 1, 1)
				}
				for _, p := range []any{new([]int32), new([]float64), new(bigBlob)} {
					_, err := comm.RecvObj(c, p, 0, 0)
					if !errors.Is(err, comm.ErrDecode) || !errors.Is(err, objcodec.ErrType) {
						return fmt.Errorf("into %T: %v", p, err)
					}
				}
				var ok []float64
				if _, err := comm.RecvObj(c, &ok, 0, 1); err != nil || len(ok) != len(big) {
					return fmt.Errorf("next message: %d elements, %v", len(ok), err)
				}
				return nil
			}, commtest.Config(cfg), commtest.Timeout(60*time.Second)))
		})
	}
}

// TestObjectSplitConcurrent has goroutines on one rank send split values
// with one tag while goroutines on the other receive them with AnySource
// and that tag: every head must find its own payload.
func TestObjectSplitConcurrent(t *testing.T) {
	const workers, each = 4, 15
	for name, cfg := range splitTransports() {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
				return goroutines(workers, each, func(g, k int) error { return splitWorker(c, g, k) })
			}, commtest.Config(cfg), commtest.Timeout(60*time.Second)))
		})
	}
}

// goroutines runs f(g, k) for k = 0 … each−1 on each of workers
// goroutines g, and returns the first error (a goroutine stops at its
// first).
func goroutines(workers, each int, f func(g, k int) error) error {
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for g := range workers {
		wg.Go(func() {
			for k := range each {
				if err := f(g, k); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func splitWorker(c *comm.Comm, g, k int) error {
	if c.Rank() == 0 {
		// A payload whose every byte names its sender and number,
		// of a length that names them too.
		n := 2*splitEager + 64*(g*each0+k)
		b := bytes.Repeat([]byte{byte(g*each0 + k)}, n)
		return comm.SendObj(c, b, 1, 3)
	}
	var b []byte
	if _, err := comm.RecvObj(c, &b, comm.AnySource, 3); err != nil {
		return err
	}
	id := int(b[0])
	if len(b) != 2*splitEager+64*id || bytes.Count(b, b[:1]) != len(b) {
		return fmt.Errorf("payload of %d bytes starting %d: not one sender's", len(b), id)
	}
	return nil
}

// each0 spaces the workers' numbers in splitWorker (more than the
// messages each sends).
const each0 = 16

// TestObjectSendrecv exchanges values both ways at once through the
// object collectives' send-and-receive (internal/commhook): large ones,
// whose rendezvous cross, small ones and gob values, over every transport,
// and with ProcNull on either side.
func TestObjectSendrecv(t *testing.T) {
	for name, cfg := range splitTransports() {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
				other := 1 - c.Rank()
				for i := range splitKinds {
					for _, n := range []int{16, 64<<10 + 16} {
						v, _ := splitValue(i, n, byte(c.Rank()))
						want, ptr := splitValue(i, n, byte(other))
						p := ptr()
						if err := commhook.SendrecvObj(c, v, other, i, p, other, i); err != nil {
							return fmt.Errorf("kind %d, %d bytes: %w", i, n, err)
						}
						if got := reflect.ValueOf(p).Elem().Interface(); !sameValue(want, got) {
							return fmt.Errorf("kind %d, %d bytes: got another value", i, n)
						}
					}
				}
				var q objPoint
				if err := commhook.SendrecvObj(c, objPoint{X: float64(c.Rank())}, other, 50, &q, other, 50); err != nil || q.X != float64(other) {
					return fmt.Errorf("gob: %+v, %v", q, err)
				}
				// Half an exchange: one rank only sends, the other only
				// receives.
				big := make([]float64, 64<<10)
				var got []float64
				dest, source := other, comm.ProcNull
				if c.Rank() == 1 {
					dest, source = comm.ProcNull, other
				}
				if err := commhook.SendrecvObj(c, big, dest, 51, &got, source, 51); err != nil {
					return err
				}
				if c.Rank() == 1 && len(got) != len(big) {
					return fmt.Errorf("from ProcNull's partner: %d elements", len(got))
				}
				return nil
			}, commtest.Config(cfg), commtest.Timeout(60*time.Second)))
		})
	}
}

// TestObjectSplitAnyTag has goroutines receive split values with
// AnySource and AnyTag while others send them: a receive for any tag must
// match heads only, never a payload whose head another goroutine took.
func TestObjectSplitAnyTag(t *testing.T) {
	const workers, each, n = 4, 10, 4 * splitEager
	require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
		return goroutines(workers, each, func(g, k int) error { return anyTagWorker(c, g*each+k, n) })
	}, commtest.Config(splitTransports()["shm"]), commtest.Timeout(60*time.Second)))
}

// anyTagWorker sends message id (rank 0) or receives any message (rank 1).
func anyTagWorker(c *comm.Comm, id, n int) error {
	if c.Rank() == 0 {
		return comm.SendObj(c, bytes.Repeat([]byte{byte(id)}, n+id), 1, id)
	}
	var b []byte
	st, err := comm.RecvObj(c, &b, comm.AnySource, comm.AnyTag)
	if err != nil {
		return err
	}
	if len(b) != n+st.Tag || bytes.Count(b, []byte{byte(st.Tag)}) != len(b) {
		return fmt.Errorf("tag %d: %d bytes", st.Tag, len(b))
	}
	return nil
}
