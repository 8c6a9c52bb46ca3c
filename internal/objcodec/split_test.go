package objcodec

import (
	"encoding/binary"
	"math"
	"reflect"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// TestViewNoCopy checks that View returns slices' and strings' own memory
// and a scalar's bytes in its word, and that EncodeFast writes the same.
func TestViewNoCopy(t *testing.T) {
	f := []float64{1.5, -2}
	x, ok, err := View(&f)
	require.True(t, ok)
	require.NoError(t, err)
	require.Equal(t, KindFloat64s, x.Kind)
	require.Equal(t, unsafe.Pointer(&f[0]), unsafe.Pointer(&x.Bytes[0]))
	require.Equal(t, 16, x.Len())
	s := "text"
	x, _, _ = View(s)
	require.Equal(t, unsafe.StringData(s), &x.Bytes[0])
	x, _, _ = View(int16(-2))
	require.Equal(t, KindInt16, x.Kind)
	require.Nil(t, x.Bytes)
	require.Equal(t, 2, x.Len())
	require.Equal(t, []byte{0xfe, 0xff}, x.Word[:2])
	x, _, _ = View(vec{3})
	require.Equal(t, KindFloat64s, x.Kind)
	require.Equal(t, math.Float64bits(3), binary.LittleEndian.Uint64(x.Bytes))
	_, ok, _ = View(point{})
	require.False(t, ok)
	_, ok, err = View((*[]int)(nil))
	require.True(t, ok)
	require.Error(t, err)
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, err := View(&f); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
}

type vec []float64

// TestSplitHead writes and validates split heads, and rejects what no
// sender wrote.
func TestSplitHead(t *testing.T) {
	head := make([]byte, SplitSize)
	PutSplit(head, KindFloat64s, 77, 1<<20)
	require.True(t, IsSplit(head))
	k, seq, n, err := Split(head, 1<<30)
	require.NoError(t, err)
	require.Equal(t, KindFloat64s, k)
	require.Equal(t, uint32(77), seq)
	require.Equal(t, 1<<20, n)
	_, _, _, err = Header(head)
	require.ErrorIs(t, err, ErrMalformed, "a split head is not a whole message")
	put := func(k Kind, n uint64, mod func(b []byte)) []byte {
		b := make([]byte, SplitSize)
		PutSplit(b, k, 1, 0)
		binary.LittleEndian.PutUint64(b[8:], n)
		if mod != nil {
			mod(b)
		}
		return b
	}
	for name, b := range map[string][]byte{
		"short":        head[:SplitSize-1],
		"long":         append(append([]byte(nil), head...), 0),
		"not split":    put(KindBytes, 8, func(b []byte) { b[1] = 0 }),
		"reserved":     put(KindBytes, 8, func(b []byte) { b[3] = 1 }),
		"scalar kind":  put(KindInt, 8, nil),
		"gob kind":     put(KindGobStream, 8, nil),
		"kind zero":    put(0, 8, nil),
		"unknown kind": put(200, 8, nil),
		"ragged":       put(KindFloat64s, 12, nil),
		"over limit":   put(KindBytes, 1<<31, nil),
		"negative":     put(KindBytes, math.MaxUint64, nil),
	} {
		_, _, _, err := Split(b, 1<<30)
		require.ErrorIs(t, err, ErrMalformed, name)
	}
}

// TestInto receives payloads of every splittable kind into their types,
// named types and interfaces, reusing capacity where there is enough, and
// refuses other types without writing.
func TestInto(t *testing.T) {
	for _, v := range []any{
		[]byte{1, 2, 3}, "héllo", []int{-1, 1 << 40}, []int8{-128}, []int16{-2}, []int32{3},
		[]int64{-4}, []uint{5}, []uint16{6}, []uint32{7}, []uint64{8}, []float32{1.25},
		[]float64{2.5}, []complex64{1i}, []complex128{2 + 3i}, vec{1, 2}, []byte{}, "",
	} {
		x, ok, err := View(v)
		require.True(t, ok)
		require.NoError(t, err)
		require.True(t, Splittable(x.Kind))
		for _, p := range []any{reflect.New(reflect.TypeOf(v)).Interface(), new(any)} {
			if _, named := v.(vec); named {
				if _, isAny := p.(*any); isAny {
					continue // an interface gets the underlying type
				}
			}
			dst, u, err := Into(x.Kind, len(x.Bytes), p, alloc)
			require.NoError(t, err, "%T into %T", v, p)
			require.Nil(t, u)
			require.Len(t, dst, len(x.Bytes))
			copy(dst, x.Bytes)
			got := reflect.ValueOf(p).Elem().Interface()
			if len(x.Bytes) == 0 { // nil and empty alike
				require.Zero(t, reflect.ValueOf(got).Len())
				continue
			}
			require.Equal(t, v, got, "%T into %T", v, p)
		}
		var wrong []complex64
		if x.Kind != KindComplex64s {
			_, _, err = Into(x.Kind, len(x.Bytes), &wrong, alloc)
			require.ErrorIs(t, err, ErrType)
			require.Nil(t, wrong)
		}
	}
	// Capacity is reused when it suffices, else one array is made.
	buf := make([]int32, 1, 10)
	dst, _, err := Into(KindInt32s, 40, &buf, alloc)
	require.NoError(t, err)
	require.Len(t, buf, 10)
	require.Equal(t, unsafe.Pointer(&buf[0]), unsafe.Pointer(&dst[0]))
	dst, _, err = Into(KindInt32s, 44, &buf, alloc)
	require.NoError(t, err)
	require.Len(t, buf, 11)
	require.Equal(t, unsafe.Pointer(&buf[0]), unsafe.Pointer(&dst[0]))
	// MarshalBinary's bytes go through the unmarshaler.
	var s stamp
	dst, u, err := Into(KindBinary, 15, &s, alloc)
	require.NoError(t, err)
	require.Len(t, dst, 15)
	require.Equal(t, &s, u)
	_, _, err = Into(KindBinary, 15, new([]byte), alloc)
	require.ErrorIs(t, err, ErrType)
}

// FuzzSplit checks that no head makes Split or Into panic, and that an
// accepted head re-encodes to the same bytes and sizes its target right.
func FuzzSplit(f *testing.F) {
	for _, k := range []Kind{KindBytes, KindString, KindFloat64s, KindComplex128s, KindBinary} {
		head := make([]byte, SplitSize)
		PutSplit(head, k, 3, 64<<10)
		f.Add(head)
	}
	f.Add([]byte{byte(KindInt), splitFlag, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, head []byte) {
		k, seq, n, err := Split(head, 1<<20)
		if err != nil {
			return
		}
		again := make([]byte, SplitSize)
		PutSplit(again, k, seq, n)
		if string(again) != string(head) {
			t.Fatalf("re-encoded %x, want %x", again, head)
		}
		for _, p := range []any{new([]byte), new(string), new([]float64), new(any), new(vec), new(stamp)} {
			dst, _, err := Into(k, n, p, alloc)
			if err == nil && len(dst) != n {
				t.Fatalf("%v of %d bytes into %T: %d-byte target", k, n, p, len(dst))
			}
		}
	})
}
