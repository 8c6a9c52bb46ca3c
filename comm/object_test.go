package comm_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/spmd-go/spmd/internal/objcodec"
	"github.com/stretchr/testify/require"
)

type objPoint struct {
	X, Y float64
	Name string
}

type objPath struct {
	Steps []objPoint
	Cost  map[string]int
}

// celsius marshals itself: SendObj sends what MarshalBinary returns.
type celsius struct{ deg float64 }

func (c celsius) MarshalBinary() ([]byte, error) {
	return binary.LittleEndian.AppendUint64(nil, math.Float64bits(c.deg)), nil
}

func (c *celsius) UnmarshalBinary(b []byte) error {
	if len(b) != 8 {
		return fmt.Errorf("celsius of %d bytes", len(b))
	}
	c.deg = math.Float64frombits(binary.LittleEndian.Uint64(b))
	return nil
}

// objValues are a value of every fast type, a BinaryMarshaler, and gob
// values, each with a pointer to receive it into.
func objValues() []struct {
	v   any
	ptr func() any
} {
	return []struct {
		v   any
		ptr func() any
	}{
		{[]byte("hello"), func() any { return new([]byte) }},
		{[]byte{}, func() any { return new([]byte) }},
		{"a string", func() any { return new(string) }},
		{[]int{1, -2, 3}, func() any { return new([]int) }},
		{[]int8{-1, 2}, func() any { return new([]int8) }},
		{[]int16{-300, 2}, func() any { return new([]int16) }},
		{[]int32{-1 << 20, 7}, func() any { return new([]int32) }},
		{[]int64{math.MinInt64, 5}, func() any { return new([]int64) }},
		{[]uint{1, math.MaxUint}, func() any { return new([]uint) }},
		{[]uint16{65535}, func() any { return new([]uint16) }},
		{[]uint32{1 << 31}, func() any { return new([]uint32) }},
		{[]uint64{1 << 63}, func() any { return new([]uint64) }},
		{[]float32{1.5, -0}, func() any { return new([]float32) }},
		{[]float64{math.Pi, math.Inf(-1)}, func() any { return new([]float64) }},
		{[]complex64{1 + 2i}, func() any { return new([]complex64) }},
		{[]complex128{3 - 4i, 0}, func() any { return new([]complex128) }},
		{-42, func() any { return new(int) }},
		{int8(-8), func() any { return new(int8) }},
		{int16(-16), func() any { return new(int16) }},
		{int32(-32), func() any { return new(int32) }},
		{int64(math.MinInt64), func() any { return new(int64) }},
		{uint(7), func() any { return new(uint) }},
		{uint8(8), func() any { return new(uint8) }},
		{uint16(16), func() any { return new(uint16) }},
		{uint32(32), func() any { return new(uint32) }},
		{uint64(math.MaxUint64), func() any { return new(uint64) }},
		{float32(-2.5), func() any { return new(float32) }},
		{math.E, func() any { return new(float64) }},
		{complex64(1 - 1i), func() any { return new(complex64) }},
		{complex(math.Pi, -1), func() any { return new(complex128) }},
		{true, func() any { return new(bool) }},
		{celsius{21.5}, func() any { return new(celsius) }},
		{objPoint{1, 2, "p"}, func() any { return new(objPoint) }},
		{objPath{[]objPoint{{1, 2, "a"}, {3, 4, "b"}}, map[string]int{"km": 7}}, func() any { return new(objPath) }},
		{map[string][]float64{"e": {1, 2}}, func() any { return new(map[string][]float64) }},
		{[]string{"x", "y"}, func() any { return new([]string) }},
		{[]any{1.5, "x"}, func() any { return new([]any) }}, // self-described: holds interfaces
	}
}

