package objcodec

import (
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unsafe"
)

// HeaderSize is the length of every message's header.
const HeaderSize = 8

// Kind says what a message's payload holds.
type Kind uint8

// The kinds. Zero is never written, so that a zeroed buffer is malformed.
const (
	KindGobStream Kind = iota + 1 // a gob value message of a stream (GobEncoder)
	KindGobSelf                   // a complete gob stream, type descriptions included
	KindBinary                    // MarshalBinary's bytes

	KindBytes // []byte
	KindString
	KindInts // []int
	KindInt8s
	KindInt16s
	KindInt32s
	KindInt64s
	KindUints
	KindUint16s
	KindUint32s
	KindUint64s
	KindFloat32s
	KindFloat64s
	KindComplex64s
	KindComplex128s

	KindInt // one int
	KindInt8
	KindInt16
	KindInt32
	KindInt64
	KindUint
	KindUint8
	KindUint16
	KindUint32
	KindUint64
	KindFloat32
	KindFloat64
	KindComplex64
	KindComplex128
	KindBool

	kindEnd // one past the last kind
)

// Errors of decoding, to be tested with errors.Is.
var (
	// ErrMalformed: bytes that no encoder of this build wrote.
	ErrMalformed = errors.New("malformed object encoding")
	// ErrType: the message holds a value of another type than the
	// receiver's pointer points to.
	ErrType = errors.New("object of another type")
)

// kindNames names the Go type each fast kind carries, for errors.
var kindNames = [kindEnd]string{
	KindGobStream: "gob value", KindGobSelf: "gob value", KindBinary: "MarshalBinary value",
	KindBytes: "[]byte", KindString: "string", KindInts: "[]int", KindInt8s: "[]int8",
	KindInt16s: "[]int16", KindInt32s: "[]int32", KindInt64s: "[]int64", KindUints: "[]uint",
	KindUint16s: "[]uint16", KindUint32s: "[]uint32", KindUint64s: "[]uint64",
	KindFloat32s: "[]float32", KindFloat64s: "[]float64", KindComplex64s: "[]complex64",
	KindComplex128s: "[]complex128", KindInt: "int", KindInt8: "int8", KindInt16: "int16",
	KindInt32: "int32", KindInt64: "int64", KindUint: "uint", KindUint8: "uint8",
	KindUint16: "uint16", KindUint32: "uint32", KindUint64: "uint64", KindFloat32: "float32",
	KindFloat64: "float64", KindComplex64: "complex64", KindComplex128: "complex128", KindBool: "bool",
}

// String names the Go type the kind carries.
func (k Kind) String() string {
	if k == 0 || k >= kindEnd {
		return fmt.Sprintf("kind %d", uint8(k))
	}
	return kindNames[k]
}

// elemSize is the size of one element of a slice kind, or of the value of
// a scalar kind; 0 for the others.
func (k Kind) elemSize() int {
	switch k {
	case KindBytes, KindString, KindInt8s, KindInt8, KindUint8, KindBool:
		return 1
	case KindInt16s, KindUint16s, KindInt16, KindUint16:
		return 2
	case KindInt32s, KindUint32s, KindFloat32s, KindInt32, KindUint32, KindFloat32:
		return 4
	case KindInts, KindInt64s, KindUints, KindUint64s, KindFloat64s, KindComplex64s,
		KindInt, KindInt64, KindUint, KindUint64, KindFloat64, KindComplex64:
		return 8
	case KindComplex128s, KindComplex128:
		return 16
	}
	return 0
}

// scalar reports whether k carries one value of fixed size.
func (k Kind) scalar() bool { return k >= KindInt && k <= KindBool }

// PutHeader writes the header of a message of kind k into msg.
func PutHeader(msg []byte, k Kind, gen uint32) {
	_ = msg[HeaderSize-1]
	msg[0], msg[1], msg[2], msg[3] = byte(k), 0, 0, 0
	binary.LittleEndian.PutUint32(msg[4:], gen)
}

