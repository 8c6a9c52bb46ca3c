package objcodec

import (
	"encoding"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"unsafe"
)

// A large payload travels split: a head of SplitSize bytes, then the
// payload's bytes as a message of their own, sent straight from the
// sender's memory and received straight into the receiver's (Into), so
// that the object adds no copy to what the transport does. The head is
// the 8-byte header with byte 1 set to splitFlag and the generation's
// place holding the payload message's sequence number (which the caller
// turns into its tag), followed by the payload's length as a little-endian
// uint64. Only kinds whose payload is plain bytes split: the slices, the
// string and KindBinary.

// SplitSize is the length of a split message's head.
const SplitSize = HeaderSize + 8

// splitFlag in byte 1 marks a split head; an ordinary header has 0 there.
const splitFlag = 1

// Splittable reports whether a payload of kind k may travel split.
func Splittable(k Kind) bool { return k >= KindBinary && k < KindInt }

// PutSplit writes into head (SplitSize bytes) the head of a split message
// of kind k whose n-byte payload travels with sequence number seq.
func PutSplit(head []byte, k Kind, seq uint32, n int) {
	_ = head[SplitSize-1]
	head[0], head[1], head[2], head[3] = byte(k), splitFlag, 0, 0
	binary.LittleEndian.PutUint32(head[4:], seq)
	binary.LittleEndian.PutUint64(head[8:], uint64(n))
}

// IsSplit reports whether msg claims to be a split head (Split validates
// it).
func IsSplit(msg []byte) bool { return len(msg) > 1 && msg[1] == splitFlag }

// Split validates a split head and returns its kind, its payload's
// sequence number and length, which is at most maxLen.
func Split(head []byte, maxLen uint64) (k Kind, seq uint32, n int, err error) {
	if len(head) != SplitSize || head[1] != splitFlag || head[2]|head[3] != 0 {
		return 0, 0, 0, fmt.Errorf("%w: %d-byte split head %x", ErrMalformed, len(head), head[:min(len(head), SplitSize)])
	}
	k, seq = Kind(head[0]), binary.LittleEndian.Uint32(head[4:])
	ln := binary.LittleEndian.Uint64(head[8:])
	if !Splittable(k) {
		return 0, 0, 0, fmt.Errorf("%w: split head of kind %d", ErrMalformed, uint8(k))
	}
	if ln > maxLen || ln > math.MaxInt {
		return 0, 0, 0, fmt.Errorf("%w: split payload of %d bytes, over the limit %d", ErrMalformed, ln, maxLen)
	}
	if s := k.elemSize(); s > 0 && ln%uint64(s) != 0 {
		return 0, 0, 0, fmt.Errorf("%w: %d-byte payload for %v", ErrMalformed, ln, k)
	}
	return k, seq, int(ln), nil
}

// Into prepares ptr to receive a split payload of kind k and n bytes
// (as Split returned them) and returns the memory to receive it into:
// the capacity *ptr already has when it is large enough (as DecodeFast
// reuses it), else one new allocation that *ptr then holds. *ptr holds the
// value once dst is filled. For KindBinary, dst comes from alloc and u is
// ptr as an encoding.BinaryUnmarshaler: the caller receives into dst, then
// calls u.UnmarshalBinary(dst) and may recycle dst.
//
// ptr's type follows DecodeFast's rules; otherwise the error wraps ErrType
// and nothing is written.
func Into(k Kind, n int, ptr any, alloc Alloc) (dst []byte, u encoding.BinaryUnmarshaler, err error) {
	switch p := ptr.(type) {
	case *[]byte:
		if k == KindBytes {
			return intoSlice(p, n), nil, nil
		}
	case *string:
		if k == KindString {
			return intoString(p, n), nil, nil
		}
	case *[]int:
		return intoKind(p, KindInts, k, n)
	case *[]int8:
		return intoKind(p, KindInt8s, k, n)
	case *[]int16:
		return intoKind(p, KindInt16s, k, n)
	case *[]int32:
		return intoKind(p, KindInt32s, k, n)
	case *[]int64:
		return intoKind(p, KindInt64s, k, n)
	case *[]uint:
		return intoKind(p, KindUints, k, n)
	case *[]uint16:
		return intoKind(p, KindUint16s, k, n)
	case *[]uint32:
		return intoKind(p, KindUint32s, k, n)
	case *[]uint64:
		return intoKind(p, KindUint64s, k, n)
	case *[]float32:
		return intoKind(p, KindFloat32s, k, n)
	case *[]float64:
		return intoKind(p, KindFloat64s, k, n)
	case *[]complex64:
		return intoKind(p, KindComplex64s, k, n)
	case *[]complex128:
		return intoKind(p, KindComplex128s, k, n)
	case *any:
		if k != KindBinary {
			return intoAny(p, k, n), nil, nil
		}
	}
	if k == KindBinary {
		if u, ok := ptr.(encoding.BinaryUnmarshaler); ok {
			return alloc(n), u, nil
		}
		return nil, nil, fmt.Errorf("%w: a MarshalBinary value into %T, which is not an encoding.BinaryUnmarshaler", ErrType, ptr)
	}
	if dst, ok := intoNamed(k, n, ptr); ok {
		return dst, nil, nil
	}
	return nil, nil, fmt.Errorf("%w: a %v into %T", ErrType, k, ptr)
}