// TestObjectRoundTrips sends a value of every fast type, a
// BinaryMarshaler and gob values from rank 0 to rank 1, and the same on
// rank 0 to itself, twice each (the second gob value of a type carries no
// type description).
func TestObjectRoundTrips(t *testing.T) {
	vals := objValues()
	run(t, 2, func(c *comm.Comm) error {
		for round := range 2 {
			for i, x := range vals {
				for _, dest := range []int{1, 0} {
					if c.Rank() == 0 {
						if err := comm.SendObj(c, x.v, dest, i); err != nil {
							return err
						}
					}
					if c.Rank() != dest {
						continue
					}
					p := x.ptr()
					st, err := comm.RecvObj(c, p, 0, i)
					if err != nil {
						return fmt.Errorf("round %d, %T: %w", round, x.v, err)
					}
					got := reflect.ValueOf(p).Elem().Interface()
					if !reflect.DeepEqual(got, x.v) && !(reflect.ValueOf(got).Len() == 0 && reflect.ValueOf(x.v).Len() == 0) {
						return fmt.Errorf("round %d: sent %#v, got %#v", round, x.v, got)
					}
					if st.Source != 0 || st.Tag != i {
						return fmt.Errorf("status %+v", st)
					}
				}
			}
		}
		return nil
	})
}

// TestObjectIntoInterface receives fast types into an interface{}.
func TestObjectIntoInterface(t *testing.T) {
	run(t, 2, func(c *comm.Comm) error {
		sent := []any{[]byte{1, 2}, "s", []float64{1.5}, 7, true, complex64(2i)}
		for _, v := range sent {
			if c.Rank() == 0 {
				if err := comm.SendObj(c, v, 1, 0); err != nil {
					return err
				}
				continue
			}
			var got any
			if _, err := comm.RecvObj(c, &got, 0, 0); err != nil {
				return err
			}
			if !reflect.DeepEqual(got, v) {
				return fmt.Errorf("sent %#v, got %#v", v, got)
			}
		}
		return nil
	})
}

// TestObjectReuse checks that a receive reuses the capacity of the slice it
// decodes into, and that a []byte too small takes a buffer of its own.
func TestObjectReuse(t *testing.T) {
	run(t, 2, func(c *comm.Comm) error {
		if c.Rank() == 0 {
			for _, n := range []int{100, 50, 5000} {
				if err := comm.SendObj(c, make([]byte, n), 1, 0); err != nil {
					return err
				}
			}
			return comm.SendObj(c, []float64{1, 2}, 1, 0)
		}
		b := make([]byte, 0, 200)
		first := &b[:1][0]
		for _, n := range []int{100, 50} {
			if _, err := comm.RecvObj(c, &b, 0, 0); err != nil {
				return err
			}
			if len(b) != n || &b[0] != first {
				return fmt.Errorf("len %d (want %d), reused %v", len(b), n, &b[0] == first)
			}
		}
		if _, err := comm.RecvObj(c, &b, 0, 0); err != nil || len(b) != 5000 {
			return fmt.Errorf("5000 bytes: len %d, %v", len(b), err)
		}
		f := make([]float64, 1, 4)
		if _, err := comm.RecvObj(c, &f, 0, 0); err != nil {
			return err
		}
		return check(len(f) == 2 && cap(f) == 4 && f[1] == 2, "got %v (cap %d)", f, cap(f))
	})
}

// TestObjectMixedStream sends values of several types, gob and fast, on one
// pair and tag in turn; a type described earlier is not described again.
func TestObjectMixedStream(t *testing.T) {
	run(t, 2, func(c *comm.Comm) error {
		seq := []any{objPoint{1, 2, "a"}, []byte("raw"), objPath{Cost: map[string]int{"x": 1}}, "str", objPoint{3, 4, "b"}, map[int]string{1: "one"}, objPath{}}
		if c.Rank() == 1 {
			for _, v := range seq {
				if err := comm.SendObj(c, v, 0, 5); err != nil {
					return err
				}
			}
			return nil
		}
		for i, v := range seq {
			p := reflect.New(reflect.TypeOf(v))
			if _, err := comm.RecvObj(c, p.Interface(), 1, 5); err != nil {
				return fmt.Errorf("value %d: %w", i, err)
			}
			if !reflect.DeepEqual(p.Elem().Interface(), v) {
				return fmt.Errorf("value %d: sent %#v, got %#v", i, v, p.Elem().Interface())
			}
		}
		return nil
	})
}