// Header validates msg's header and returns its kind, its generation (0
// unless the kind is KindGobStream) and the payload.
func Header(msg []byte) (k Kind, gen uint32, payload []byte, err error) {
	if len(msg) < HeaderSize {
		return 0, 0, nil, fmt.Errorf("%w: %d-byte message, shorter than its header", ErrMalformed, len(msg))
	}
	k, gen, payload = Kind(msg[0]), binary.LittleEndian.Uint32(msg[4:]), msg[HeaderSize:]
	if k == 0 || k >= kindEnd || msg[1]|msg[2]|msg[3] != 0 || (gen != 0 && k != KindGobStream) {
		return 0, 0, nil, fmt.Errorf("%w: header %x", ErrMalformed, msg[:HeaderSize])
	}
	if s := k.elemSize(); s > 0 && (len(payload)%s != 0 || k.scalar() && len(payload) != s) {
		return 0, 0, nil, fmt.Errorf("%w: %d-byte payload for %v", ErrMalformed, len(payload), k)
	}
	if k == KindBool && payload[0] > 1 {
		return 0, 0, nil, fmt.Errorf("%w: bool byte %d", ErrMalformed, payload[0])
	}
	return k, gen, payload, nil
}

// Alloc returns a buffer of length n for a message; the encoders write
// whole messages into it.
type Alloc func(n int) []byte

// Viewed is a value that View takes: its kind, and the bytes that carry
// it, which are Bytes, or for a scalar the first Len() bytes of Word.
// Word is held by value so that viewing a scalar allocates nothing, and
// Bytes never points into it.
type Viewed struct {
	Kind  Kind
	Bytes []byte
	Word  [16]byte
}

// Len is the length of x's payload.
func (x *Viewed) Len() int {
	if x.Kind.scalar() {
		return x.Kind.elemSize()
	}
	return len(x.Bytes)
}

// Encode writes x as a whole message (header and payload) into a buffer
// from alloc.
func (x *Viewed) Encode(alloc Alloc) []byte {
	b := x.Bytes
	if x.Kind.scalar() {
		b = x.Word[:x.Kind.elemSize()]
	}
	msg := alloc(HeaderSize + len(b))
	PutHeader(msg, x.Kind, 0)
	copy(msg[HeaderSize:], b)
	return msg
}

// View returns the kind of v and the bytes that carry it, without copying,
// if v has a fast kind (or is a pointer to a slice or string of one),
// implements encoding.BinaryMarshaler, or is of a named type over a fast
// kind's type (without gob.GobEncoder methods); ok false means v goes
// through gob. The bytes are v's own memory for slices and strings (the
// caller must not write them), MarshalBinary's result for a
// BinaryMarshaler, and x.Word for a scalar. The error is MarshalBinary's,
// or that of a nil pointer.
func View(v any) (x Viewed, ok bool, err error) {
	x.Kind, x.Bytes, x.Word, ok, err = view(v)
	return x, ok, err
}