// intoSlice sizes *p for n bytes of elements, reusing its capacity, and
// returns its bytes.
func intoSlice[T any](p *[]T, n int) []byte {
	var z T
	elems := n / int(unsafe.Sizeof(z))
	if cap(*p) >= elems {
		*p = (*p)[:elems]
	} else {
		*p = make([]T, elems)
	}
	return bytesOf(*p)[:n:n]
}

func intoKind[T any](p *[]T, want, k Kind, n int) ([]byte, encoding.BinaryUnmarshaler, error) {
	if k != want {
		return nil, nil, fmt.Errorf("%w: a %v into %T", ErrType, k, p)
	}
	return intoSlice(p, n), nil, nil
}

// intoString points *p at n new bytes and returns them. The string is not
// seen by anyone until they are filled, and nothing writes them after.
func intoString(p *string, n int) []byte {
	b := make([]byte, n)
	*p = unsafe.String(unsafe.SliceData(b), n)
	return b
}

// intoAny sets *p to a new value of the type kind k carries, n bytes long,
// and returns its bytes.
func intoAny(p *any, k Kind, n int) []byte {
	switch k {
	case KindBytes:
		return setAny[byte](p, n)
	case KindString:
		var s string
		b := intoString(&s, n)
		*p = s
		return b
	case KindInts:
		return setAny[int](p, n)
	case KindInt8s:
		return setAny[int8](p, n)
	case KindInt16s:
		return setAny[int16](p, n)
	case KindInt32s:
		return setAny[int32](p, n)
	case KindInt64s:
		return setAny[int64](p, n)
	case KindUints:
		return setAny[uint](p, n)
	case KindUint16s:
		return setAny[uint16](p, n)
	case KindUint32s:
		return setAny[uint32](p, n)
	case KindUint64s:
		return setAny[uint64](p, n)
	case KindFloat32s:
		return setAny[float32](p, n)
	case KindFloat64s:
		return setAny[float64](p, n)
	case KindComplex64s:
		return setAny[complex64](p, n)
	}
	return setAny[complex128](p, n) // KindComplex128s, the last splittable kind
}

func setAny[T any](p *any, n int) []byte {
	var s []T
	b := intoSlice(&s, n)
	*p = s
	return b
}

// intoNamed is Into for a pointer to a named type over the type k carries.
func intoNamed(k Kind, n int, ptr any) ([]byte, bool) {
	rv := reflect.ValueOf(ptr)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return nil, false
	}
	e := rv.Elem()
	if kindOfType(e.Type()) != k {
		return nil, false
	}
	if k == KindString {
		var s string
		b := intoString(&s, n)
		e.SetString(s)
		return b, true
	}
	elems := n / k.elemSize()
	if e.Cap() >= elems {
		e.SetLen(elems)
	} else {
		e.Set(reflect.MakeSlice(e.Type(), elems, elems))
	}
	if n == 0 {
		return nil, true
	}
	return unsafe.Slice((*byte)(e.UnsafePointer()), n), true
}