// TestObjectOutOfOrder receives gob values in another order than sent:
// types first seen on one tag are received first on another, by tag and
// with AnySource, from several senders at once.
func TestObjectOutOfOrder(t *testing.T) {
	type first struct{ A int }
	type second struct{ B string }
	type third struct {
		C []float64
		D first
	}
	run(t, 4, func(c *comm.Comm) error {
		me := c.Rank()
		if me != 0 {
			// Tag 1 describes first, tag 2 second, tag 3 third; tag 4
			// uses all three, described on the earlier tags only.
			for _, m := range []struct {
				v   any
				tag int
			}{{first{me}, 1}, {second{fmt.Sprint(me)}, 2}, {third{[]float64{float64(me)}, first{me}}, 3}, {[]any{first{me * 10}, second{"again"}, third{D: first{me}}}[me%3], 4}} {
				if err := comm.SendObj(c, m.v, 0, m.tag); err != nil {
					return err
				}
			}
			return nil
		}
		for r := range 3 {
			// Every sender's tag-4 value first, from whoever comes.
			var st comm.Status
			var err error
			switch r {
			case 0: // from rank 3: 3%3 == 0 → first
				var v first
				st, err = comm.RecvObj(c, &v, 3, 4)
				err = errors.Join(err, check(v.A == 30, "got %+v", v))
			case 1:
				var v second
				st, err = comm.RecvObj(c, &v, 1, 4)
				err = errors.Join(err, check(v.B == "again", "got %+v", v))
			case 2:
				var v third
				st, err = comm.RecvObj(c, &v, comm.AnySource, 4)
				err = errors.Join(err, check(st.Source == 2 && v.D.A == 2, "got %+v from %d", v, st.Source))
			}
			if err != nil {
				return err
			}
		}
		for tag := 3; tag >= 1; tag-- {
			for range 3 {
				var err error
				var st comm.Status
				switch tag {
				case 3:
					var v third
					st, err = comm.RecvObj(c, &v, comm.AnySource, tag)
					err = errors.Join(err, check(v.C[0] == float64(st.Source) && v.D.A == st.Source, "got %+v from %d", v, st.Source))
				case 2:
					var v second
					st, err = comm.RecvObj(c, &v, comm.AnySource, tag)
					err = errors.Join(err, check(v.B == fmt.Sprint(st.Source), "got %+v from %d", v, st.Source))
				case 1:
					var v first
					st, err = comm.RecvObj(c, &v, comm.AnySource, tag)
					err = errors.Join(err, check(v.A == st.Source, "got %+v from %d", v, st.Source))
				}
				if err != nil {
					return fmt.Errorf("tag %d: %w", tag, err)
				}
			}
		}
		return nil
	})
}