// view is View in parts: a scalar's bytes are returned in w, by value, so
// that b never points at the caller's memory and nothing escapes.
func view(v any) (k Kind, b []byte, w [16]byte, ok bool, err error) {
	switch x := v.(type) {
	case []byte:
		return KindBytes, x, w, true, nil
	case string:
		return KindString, unsafe.Slice(unsafe.StringData(x), len(x)), w, true, nil
	case []int:
		return KindInts, bytesOf(x), w, true, nil
	case []int8:
		return KindInt8s, bytesOf(x), w, true, nil
	case []int16:
		return KindInt16s, bytesOf(x), w, true, nil
	case []int32:
		return KindInt32s, bytesOf(x), w, true, nil
	case []int64:
		return KindInt64s, bytesOf(x), w, true, nil
	case []uint:
		return KindUints, bytesOf(x), w, true, nil
	case []uint16:
		return KindUint16s, bytesOf(x), w, true, nil
	case []uint32:
		return KindUint32s, bytesOf(x), w, true, nil
	case []uint64:
		return KindUint64s, bytesOf(x), w, true, nil
	case []float32:
		return KindFloat32s, bytesOf(x), w, true, nil
	case []float64:
		return KindFloat64s, bytesOf(x), w, true, nil
	case []complex64:
		return KindComplex64s, bytesOf(x), w, true, nil
	case []complex128:
		return KindComplex128s, bytesOf(x), w, true, nil
	case int:
		return word(KindInt, uint64(x))
	case int8:
		return word(KindInt8, uint64(x))
	case int16:
		return word(KindInt16, uint64(x))
	case int32:
		return word(KindInt32, uint64(x))
	case int64:
		return word(KindInt64, uint64(x))
	case uint:
		return word(KindUint, uint64(x))
	case uint8:
		return word(KindUint8, uint64(x))
	case uint16:
		return word(KindUint16, uint64(x))
	case uint32:
		return word(KindUint32, uint64(x))
	case uint64:
		return word(KindUint64, x)
	case float32:
		return word(KindFloat32, uint64(math.Float32bits(x)))
	case float64:
		return word(KindFloat64, math.Float64bits(x))
	case complex64:
		binary.LittleEndian.PutUint32(w[0:], math.Float32bits(real(x)))
		binary.LittleEndian.PutUint32(w[4:], math.Float32bits(imag(x)))
		return KindComplex64, nil, w, true, nil
	case complex128:
		binary.LittleEndian.PutUint64(w[0:], math.Float64bits(real(x)))
		binary.LittleEndian.PutUint64(w[8:], math.Float64bits(imag(x)))
		return KindComplex128, nil, w, true, nil
	case bool:
		var b uint64
		if x {
			b = 1
		}
		return word(KindBool, b)
	case *[]byte:
		return deref(KindBytes, x)
	case *string:
		if x == nil {
			return 0, nil, w, true, errNilPointer
		}
		return KindString, unsafe.Slice(unsafe.StringData(*x), len(*x)), w, true, nil
	case *[]int:
		return deref(KindInts, x)
	case *[]int8:
		return deref(KindInt8s, x)
	case *[]int16:
		return deref(KindInt16s, x)
	case *[]int32:
		return deref(KindInt32s, x)
	case *[]int64:
		return deref(KindInt64s, x)
	case *[]uint:
		return deref(KindUints, x)
	case *[]uint16:
		return deref(KindUint16s, x)
	case *[]uint32:
		return deref(KindUint32s, x)
	case *[]uint64:
		return deref(KindUint64s, x)
	case *[]float32:
		return deref(KindFloat32s, x)
	case *[]float64:
		return deref(KindFloat64s, x)
	case *[]complex64:
		return deref(KindComplex64s, x)
	case *[]complex128:
		return deref(KindComplex128s, x)
	case encoding.BinaryMarshaler:
		data, err := x.MarshalBinary()
		if err != nil {
			return 0, nil, w, true, fmt.Errorf("MarshalBinary of %T: %w", v, err)
		}
		return KindBinary, data, w, true, nil
	}
	if k, b, w, ok := viewNamed(v); ok {
		return k, b, w, true, nil
	}
	return 0, nil, w, false, nil
}

// EncodeFast encodes v into a buffer from alloc, header and a copy of the
// bytes View returns, if View takes v, and reports whether it did; the
// error is View's. Values of any other type return ok false: they go
// through gob.
func EncodeFast(v any, alloc Alloc) (msg []byte, ok bool, err error) {
	x, ok, err := View(v)
	if !ok || err != nil {
		return nil, ok, err
	}
	return x.Encode(alloc), true, nil
}

// errNilPointer is the error of a nil pointer to a fast type, which has
// no value to send.
var errNilPointer = errors.New("a nil pointer has no value to send")

// deref views the slice p points to. Pointers to the fast slice types are
// accepted so that a caller can send without converting a slice to an
// interface, which allocates.
func deref[T any](k Kind, p *[]T) (Kind, []byte, [16]byte, bool, error) {
	if p == nil {
		return 0, nil, [16]byte{}, true, errNilPointer
	}
	return k, bytesOf(*p), [16]byte{}, true, nil
}

