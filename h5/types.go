//go:build cgo

package h5

// #include "shim.h"
import "C"

import (
	"fmt"
	"reflect"
)

// Number is the set of element types h5 stores: Go's integer and
// floating-point types and named types over them. int and uint are stored
// as 64-bit integers. Each is stored as the library's native type of that
// size, so the file holds the bytes the program had in memory.
type Number interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 |
		~float32 | ~float64
}

// typeCode names an element type for the C side (shim.h's SPMDH5_*).
type typeCode int

const (
	codeNone   typeCode = 0
	codeI8     typeCode = C.SPMDH5_I8
	codeI16    typeCode = C.SPMDH5_I16
	codeI32    typeCode = C.SPMDH5_I32
	codeI64    typeCode = C.SPMDH5_I64
	codeU8     typeCode = C.SPMDH5_U8
	codeU16    typeCode = C.SPMDH5_U16
	codeU32    typeCode = C.SPMDH5_U32
	codeU64    typeCode = C.SPMDH5_U64
	codeF32    typeCode = C.SPMDH5_F32
	codeF64    typeCode = C.SPMDH5_F64
	codeString typeCode = C.SPMDH5_STRING
)

var codeNames = map[typeCode]string{
	codeI8: "int8", codeI16: "int16", codeI32: "int32", codeI64: "int64",
	codeU8: "uint8", codeU16: "uint16", codeU32: "uint32", codeU64: "uint64",
	codeF32: "float32", codeF64: "float64", codeString: "string",
}

// String names the type as Go would.
func (t typeCode) String() string {
	if s, ok := codeNames[t]; ok {
		return s
	}
	return "a type h5 does not read"
}

// size is the size in bytes of one element.
func (t typeCode) size() int {
	switch t {
	case codeI8, codeU8:
		return 1
	case codeI16, codeU16:
		return 2
	case codeI32, codeU32, codeF32:
		return 4
	case codeI64, codeU64, codeF64:
		return 8
	}
	return 0
}

// kindCode maps a reflect.Kind to its type code, or codeNone.
func kindCode(k reflect.Kind) typeCode {
	switch k {
	case reflect.Int8:
		return codeI8
	case reflect.Int16:
		return codeI16
	case reflect.Int32:
		return codeI32
	case reflect.Int64, reflect.Int:
		return codeI64
	case reflect.Uint8:
		return codeU8
	case reflect.Uint16:
		return codeU16
	case reflect.Uint32:
		return codeU32
	case reflect.Uint64, reflect.Uint:
		return codeU64
	case reflect.Float32:
		return codeF32
	case reflect.Float64:
		return codeF64
	case reflect.String:
		return codeString
	}
	return codeNone
}

// codeFor is the type code of T.
func codeFor[T Number]() typeCode {
	return kindCode(reflect.TypeFor[T]().Kind())
}

// checkCode reports a stored type that is not T's.
func checkCode(stored, want typeCode, what string) error {
	if stored == want {
		return nil
	}
	return fmt.Errorf("%w: %s holds %v, not %v", ErrMismatch, what, stored, want)
}
