package collective

import (
	"fmt"
	"math"
	"testing"

	"github.com/spmd-go/spmd/comm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var allOps = []Op{Sum, Prod, Min, Max, Land, Lor, Lxor, Band, Bor, Bxor}

// scalarInt is the reference of a predefined op on one integer pair.
func scalarInt[I intElem](op Op, a, b I) I {
	bit := func(v bool) I {
		if v {
			return 1
		}
		return 0
	}
	switch op {
	case Sum:
		return a + b
	case Prod:
		return a * b
	case Min:
		return min(a, b)
	case Max:
		return max(a, b)
	case Land:
		return bit(a != 0 && b != 0)
	case Lor:
		return bit(a != 0 || b != 0)
	case Lxor:
		return bit((a != 0) != (b != 0))
	case Band:
		return a & b
	case Bor:
		return a | b
	}
	return a ^ b
}

// kernelIntCase checks every op on []I against the scalar reference, in both
// argument orders.
func kernelIntCase[I intElem](t *testing.T) {
	a := []I{0, 1, 2, 3, 5, 7, 0, 100, 127}
	b := []I{0, 0, 3, 1, 6, 7, 9, 27, 1}
	for _, op := range allOps {
		got := append([]I(nil), a...)
		require.NoError(t, checkOp[I](op))
		require.NoError(t, reduceInto(op, got, b))
		got2 := append([]I(nil), b...)
		require.NoError(t, reduceLeftInto(op, a, got2, nil))
		for i := range a {
			want := scalarInt(op, a[i], b[i])
			assert.Equal(t, want, got[i], "%s %T[%d]", op, a[i], i)
			assert.Equal(t, want, got2[i], "%s %T[%d] left", op, a[i], i)
		}
	}
}

type celsius float64 // a named type takes its underlying type's kernel

func kernelFloatCase[F ~float32 | ~float64](t *testing.T) {
	a := []F{1.5, -2, 0, F(math.Inf(1)), 3}
	b := []F{2, -3, -0.5, 1, 3}
	want := map[Op][]F{
		Sum:  {3.5, -5, -0.5, F(math.Inf(1)), 6},
		Prod: {3, 6, 0, F(math.Inf(1)), 9},
		Min:  {1.5, -3, -0.5, 1, 3},
		Max:  {2, -2, 0, F(math.Inf(1)), 3},
	}
	for _, op := range allOps {
		got := append([]F(nil), a...)
		err := reduceInto(op, got, b)
		if want[op] == nil {
			require.ErrorIs(t, checkOp[F](op), ErrOp, "%s", op)
			require.ErrorIs(t, err, ErrOp, "%s", op)
			require.ErrorIs(t, err, comm.ErrArg)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, want[op], got, "%s %T", op, a[0])
	}
}

func kernelComplexCase[C ~complex64 | ~complex128](t *testing.T) {
	a := []C{1 + 2i, 0, -1i}
	b := []C{3 - 1i, 5, 2i}
	want := map[Op][]C{Sum: {4 + 1i, 5, 1i}, Prod: {5 + 5i, 0, 2}}
	for _, op := range allOps {
		got := append([]C(nil), a...)
		err := reduceInto(op, got, b)
		if want[op] == nil {
			require.ErrorIs(t, err, ErrOp, "%s", op)
			require.ErrorIs(t, checkOp[C](op), ErrOp, "%s", op)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, want[op], got, "%s %T", op, a[0])
	}
}

// TestOpReduceIntoKinds runs the kernels of every Scalar kind, and a named
// type, against scalar references.
func TestOpReduceIntoKinds(t *testing.T) {
	kernelIntCase[int](t)
	kernelIntCase[int8](t)
	kernelIntCase[int16](t)
	kernelIntCase[int32](t)
	kernelIntCase[int64](t)
	kernelIntCase[uint](t)
	kernelIntCase[uint8](t)
	kernelIntCase[uint16](t)
	kernelIntCase[uint32](t)
	kernelIntCase[uint64](t)
	kernelIntCase[uintptr](t)
	kernelFloatCase[float32](t)
	kernelFloatCase[float64](t)
	kernelFloatCase[celsius](t)
	kernelComplexCase[complex64](t)
	kernelComplexCase[complex128](t)
}

// TestOpReduceIntoOrder pins the argument order down with a non-commutative
// user op: reduceInto(inout, in) = inout ∘ in, reduceLeftInto(in, inout) =
// in ∘ inout.
func TestOpReduceIntoOrder(t *testing.T) {
	f, g := uint64(3)|5<<32, uint64(7)|11<<32 // x ↦ 3x+5, x ↦ 7x+11
	fg := composeAffine(f, g)                 // x ↦ 7(3x+5)+11
	require.NotEqual(t, fg, composeAffine(g, f))
	inout := []uint64{f}
	require.NoError(t, reduceInto(affineOp, inout, []uint64{g}))
	assert.Equal(t, fg, inout[0])
	inout = []uint64{g}
	in := []uint64{f}
	require.NoError(t, reduceLeftInto(affineOp, in, inout, make([]uint64, 1)))
	assert.Equal(t, fg, inout[0])
	assert.Equal(t, f, in[0], "in is left alone")

	assert.False(t, affineOp.Commutative())
	assert.True(t, userSumOp.Commutative())
	assert.True(t, Max.Commutative())
	assert.False(t, Op{}.Commutative())
	assert.Equal(t, "bxor", Bxor.String())
	assert.Equal(t, "user", affineOp.String())
	assert.Equal(t, "invalid", Op{}.String())
	sum, user := Sum, affineOp
	assert.True(t, sum == Sum && user == affineOp && sum != Prod, "Op is comparable")

	require.ErrorIs(t, reduceInto(Sum, make([]int, 2), make([]int, 3)), comm.ErrArg)
	require.ErrorIs(t, reduceInto(affineOp, make([]int64, 1), make([]int64, 1)), ErrOp)
	require.ErrorIs(t, reduceLeftInto(affineOp, make([]uint64, 2), make([]uint64, 2), nil), comm.ErrArg)
	require.ErrorIs(t, checkOp[float64](NewOp[float64](nil, false)), ErrOp)
}

func BenchmarkReduceInto(b *testing.B) {
	b.Run("float64/sum", benchKernel[float64](Sum))
	b.Run("float64/max", benchKernel[float64](Max))
	b.Run("float32/sum", benchKernel[float32](Sum))
	b.Run("int32/sum", benchKernel[int32](Sum))
	b.Run("int64/band", benchKernel[int64](Band))
	b.Run("complex128/prod", benchKernel[complex128](Prod))
	b.Run("float64/user-sum", benchKernel[float64](NewOp(func(inout, in []float64) {
		for i := range inout {
			inout[i] += in[i]
		}
	}, true)))
}

func benchKernel[T comm.Scalar](op Op) func(b *testing.B) {
	return func(b *testing.B) {
		for _, n := range []int{1, 1024, 1 << 20} {
			b.Run(fmt.Sprint(n), func(b *testing.B) {
				x, y := make([]T, n), make([]T, n)
				for i := range x {
					x[i], y[i] = 1, 1
				}
				b.SetBytes(int64(n * comm.SizeOf[T]()))
				b.ReportAllocs()
				for b.Loop() {
					if err := reduceInto(op, x, y); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestCopyHot: copyHot copies like copy at every size around its piece
// size and its limit, for elements of several widths.
func TestCopyHot(t *testing.T) {
	for _, n := range []int{0, 1, hotCopyPiece - 1, hotCopyPiece, hotCopyPiece + 3, 3*hotCopyPiece + 5, hotCopyMax + 1} {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(i * 7)
		}
		dst := make([]byte, n+1)
		assert.Equal(t, n, copyHot(dst, src))
		assert.Equal(t, src, dst[:n], "%d bytes", n)
		assert.Zero(t, dst[n], "%d bytes: nothing written past the source", n)
		words := make([]float64, n/8+1)
		for i := range words {
			words[i] = float64(i)
		}
		out := make([]float64, len(words))
		assert.Equal(t, len(words), copyHot(out, words))
		assert.Equal(t, words, out)
	}
}