// TestObjectConcurrent has goroutines on both ranks send and receive gob
// values of types new to the stream at once, on their own tags.
func TestObjectConcurrent(t *testing.T) {
	type a struct{ N int }
	type b struct{ S []string }
	const workers, rounds = 6, 20
	run(t, 2, func(c *comm.Comm) error {
		other := 1 - c.Rank()
		errs := make(chan error, 2*workers)
		for g := range workers {
			go func() {
				for i := range rounds {
					var v any = a{g*1000 + i}
					if (g+i)%2 == 1 {
						v = b{[]string{fmt.Sprint(g), fmt.Sprint(i)}}
					}
					if err := comm.SendObj(c, v, other, g); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
			go func() {
				for i := range rounds {
					if (g+i)%2 == 1 {
						var v b
						if _, err := comm.RecvObj(c, &v, other, g); err != nil || v.S[1] != fmt.Sprint(i) {
							errs <- fmt.Errorf("worker %d round %d: %+v, %v", g, i, v, err)
							return
						}
					} else {
						var v a
						if _, err := comm.RecvObj(c, &v, other, g); err != nil || v.N != g*1000+i {
							errs <- fmt.Errorf("worker %d round %d: %+v, %v", g, i, v, err)
							return
						}
					}
				}
				errs <- nil
			}()
		}
		var all []error
		for range 2 * workers {
			all = append(all, <-errs)
		}
		return errors.Join(all...)
	})
}

// TestObjectBadInput receives what RecvObj cannot decode: another type than
// the pointer's, bytes sent by Send, a gob value that claims type
// descriptions never sent. Each fails with ErrDecode, and the next message
// decodes.
func TestObjectBadInput(t *testing.T) {
	type other struct{ Q chan int }
	run(t, 2, func(c *comm.Comm) error {
		if c.Rank() == 0 {
			bogusGen := make([]byte, objcodec.HeaderSize+4)
			objcodec.PutHeader(bogusGen, objcodec.KindGobStream, 7)
			errs := []error{
				comm.SendObj(c, []float64{1}, 1, 0),
				comm.SendObj(c, objPoint{1, 2, "p"}, 1, 0),
				comm.Send(c, []byte("not an object"), 1, 0),
				comm.Send(c, []byte{}, 1, 0),
				comm.Send(c, bogusGen, 1, 0),
				comm.SendObj(c, celsius{1}, 1, 0),
				comm.SendObj(c, "ok", 1, 0),
			}
			return errors.Join(errs...)
		}
		var ints []int
		var o struct{ Z complex128 }
		var str string
		for i, p := range []any{&ints, &o, &str, &str, &str, &str} {
			_, err := comm.RecvObj(c, p, 0, 0)
			if !errors.Is(err, comm.ErrDecode) {
				return fmt.Errorf("message %d into %T: got %v, want ErrDecode", i, p, err)
			}
		}
		_, err := comm.RecvObj(c, &str, 0, 0)
		return errors.Join(err, check(str == "ok", "got %q", str))
	})
	// What cannot be encoded fails on the sender, and sends nothing.
	require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
		if c.Rank() == 1 {
			return nil
		}
		for _, v := range []any{nil, (*objPoint)(nil), other{}, func() {}} {
			if err := comm.SendObj(c, v, 1, 0); err == nil {
				return fmt.Errorf("%T encoded", v)
			}
		}
		return nil
	}))
}

// TestObjectProcNull sends to and receives from ProcNull.
func TestObjectProcNull(t *testing.T) {
	require.NoError(t, commtest.Run(1, func(c *comm.Comm) error {
		if err := comm.SendObj(c, objPoint{}, comm.ProcNull, 0); err != nil {
			return err
		}
		s := "unchanged"
		st, err := comm.RecvObj(c, &s, comm.ProcNull, 0)
		return errors.Join(err, check(st.Source == comm.ProcNull && s == "unchanged", "%+v %q", st, s))
	}))
}

// TestObjectSplitStreams checks that a communicator made by Split keeps
// streams of its own: a type described on the parent is described again.
func TestObjectSplitStreams(t *testing.T) {
	require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
		sub, err := c.Dup()
		if err != nil {
			return err
		}
		for _, cc := range []*comm.Comm{c, sub, c, sub} {
			if c.Rank() == 0 {
				if err := comm.SendObj(cc, objPoint{1, 1, "x"}, 1, 0); err != nil {
					return err
				}
				continue
			}
			var p objPoint
			if _, err := comm.RecvObj(cc, &p, 0, 0); err != nil || p.Name != "x" {
				return fmt.Errorf("%v %+v", err, p)
			}
		}
		return sub.Free()
	}))
}

