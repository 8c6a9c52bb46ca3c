package grid

import (
	"fmt"
	"math"

	"github.com/spmd-go/spmd/comm"
)

// Pack copies the sub-block of src that starts at index start and has
// extent count into dst, contiguously in row-major order, and returns the
// number of elements copied (the product of count). src is a row-major
// array of shape shape, the last index varying fastest; dst must hold at
// least that product. A halo column of a 2-D array of shape [ny nx] is
// start [1 nx-2], count [ny-2 1]; the top face of a 3-D block is start
// [0 0 0], count [1 ny nx].
//
// Pack allocates nothing; each run of the innermost dimension is one copy,
// and trailing dimensions that the block spans whole are merged into that
// run, so a face that is contiguous in src is one copy.
//
// Errors (wrapping comm.ErrArg, nothing copied): shape, start and count of
// different lengths, a negative extent or start, a block reaching past
// shape, src shorter than the product of shape or dst shorter than the
// block.
func Pack[T any](dst, src []T, shape, start, count []int) (int, error) {
	n, err := checkBlock("pack", len(src), len(dst), shape, start, count)
	if err != nil || n == 0 {
		return 0, err
	}
	copyBlock(dst, src, shape, start, count, true)
	return n, nil
}

// Unpack is Pack's inverse: it copies the first prod(count) elements of
// src into the sub-block of dst (a row-major array of shape shape) at
// start with extent count, and returns how many it copied. Same rules and
// errors as Pack, with the roles of the buffers exchanged.
func Unpack[T any](dst []T, shape, start, count []int, src []T) (int, error) {
	n, err := checkBlock("unpack", len(dst), len(src), shape, start, count)
	if err != nil || n == 0 {
		return 0, err
	}
	copyBlock(src, dst, shape, start, count, false)
	return n, nil
}

// checkBlock validates a block of an array of arrayLen elements and a
// contiguous buffer of bufLen, and returns the block's size.
func checkBlock(op string, arrayLen, bufLen int, shape, start, count []int) (int, error) {
	if len(start) != len(shape) || len(count) != len(shape) {
		return 0, fmt.Errorf("grid: %s: shape, start and count have %d, %d and %d entries: %w", op, len(shape), len(start), len(count), comm.ErrArg)
	}
	total, n := 1, 1
	for i, s := range shape {
		if s < 0 || start[i] < 0 || count[i] < 0 || start[i] > s-count[i] {
			return 0, fmt.Errorf("grid: %s: block start %v count %v outside shape %v: %w", op, start, count, shape, comm.ErrArg)
		}
		if s > 0 && total > math.MaxInt/s {
			return 0, fmt.Errorf("grid: %s: shape %v overflows int: %w", op, shape, comm.ErrArg)
		}
		total *= s
		n *= count[i]
	}
	if arrayLen < total {
		return 0, fmt.Errorf("grid: %s: array of %d elements for shape %v: %w", op, arrayLen, shape, comm.ErrArg)
	}
	if bufLen < n {
		return 0, fmt.Errorf("grid: %s: buffer of %d elements for a block of %d: %w", op, bufLen, n, comm.ErrArg)
	}
	return n, nil
}

// copyBlock moves a checked, non-empty block between the contiguous
// buffer buf and the array arr: out of arr when pack, into it otherwise.
func copyBlock[T any](buf, arr []T, shape, start, count []int, pack bool) {
	if len(shape) == 0 { // a 0-d array is one element
		move(buf, arr, 0, 0, 1, pack)
		return
	}
	// Trailing dimensions that the block spans whole merge into the run
	// of the last dimension that is cut, k: a run is then count[k]*inner
	// contiguous elements of arr.
	k, inner := len(shape)-1, 1
	for k > 0 && count[k] == shape[k] {
		inner *= shape[k]
		k--
	}
	run := count[k] * inner
	switch k {
	case 0: // one run
		move(buf, arr, 0, start[0]*inner, run, pack)
	case 1: // the common 2-D case, without recursion
		rowLen := shape[1] * inner
		o := start[0]*rowLen + start[1]*inner
		for i := range count[0] {
			move(buf, arr, i*run, o+i*rowLen, run, pack)
		}
	default:
		walk(buf, arr, shape, start, count, k, inner, pack, 0, 0, 0)
	}
}

// walk copies the runs under dimension dim < k. off is the row-major
// index (Horner's scheme over the dimensions before dim) of the block's
// current corner, pos the next free place in buf; it returns the next
// free place after what it copied. Recursing instead of keeping an index
// array keeps Pack free of allocations for any number of dimensions.
func walk[T any](buf, arr []T, shape, start, count []int, k, inner int, pack bool, dim, off, pos int) int {
	if dim == k {
		run := count[k] * inner
		move(buf, arr, pos, (off*shape[k]+start[k])*inner, run, pack)
		return pos + run
	}
	for i := range count[dim] {
		pos = walk(buf, arr, shape, start, count, k, inner, pack, dim+1, off*shape[dim]+start[dim]+i, pos)
	}
	return pos
}

// move copies n elements between buf[pos:] and arr[o:].
func move[T any](buf, arr []T, pos, o, n int, pack bool) {
	if pack {
		copy(buf[pos:pos+n], arr[o:o+n])
	} else {
		copy(arr[o:o+n], buf[pos:pos+n])
	}
}
