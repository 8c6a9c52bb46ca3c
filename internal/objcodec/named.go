package objcodec

import (
	"encoding/gob"
	"reflect"
	"unsafe"
)

// Named types over the fast types (type Vector []float64, type Celsius
// float64) travel as their underlying type does, found by reflection once
// the exact types of EncodeFast's switch have not matched; a type with
// gob's or encoding's own marshaling methods keeps them.

// kindOfType returns the fast kind whose memory layout values of type t
// share, or 0.
func kindOfType(t reflect.Type) Kind {
	switch t.Kind() {
	case reflect.String:
		return KindString
	case reflect.Slice:
		switch t.Elem().Kind() {
		case reflect.Uint8:
			return KindBytes
		case reflect.Int:
			return KindInts
		case reflect.Int8:
			return KindInt8s
		case reflect.Int16:
			return KindInt16s
		case reflect.Int32:
			return KindInt32s
		case reflect.Int64:
			return KindInt64s
		case reflect.Uint:
			return KindUints
		case reflect.Uint16:
			return KindUint16s
		case reflect.Uint32:
			return KindUint32s
		case reflect.Uint64:
			return KindUint64s
		case reflect.Float32:
			return KindFloat32s
		case reflect.Float64:
			return KindFloat64s
		case reflect.Complex64:
			return KindComplex64s
		case reflect.Complex128:
			return KindComplex128s
		}
	case reflect.Int:
		return KindInt
	case reflect.Int8:
		return KindInt8
	case reflect.Int16:
		return KindInt16
	case reflect.Int32:
		return KindInt32
	case reflect.Int64:
		return KindInt64
	case reflect.Uint:
		return KindUint
	case reflect.Uint8:
		return KindUint8
	case reflect.Uint16:
		return KindUint16
	case reflect.Uint32:
		return KindUint32
	case reflect.Uint64:
		return KindUint64
	case reflect.Float32:
		return KindFloat32
	case reflect.Float64:
		return KindFloat64
	case reflect.Complex64:
		return KindComplex64
	case reflect.Complex128:
		return KindComplex128
	case reflect.Bool:
		return KindBool
	}
	return 0
}

var gobEncoderType = reflect.TypeFor[gob.GobEncoder]()

// viewNamed views v, of a named type over a fast type, as that type (see
// View).
func viewNamed(v any) (k Kind, b []byte, w [16]byte, ok bool) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || rv.Type().Implements(gobEncoderType) {
		return 0, nil, w, false
	}
	k = kindOfType(rv.Type())
	if k == 0 {
		return 0, nil, w, false
	}
	switch {
	case k == KindString:
		str := rv.String()
		b = unsafe.Slice(unsafe.StringData(str), len(str))
	case k.scalar():
		// A copy, addressable, holds the value's bytes.
		c := reflect.New(rv.Type()).Elem()
		c.Set(rv)
		copy(w[:], unsafe.Slice((*byte)(c.Addr().UnsafePointer()), k.elemSize()))
	default:
		if rv.Len() > 0 {
			b = unsafe.Slice((*byte)(rv.UnsafePointer()), rv.Len()*k.elemSize())
		}
	}
	return k, b, w, true
}

// decodeNamed decodes a payload of fast kind k into ptr if it points to a
// named type over the type k carries, and reports whether it did.
func decodeNamed(k Kind, payload []byte, ptr any) bool {
	rv := reflect.ValueOf(ptr)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false
	}
	e := rv.Elem()
	if kindOfType(e.Type()) != k {
		return false
	}
	switch {
	case k == KindString:
		e.SetString(string(payload))
	case k.scalar():
		copy(unsafe.Slice((*byte)(e.Addr().UnsafePointer()), k.elemSize()), payload)
	default:
		n := len(payload) / k.elemSize()
		if e.Cap() >= n {
			e.SetLen(n)
		} else {
			e.Set(reflect.MakeSlice(e.Type(), n, n))
		}
		if n > 0 {
			copy(unsafe.Slice((*byte)(e.UnsafePointer()), len(payload)), payload)
		}
	}
	return true
}
