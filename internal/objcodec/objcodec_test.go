package objcodec

import (
	"bytes"
	"encoding/gob"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func alloc(n int) []byte { return make([]byte, n) }

type point struct {
	X, Y float64
	Tag  string
}

type shape interface{ Area() float64 }

type square struct{ Side float64 }

func (s square) Area() float64 { return s.Side * s.Side }

type holder struct{ S shape }

func init() { gob.Register(square{}) }

// TestFastRoundTrip encodes a value of each fast kind and decodes it into a
// pointer of its type and into an interface{}.
func TestFastRoundTrip(t *testing.T) {
	for _, v := range []any{
		[]byte{1, 2, 3}, "héllo", []int{-1, 1 << 40}, []int8{-128}, []int16{-2}, []int32{3},
		[]int64{-4}, []uint{5}, []uint16{6}, []uint32{7}, []uint64{8}, []float32{1.25},
		[]float64{math.NaN()}, []complex64{1i}, []complex128{2 + 3i},
		1, int8(-2), int16(-3), int32(-4), int64(-5), uint(6), uint8(7), uint16(8), uint32(9),
		uint64(10), float32(1.5), 2.5, complex64(1 + 1i), complex128(2 - 2i), true, false,
	} {
		msg, ok, err := EncodeFast(v, alloc)
		require.True(t, ok, "%T", v)
		require.NoError(t, err)
		k, gen, payload, err := Header(msg)
		require.NoError(t, err)
		require.Zero(t, gen)
		want := reflect.TypeOf(v).String()
		if want == "[]uint8" {
			want = "[]byte"
		}
		require.Equal(t, want, k.String())
		p := reflect.New(reflect.TypeOf(v))
		kept, err := DecodeFast(k, payload, p.Interface(), false)
		require.NoError(t, err)
		require.False(t, kept)
		same := func(got any) bool {
			if f, ok := v.([]float64); ok { // NaN ≠ NaN
				g := got.([]float64)
				return len(g) == 1 && math.IsNaN(g[0]) && math.IsNaN(f[0])
			}
			return reflect.DeepEqual(got, v)
		}
		require.True(t, same(p.Elem().Interface()), "%#v → %#v", v, p.Elem().Interface())
		var a any
		_, err = DecodeFast(k, payload, &a, false)
		require.NoError(t, err)
		require.True(t, same(a), "%#v → %#v", v, a)
		// Another type is refused.
		var wrong struct{}
		_, err = DecodeFast(k, payload, &wrong, false)
		require.ErrorIs(t, err, ErrType)
	}
}

// TestFastPointers encodes pointers to slices and strings as the values.
func TestFastPointers(t *testing.T) {
	b, s, f := []byte("b"), "s", []float64{1}
	for _, c := range []struct{ ptr, val any }{{&b, b}, {&s, s}, {&f, f}} {
		m1, ok1, err1 := EncodeFast(c.ptr, alloc)
		m2, ok2, err2 := EncodeFast(c.val, alloc)
		require.True(t, ok1 && ok2)
		require.NoError(t, errors.Join(err1, err2))
		require.Equal(t, m2, m1)
	}
	_, ok, err := EncodeFast((*[]byte)(nil), alloc)
	require.True(t, ok)
	require.Error(t, err)
}

// TestKeep checks that a []byte too small for the payload takes the
// payload only when allowed.
func TestKeep(t *testing.T) {
	payload := []byte("payload")
	var b []byte
	kept, err := DecodeFast(KindBytes, payload, &b, true)
	require.NoError(t, err)
	require.True(t, kept)
	require.Equal(t, &payload[0], &b[0])
	b = make([]byte, 0, 100)
	kept, err = DecodeFast(KindBytes, payload, &b, true)
	require.NoError(t, err)
	require.False(t, kept)
	require.Equal(t, "payload", string(b))
}

// stamp marshals itself through time.Time's MarshalBinary.
type stamp struct{ t time.Time }

func (s stamp) MarshalBinary() ([]byte, error)  { return s.t.MarshalBinary() }
func (s *stamp) UnmarshalBinary(b []byte) error { return s.t.UnmarshalBinary(b) }

// TestBinary sends a BinaryMarshaler and decodes it into an unmarshaler;
// anything else is refused, and unmarshaling errors come back.
func TestBinary(t *testing.T) {
	now := stamp{time.Date(2026, 12, 6, 9, 0, 0, 5, time.UTC)}
	msg, ok, err := EncodeFast(now, alloc)
	require.True(t, ok)
	require.NoError(t, err)
	k, _, payload, err := Header(msg)
	require.NoError(t, err)
	require.Equal(t, KindBinary, k)
	var got stamp
	_, err = DecodeFast(k, payload, &got, false)
	require.NoError(t, err)
	require.True(t, got.t.Equal(now.t))
	var s string
	_, err = DecodeFast(k, payload, &s, false)
	require.ErrorIs(t, err, ErrType)
	_, err = DecodeFast(k, payload[:3], &got, false)
	require.Error(t, err)
}

// TestHeaderRejects lists malformed headers.
func TestHeaderRejects(t *testing.T) {
	for name, msg := range map[string][]byte{
		"short":          {1, 0, 0},
		"kind zero":      make([]byte, 8),
		"unknown kind":   {200, 0, 0, 0, 0, 0, 0, 0},
		"reserved":       {byte(KindBytes), 1, 0, 0, 0, 0, 0, 0},
		"gen on fast":    {byte(KindBytes), 0, 0, 0, 1, 0, 0, 0},
		"ragged slice":   {byte(KindFloat64s), 0, 0, 0, 0, 0, 0, 0, 1, 2, 3},
		"scalar short":   {byte(KindInt), 0, 0, 0, 0, 0, 0, 0, 1},
		"scalar missing": {byte(KindBool), 0, 0, 0, 0, 0, 0, 0},
		"bool 2":         {byte(KindBool), 0, 0, 0, 0, 0, 0, 0, 2},
	} {
		_, _, _, err := Header(msg)
		require.ErrorIs(t, err, ErrMalformed, name)
	}
}

// TestGobStream runs a stream: type descriptions come in numbered chunks,
// once per type, and values decode in any order once their chunks are
// applied. A type that can hold an interface travels self-described.
func TestGobStream(t *testing.T) {
	enc, dec := NewGobEncoder(), NewGobDecoder()
	type sent struct {
		chunk, msg []byte
	}
	var out []sent
	for _, v := range []any{point{1, 2, "a"}, point{3, 4, "b"}, holder{square{2}}, map[string]int{"k": 1}, point{5, 6, "c"}} {
		chunk, msg, err := enc.Encode(v, alloc)
		require.NoError(t, err)
		out = append(out, sent{chunk, msg})
	}
	require.NotNil(t, out[0].chunk)
	require.Nil(t, out[1].chunk, "a type is described once")
	require.Nil(t, out[2].chunk, "self-described")
	require.NotNil(t, out[3].chunk)
	require.Nil(t, out[4].chunk)
	k, _, _, err := Header(out[2].msg)
	require.NoError(t, err)
	require.Equal(t, KindGobSelf, k)
	var h holder
	require.NoError(t, DecodeSelf(out[2].msg, &h))
	require.Equal(t, holder{square{2}}, h)

	// The last point first: it needs chunk 1 only, but holds generation 2.
	k, gen, payload, err := Header(out[4].msg)
	require.NoError(t, err)
	require.Equal(t, KindGobStream, k)
	require.EqualValues(t, 2, gen)
	require.True(t, dec.Needs(gen))
	var p point
	require.ErrorIs(t, dec.Decode(gen, payload, &p), ErrMalformed, "chunks missing")
	dec.AddChunk(out[0].chunk)
	require.True(t, dec.Needs(gen))
	dec.AddChunk(out[3].chunk)
	require.False(t, dec.Needs(gen))
	require.NoError(t, dec.Decode(gen, payload, &p))
	require.Equal(t, point{5, 6, "c"}, p)
	for i, want := range []any{map[string]int{"k": 1}, point{1, 2, "a"}} {
		j := []int{3, 0}[i]
		_, gen, payload, err := Header(out[j].msg)
		require.NoError(t, err)
		got := reflect.New(reflect.TypeOf(want))
		require.NoError(t, dec.Decode(gen, payload, got.Interface()))
		require.Equal(t, want, got.Elem().Interface())
	}
	// A value into the wrong type fails, and the stream goes on.
	_, gen, payload, _ = Header(out[1].msg)
	var m map[string]int
	require.Error(t, dec.Decode(gen, payload, &m))
	require.NoError(t, dec.Decode(gen, payload, &p))
	require.Equal(t, point{3, 4, "b"}, p)
}

// TestGobEncodeErrors checks that a value gob cannot encode is an error,
// and that descriptions written before the failure go out with the next
// chunk, so the stream stays in step and no chunk goes out for nothing.
func TestGobEncodeErrors(t *testing.T) {
	enc, dec := NewGobEncoder(), NewGobDecoder()
	for _, v := range []any{nil, (*point)(nil), func() {}, make(chan int)} {
		chunk, _, err := enc.Encode(v, alloc)
		require.Error(t, err, "%T", v)
		require.Nil(t, chunk)
	}
	// gob describes wrapped before it calls MarshalBinary, which fails.
	chunk, msg, err := enc.Encode(wrapped{Inner: failing{fail: true}}, alloc)
	require.Error(t, err)
	require.Nil(t, msg)
	require.Nil(t, chunk)
	chunk, msg, err = enc.Encode(point{1, 1, "p"}, alloc)
	require.NoError(t, err)
	require.NotNil(t, chunk, "wrapped's description and point's")
	dec.AddChunk(chunk)
	_, gen, payload, err := Header(msg)
	require.NoError(t, err)
	require.EqualValues(t, 1, gen)
	var p point
	require.NoError(t, dec.Decode(gen, payload, &p))
	chunk, msg, err = enc.Encode(wrapped{Inner: failing{}, N: 3}, alloc)
	require.NoError(t, err)
	require.Nil(t, chunk, "described already")
	_, gen, payload, err = Header(msg)
	require.NoError(t, err)
	var w wrapped
	require.NoError(t, dec.Decode(gen, payload, &w))
	require.Equal(t, 3, w.N)
}

type wrapped struct {
	Inner failing
	N     int
}

type failing struct{ fail bool }

func (f failing) MarshalBinary() ([]byte, error) {
	if f.fail {
		return nil, errors.New("refused")
	}
	return []byte{0}, nil
}

func (f *failing) UnmarshalBinary([]byte) error { return nil }

// TestGobBrokenChunk checks that a chunk gob cannot read breaks the stream
// for good, with errors rather than panics.
func TestGobBrokenChunk(t *testing.T) {
	enc, dec := NewGobEncoder(), NewGobDecoder()
	chunk, msg, err := enc.Encode(point{1, 2, "x"}, alloc)
	require.NoError(t, err)
	bad := bytes.Clone(chunk)
	bad[len(bad)/2] ^= 0xff
	dec.AddChunk(bad[:len(bad)-1])
	_, gen, payload, _ := Header(msg)
	var p point
	require.Error(t, dec.Decode(gen, payload, &p))
	require.Error(t, dec.Decode(gen, payload, &p))
}

// TestSelf encodes gob values with their descriptions, and fast values as
// EncodeFast does.
func TestSelf(t *testing.T) {
	for _, v := range []any{point{1, 2, "s"}, []float64{1, 2}, holder{square{1}}} {
		msg, err := EncodeSelf(v, alloc)
		require.NoError(t, err)
		got := reflect.New(reflect.TypeOf(v))
		require.NoError(t, DecodeSelf(msg, got.Interface()))
		require.Equal(t, v, got.Elem().Interface())
	}
	msg, err := EncodeSelf(point{}, alloc)
	require.NoError(t, err)
	require.Error(t, DecodeSelf(msg[:len(msg)-1], new(point)))
	require.ErrorIs(t, DecodeSelf(append(msg, 0), new(point)), ErrMalformed)
	require.ErrorIs(t, DecodeSelf(msg, point{}), ErrType)
}

type (
	vector  []float64
	temp    float64
	label   string
	flag    bool
	counts  []int32
	gobVec  []float64 // with gob's own methods: stays with gob
	rawByte []byte
)

func (g gobVec) GobEncode() ([]byte, error) { return []byte{byte(len(g))}, nil }
func (g *gobVec) GobDecode(b []byte) error  { *g = make(gobVec, b[0]); return nil }

// TestNamed sends named types over the fast types as their underlying
// types, into the named type or the underlying one.
func TestNamed(t *testing.T) {
	for _, c := range []struct {
		v, under any
	}{
		{vector{1, 2}, []float64{1, 2}}, {temp(21.5), 21.5}, {label("l"), "l"},
		{flag(true), true}, {counts{5, 6}, []int32{5, 6}}, {rawByte("x"), []byte("x")},
	} {
		msg, ok, err := EncodeFast(c.v, alloc)
		require.True(t, ok, "%T", c.v)
		require.NoError(t, err)
		plain, _, _ := EncodeFast(c.under, alloc)
		require.Equal(t, plain, msg, "%T travels as %T", c.v, c.under)
		k, _, payload, err := Header(msg)
		require.NoError(t, err)
		named := reflect.New(reflect.TypeOf(c.v))
		_, err = DecodeFast(k, payload, named.Interface(), false)
		require.NoError(t, err)
		require.Equal(t, c.v, named.Elem().Interface())
	}
	_, ok, _ := EncodeFast(gobVec{1, 2, 3}, alloc)
	require.False(t, ok, "a GobEncoder keeps gob")
	msg, _, _ := EncodeFast([]float64{1}, alloc)
	k, _, payload, _ := Header(msg)
	var c counts
	_, err := DecodeFast(k, payload, &c, false)
	require.ErrorIs(t, err, ErrType, "[]float64 into []int32's named type")
}