// word returns scalar kind k with x in its word, little-endian (the low
// k.elemSize() bytes are the value's).
func word(k Kind, x uint64) (Kind, []byte, [16]byte, bool, error) {
	var w [16]byte
	binary.LittleEndian.PutUint64(w[:], x)
	return k, nil, w, true, nil
}

// DecodeFast decodes the payload of a message of kind k (a fast kind or
// KindBinary, as Header returned them) into ptr. With mayKeep, a []byte
// that does not fit in the capacity ptr already points to takes the payload
// itself rather than a copy; kept then reports that the caller must not
// reuse the message's buffer.
//
// ptr must be a pointer to the type the kind carries or a named type over
// it, a pointer to an interface{} (which receives a value of the type the
// kind carries), or, for KindBinary, an encoding.BinaryUnmarshaler;
// otherwise the error wraps ErrType.
func DecodeFast(k Kind, payload []byte, ptr any, mayKeep bool) (kept bool, err error) {
	switch p := ptr.(type) {
	case *[]byte:
		if k != KindBytes {
			break
		}
		if mayKeep && cap(*p) < len(payload) {
			*p = payload[:len(payload):len(payload)]
			return true, nil
		}
		decodeSlice(p, payload)
		return false, nil
	case *string:
		if k == KindString {
			*p = string(payload)
			return false, nil
		}
	case *[]int:
		return false, sliceInto(p, KindInts, k, payload)
	case *[]int8:
		return false, sliceInto(p, KindInt8s, k, payload)
	case *[]int16:
		return false, sliceInto(p, KindInt16s, k, payload)
	case *[]int32:
		return false, sliceInto(p, KindInt32s, k, payload)
	case *[]int64:
		return false, sliceInto(p, KindInt64s, k, payload)
	case *[]uint:
		return false, sliceInto(p, KindUints, k, payload)
	case *[]uint16:
		return false, sliceInto(p, KindUint16s, k, payload)
	case *[]uint32:
		return false, sliceInto(p, KindUint32s, k, payload)
	case *[]uint64:
		return false, sliceInto(p, KindUint64s, k, payload)
	case *[]float32:
		return false, sliceInto(p, KindFloat32s, k, payload)
	case *[]float64:
		return false, sliceInto(p, KindFloat64s, k, payload)
	case *[]complex64:
		return false, sliceInto(p, KindComplex64s, k, payload)
	case *[]complex128:
		return false, sliceInto(p, KindComplex128s, k, payload)
	case *int:
		return false, scalarInto(p, KindInt, k, payload)
	case *int8:
		return false, scalarInto(p, KindInt8, k, payload)
	case *int16:
		return false, scalarInto(p, KindInt16, k, payload)
	case *int32:
		return false, scalarInto(p, KindInt32, k, payload)
	case *int64:
		return false, scalarInto(p, KindInt64, k, payload)
	case *uint:
		return false, scalarInto(p, KindUint, k, payload)
	case *uint8:
		return false, scalarInto(p, KindUint8, k, payload)
	case *uint16:
		return false, scalarInto(p, KindUint16, k, payload)
	case *uint32:
		return false, scalarInto(p, KindUint32, k, payload)
	case *uint64:
		return false, scalarInto(p, KindUint64, k, payload)
	case *float32:
		return false, scalarInto(p, KindFloat32, k, payload)
	case *float64:
		return false, scalarInto(p, KindFloat64, k, payload)
	case *complex64:
		return false, scalarInto(p, KindComplex64, k, payload)
	case *complex128:
		return false, scalarInto(p, KindComplex128, k, payload)
	case *bool:
		return false, scalarInto(p, KindBool, k, payload)
	case *any:
		if k != KindBinary && k.elemSize() > 0 {
			*p = fastValue(k, payload)
			return false, nil
		}
	}
	if k == KindBinary {
		if u, ok := ptr.(encoding.BinaryUnmarshaler); ok {
			if err := u.UnmarshalBinary(payload); err != nil {
				return false, fmt.Errorf("UnmarshalBinary into %T: %w", ptr, err)
			}
			return false, nil
		}
		return false, fmt.Errorf("%w: a MarshalBinary value into %T, which is not an encoding.BinaryUnmarshaler", ErrType, ptr)
	}
	if decodeNamed(k, payload, ptr) {
		return false, nil
	}
	return false, fmt.Errorf("%w: a %v into %T", ErrType, k, ptr)
}

