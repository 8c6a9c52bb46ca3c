package comm

import "unsafe"

// Scalar is the set of element types that travel as raw bytes: Go's integer,
// floating-point and complex types and named types over them. Ranks of one
// job must share byte order and type sizes (int and uint are 64-bit on every
// platform spmd builds for).
type Scalar interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr |
		~float32 | ~float64 | ~complex64 | ~complex128
}

// bytesOf views s as its underlying bytes without copying.
func bytesOf[T Scalar](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(s[0])))
}

// SizeOf returns the size in bytes of one element of type T.
func SizeOf[T Scalar]() int {
	var z T
	return int(unsafe.Sizeof(z))
}

// Count returns how many elements of type T a received message held
// (MPI_Get_count).
func Count[T Scalar](s Status) int { return s.Bytes / SizeOf[T]() }