// TestObjectAllocs checks that a ping-pong of a []byte through SendObj and
// RecvObj allocates nothing once warm, when the receiver reuses its slice
// and the sender passes a pointer to its slice; passing the slice itself
// costs one allocation per message, the slice's conversion to an interface.
func TestObjectAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, tc := range []struct {
		n      int
		ptr    bool
		allocs float64
	}{{8, true, 0}, {1024, true, 0}, {64 << 10, true, 0}, {8, false, 2}, {64 << 10, false, 2}} {
		n := tc.n
		t.Run(fmt.Sprint(n, "-ptr-", tc.ptr), func(t *testing.T) {
			require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
				other := 1 - c.Rank()
				send := make([]byte, n)
				var v any = &send
				if !tc.ptr {
					v = nil // converted at each call below
				}
				sendObj := func() error {
					if tc.ptr {
						return comm.SendObj(c, v, other, 0)
					}
					return comm.SendObj(c, send, other, 0)
				}
				var recv []byte
				step := func() {
					if c.Rank() == 0 {
						if err := sendObj(); err != nil {
							panic(err)
						}
						if _, err := comm.RecvObj(c, &recv, other, 0); err != nil {
							panic(err)
						}
						return
					}
					if _, err := comm.RecvObj(c, &recv, other, 0); err != nil {
						panic(err)
					}
					if err := sendObj(); err != nil {
						panic(err)
					}
				}
				for range 100 {
					step()
				}
				// Both ranks run AllocsPerRun's loop (one warm-up plus
				// 200 steps); the count is of the whole process.
				allocs := testing.AllocsPerRun(200, step)
				if c.Rank() == 0 && allocs > tc.allocs+0.5 {
					return fmt.Errorf("%.2f allocations per round trip of %d bytes, want %v", allocs, n, tc.allocs)
				}
				return nil
			}, commtest.Config(comm.Config{Transport: "shm"})))
		})
	}
}

// TestObjectErrorText checks that decode errors name the sender, the tag
// and both types.
func TestObjectErrorText(t *testing.T) {
	require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
		if c.Rank() == 0 {
			return comm.SendObj(c, []float64{1}, 1, 3)
		}
		var s string
		_, err := comm.RecvObj(c, &s, 0, 3)
		if err == nil || !strings.Contains(err.Error(), "rank 0 tag 3") || !strings.Contains(err.Error(), "[]float64 into *string") {
			return fmt.Errorf("error %v", err)
		}
		return nil
	}))
}

// refusing fails to marshal: inside a struct it makes gob fail after it
// has described the struct (gob skips a zero field, so it must not be one).
type refusing struct{ x int }

func (refusing) MarshalBinary() ([]byte, error) { return nil, errors.New("refused") }
func (*refusing) UnmarshalBinary([]byte) error  { return nil }

// TestObjectFailedEncodeLeavesNothing checks that a gob value that fails
// to encode sends nothing, so that Free finds no message left over, and
// that the stream goes on.
func TestObjectFailedEncodeLeavesNothing(t *testing.T) {
	type box struct {
		R refusing
		N int
	}
	require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
		d, err := c.Dup()
		if err != nil {
			return err
		}
		if d.Rank() == 0 {
			if err := comm.SendObj(d, box{R: refusing{1}, N: 1}, 1, 0); err == nil {
				return errors.New("a refusing MarshalBinary encoded")
			}
			if err := comm.SendObj(d, objPoint{Name: "after"}, 1, 0); err != nil {
				return err
			}
		} else {
			var p objPoint
			if _, err := comm.RecvObj(d, &p, 0, 0); err != nil || p.Name != "after" {
				return fmt.Errorf("%+v, %v", p, err)
			}
		}
		return d.Free()
	}))
}

// vector is a named type over a fast type: it travels as its bytes.
type vector []float64