// sliceInto decodes a payload of kind k into *p if k is want, reusing
// *p's capacity as gob does.
func sliceInto[T any](p *[]T, want, k Kind, payload []byte) error {
	if k != want {
		return fmt.Errorf("%w: a %v into %T", ErrType, k, p)
	}
	decodeSlice(p, payload)
	return nil
}

// decodeSlice sets *p to the elements whose bytes payload holds (a whole
// number of them, as Header checked).
func decodeSlice[T any](p *[]T, payload []byte) {
	var z T
	n := len(payload) / int(unsafe.Sizeof(z))
	if cap(*p) >= n {
		*p = (*p)[:n]
	} else {
		*p = make([]T, n)
	}
	copy(bytesOf(*p), payload)
}

// scalarInto decodes a payload of scalar kind k into *p if k is want.
func scalarInto[T any](p *T, want, k Kind, payload []byte) error {
	if k != want {
		return fmt.Errorf("%w: a %v into %T", ErrType, k, p)
	}
	copy(unsafe.Slice((*byte)(unsafe.Pointer(p)), unsafe.Sizeof(*p)), payload)
	return nil
}

// fastValue returns the value a payload of fast kind k holds, as an
// interface.
func fastValue(k Kind, payload []byte) any {
	switch k {
	case KindBytes:
		return append([]byte(nil), payload...)
	case KindString:
		return string(payload)
	case KindInts:
		return newSlice[int](payload)
	case KindInt8s:
		return newSlice[int8](payload)
	case KindInt16s:
		return newSlice[int16](payload)
	case KindInt32s:
		return newSlice[int32](payload)
	case KindInt64s:
		return newSlice[int64](payload)
	case KindUints:
		return newSlice[uint](payload)
	case KindUint16s:
		return newSlice[uint16](payload)
	case KindUint32s:
		return newSlice[uint32](payload)
	case KindUint64s:
		return newSlice[uint64](payload)
	case KindFloat32s:
		return newSlice[float32](payload)
	case KindFloat64s:
		return newSlice[float64](payload)
	case KindComplex64s:
		return newSlice[complex64](payload)
	case KindComplex128s:
		return newSlice[complex128](payload)
	case KindInt:
		return newScalar[int](payload)
	case KindInt8:
		return newScalar[int8](payload)
	case KindInt16:
		return newScalar[int16](payload)
	case KindInt32:
		return newScalar[int32](payload)
	case KindInt64:
		return newScalar[int64](payload)
	case KindUint:
		return newScalar[uint](payload)
	case KindUint8:
		return newScalar[uint8](payload)
	case KindUint16:
		return newScalar[uint16](payload)
	case KindUint32:
		return newScalar[uint32](payload)
	case KindUint64:
		return newScalar[uint64](payload)
	case KindFloat32:
		return newScalar[float32](payload)
	case KindFloat64:
		return newScalar[float64](payload)
	case KindComplex64:
		return newScalar[complex64](payload)
	case KindComplex128:
		return newScalar[complex128](payload)
	case KindBool:
		return payload[0] == 1
	}
	return nil
}

func newSlice[T any](payload []byte) []T {
	var s []T
	decodeSlice(&s, payload)
	return s
}

func newScalar[T any](payload []byte) T {
	var v T
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&v)), unsafe.Sizeof(v)), payload)
	return v
}

// bytesOf views s as its underlying bytes without copying.
func bytesOf[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(z)))
}
