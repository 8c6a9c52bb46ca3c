package collective

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/spmd-go/spmd/comm"
)

// The kernels of the predefined operations. apply sets dst[i] = a[i] ∘ b[i]
// where dst is a or b (the left operand stays left whichever buffer takes
// the result, so ranks that combine the same operands get the same bits).
// It picks the kernel by the element type's kind (so named types such as
// type Celsius float64 take the float64 kernel) and the operation outside
// the loop: each kernel is one plain loop per operation, with the bounds
// checks hoisted, which the compiler turns into straight-line code per
// element.

type intElem interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr
}

type realElem interface {
	intElem | ~float32 | ~float64
}

type cplxElem interface {
	~complex64 | ~complex128
}

// asSlice views s as a slice of U, which must have T's size and representation.
func asSlice[U, T any](s []T) []U {
	return unsafe.Slice((*U)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

func apply[T comm.Scalar](k opKind, dst, a, b []T) error {
	switch reflect.TypeFor[T]().Kind() {
	case reflect.Int:
		return applyInt(k, asSlice[int](dst), asSlice[int](a), asSlice[int](b))
	case reflect.Int8:
		return applyInt(k, asSlice[int8](dst), asSlice[int8](a), asSlice[int8](b))
	case reflect.Int16:
		return applyInt(k, asSlice[int16](dst), asSlice[int16](a), asSlice[int16](b))
	case reflect.Int32:
		return applyInt(k, asSlice[int32](dst), asSlice[int32](a), asSlice[int32](b))
	case reflect.Int64:
		return applyInt(k, asSlice[int64](dst), asSlice[int64](a), asSlice[int64](b))
	case reflect.Uint:
		return applyInt(k, asSlice[uint](dst), asSlice[uint](a), asSlice[uint](b))
	case reflect.Uint8:
		return applyInt(k, asSlice[uint8](dst), asSlice[uint8](a), asSlice[uint8](b))
	case reflect.Uint16:
		return applyInt(k, asSlice[uint16](dst), asSlice[uint16](a), asSlice[uint16](b))
	case reflect.Uint32:
		return applyInt(k, asSlice[uint32](dst), asSlice[uint32](a), asSlice[uint32](b))
	case reflect.Uint64:
		return applyInt(k, asSlice[uint64](dst), asSlice[uint64](a), asSlice[uint64](b))
	case reflect.Uintptr:
		return applyInt(k, asSlice[uintptr](dst), asSlice[uintptr](a), asSlice[uintptr](b))
	case reflect.Float32:
		return applyArith(k, asSlice[float32](dst), asSlice[float32](a), asSlice[float32](b))
	case reflect.Float64:
		return applyArith(k, asSlice[float64](dst), asSlice[float64](a), asSlice[float64](b))
	case reflect.Complex64:
		return applyComplex(k, asSlice[complex64](dst), asSlice[complex64](a), asSlice[complex64](b))
	case reflect.Complex128:
		return applyComplex(k, asSlice[complex128](dst), asSlice[complex128](a), asSlice[complex128](b))
	}
	return errKernel[T](k)
}

func errKernel[T any](k opKind) error {
	return fmt.Errorf("collective: op %s on []%v: %w: %w", Op{kind: k}, reflect.TypeFor[T](), ErrOp, comm.ErrArg)
}

// applyArith runs the operations every realElem type has.
func applyArith[T realElem](k opKind, dst, a, b []T) error {
	a, b = a[:len(dst)], b[:len(dst)]
	switch k {
	case opSum:
		for i := range dst {
			dst[i] = a[i] + b[i]
		}
	case opProd:
		for i := range dst {
			dst[i] = a[i] * b[i]
		}
	case opMin:
		for i := range dst {
			dst[i] = min(a[i], b[i])
		}
	case opMax:
		for i := range dst {
			dst[i] = max(a[i], b[i])
		}
	default:
		return errKernel[T](k)
	}
	return nil
}

// applyInt adds the logical and bitwise operations to applyArith.
func applyInt[T intElem](k opKind, dst, a, b []T) error {
	a, b = a[:len(dst)], b[:len(dst)]
	switch k {
	case opBand:
		for i := range dst {
			dst[i] = a[i] & b[i]
		}
	case opBor:
		for i := range dst {
			dst[i] = a[i] | b[i]
		}
	case opBxor:
		for i := range dst {
			dst[i] = a[i] ^ b[i]
		}
	case opLand:
		for i := range dst {
			dst[i] = boolTo[T](a[i] != 0 && b[i] != 0)
		}
	case opLor:
		for i := range dst {
			dst[i] = boolTo[T](a[i] != 0 || b[i] != 0)
		}
	case opLxor:
		for i := range dst {
			dst[i] = boolTo[T]((a[i] != 0) != (b[i] != 0))
		}
	default:
		return applyArith(k, dst, a, b)
	}
	return nil
}

func boolTo[T intElem](v bool) T {
	if v {
		return 1
	}
	return 0
}

// applyComplex runs Sum and Prod, the only predefined operations on
// complex numbers.
func applyComplex[T cplxElem](k opKind, dst, a, b []T) error {
	a, b = a[:len(dst)], b[:len(dst)]
	switch k {
	case opSum:
		for i := range dst {
			dst[i] = a[i] + b[i]
		}
	case opProd:
		for i := range dst {
			dst[i] = a[i] * b[i]
		}
	default:
		return errKernel[T](k)
	}
	return nil
}