// TestObjectNamedTypes sends a named slice type and receives it into the
// named type and into the underlying one.
func TestObjectNamedTypes(t *testing.T) {
	require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
		if c.Rank() == 0 {
			return errors.Join(comm.SendObj(c, vector{1, 2}, 1, 0), comm.SendObj(c, vector{3}, 1, 0))
		}
		var v vector
		var f []float64
		_, err1 := comm.RecvObj(c, &v, 0, 0)
		_, err2 := comm.RecvObj(c, &f, 0, 0)
		return errors.Join(err1, err2, check(len(v) == 2 && v[1] == 2 && len(f) == 1 && f[0] == 3, "%v %v", v, f))
	}))
}

// wide has a type description longer than a small eager limit.
type wide struct {
	AlphaField, BetaField, GammaField, DeltaField, EpsilonField, ZetaField int
	EtaField, ThetaField, IotaField, KappaField, LambdaField, MuField      string
	NuField, XiField, OmicronField, PiField, RhoField, SigmaField          []float64
}

// TestObjectRendezvousChunks makes the chunk of type descriptions exceed
// the eager limit, so it goes as a rendezvous send that the receiver takes
// only when it decodes; both ranks first send, then receive, which must
// not deadlock, and Free then finds nothing pending.
func TestObjectRendezvousChunks(t *testing.T) {
	chunk, _, err := objcodec.NewGobEncoder().Encode(wide{}, func(n int) []byte { return make([]byte, n) })
	require.NoError(t, err)
	require.Greater(t, len(chunk), 256, "the chunk must exceed the eager limit below")
	for _, tr := range []comm.Transport{comm.TransportTCP, comm.TransportShm} {
		t.Run(string(tr), func(t *testing.T) {
			cfg := comm.Config{Transport: tr, EagerLimit: 256, ShmEagerLimit: 256}
			require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
				d, err := c.Dup()
				if err != nil {
					return err
				}
				other := 1 - d.Rank()
				for i := range 3 {
					if err := comm.SendObj(d, wide{AlphaField: i, MuField: "m"}, other, i); err != nil {
						return err
					}
				}
				for i := 2; i >= 0; i-- {
					var w wide
					if _, err := comm.RecvObj(d, &w, other, i); err != nil || w.AlphaField != i || w.MuField != "m" {
						return fmt.Errorf("tag %d: %+v, %v", i, w, err)
					}
				}
				// The chunk's send completes once the peer has taken it.
				if err := comm.SendObj(d, objPoint{Name: "reap"}, other, 9); err != nil {
					return err
				}
				var p objPoint
				if _, err := comm.RecvObj(d, &p, other, 9); err != nil {
					return err
				}
				return d.Free()
			}, commtest.Config(cfg), commtest.Timeout(60*time.Second)))
		})
	}
}

// TestRecvObjKeepsOrder: RecvObj's direct path (a blocking receive that
// takes the frame straight from a shared-memory ring) keeps MPI's order:
// messages that went to the unexpected queue while the receiver waited
// for another tag come first, then the ones that follow, which the direct
// path may take.
func TestRecvObjKeepsOrder(t *testing.T) {
	const n = 50
	require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
		if c.Rank() == 0 {
			for i := range 2 * n {
				if i == n {
					if err := comm.SendObj(c, "now", 1, 2); err != nil {
						return err
					}
				}
				if err := comm.SendObj(c, fmt.Sprint("m", i), 1, 1); err != nil {
					return err
				}
			}
			return nil
		}
		var s string
		if _, err := comm.RecvObj(c, &s, 0, 2); err != nil { // the first n are queued by now
			return err
		}
		for i := range 2 * n {
			if _, err := comm.RecvObj(c, &s, 0, 1); err != nil {
				return err
			}
			if want := fmt.Sprint("m", i); s != want {
				return fmt.Errorf("message %d is %q, want %q", i, s, want)
			}
		}
		return nil
	}, commtest.Config(comm.Config{Transport: "shm"}), commtest.Timeout(30*time.Second)))
}
