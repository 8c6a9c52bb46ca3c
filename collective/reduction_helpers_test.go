package collective

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/stretchr/testify/require"
)

// Helpers of the reduction tests (prefix rd): seeded inputs that every rank
// can regenerate for any rank, a serial reference that does not use the
// package's kernels, and comparisons with a derived tolerance.

var rdSizes = []int{0, 1, 7, 1000}

// rdRanks are the rank counts every reduction is tested on.
var rdRanks = []int{1, 2, 3, 4, 5, 6, 7, 8}

// rdRun runs f on p in-process ranks, bounded.
func rdRun(t *testing.T, p int, f func(c *comm.Comm) error) {
	t.Helper()
	require.NoError(t, commtest.Run(p, f, commtest.Timeout(90*time.Second)))
}

// rdEachRanks runs f on every rank count of counts as parallel subtests.
func rdEachRanks(t *testing.T, counts []int, f func(c *comm.Comm) error) {
	for _, p := range counts {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			t.Parallel()
			rdRun(t, p, f)
		})
	}
}

// rdOp is an operation under test with the name the reference knows it by.
type rdOp struct {
	name string
	op   Op
}

// The user operations: affine maps x ↦ m·x + a (mod 2^32) packed in a
// uint64 (m low, a high) and composed left to right, an associative,
// non-commutative operation with exact results; and a user sum.
func rdAffine(f, g uint64) uint64 {
	m1, a1 := uint32(f), uint32(f>>32)
	m2, a2 := uint32(g), uint32(g>>32)
	return uint64(m1*m2) | uint64(m2*a1+a2)<<32
}

var (
	rdAffineOp = NewOp(func(inout, in []uint64) {
		for i := range inout {
			inout[i] = rdAffine(inout[i], in[i])
		}
	}, false)
	rdUserSumOp = NewOp(func(inout, in []int64) {
		for i := range inout {
			inout[i] += in[i]
		}
	}, true)
)

// rdOpsFor returns the operations tested on T.
func rdOpsFor[T comm.Scalar]() []rdOp {
	switch any(*new(T)).(type) {
	case int32, uint8:
		return []rdOp{{"sum", Sum}, {"max", Max}, {"bxor", Bxor}, {"land", Land}}
	case int64:
		return []rdOp{{"sum", Sum}, {"min", Min}, {"usersum", rdUserSumOp}}
	case uint64:
		return []rdOp{{"affine", rdAffineOp}}
	case float32, float64:
		return []rdOp{{"sum", Sum}, {"min", Min}, {"prod", Prod}}
	case complex128:
		return []rdOp{{"sum", Sum}, {"prod", Prod}}
	}
	panic("untested type")
}

// rdInput returns rank's input: n values from a generator seeded by
// (seed, rank), in ranges that suit op (near 1 for products).
func rdInput[T comm.Scalar](seed uint64, rank, n int, op string) []T {
	rng := rand.New(rand.NewPCG(seed, uint64(rank)))
	out := make([]T, n)
	fv := func() float64 {
		if op == "prod" {
			return 0.5 + rng.Float64()
		}
		return 2*rng.Float64() - 1
	}
	switch o := any(out).(type) {
	case []int32:
		for i := range o {
			o[i] = int32(rng.IntN(7) - 3)
		}
	case []int64:
		for i := range o {
			o[i] = int64(rng.IntN(2001) - 1000)
		}
	case []uint8:
		for i := range o {
			o[i] = uint8(rng.IntN(7))
		}
	case []uint64:
		for i := range o {
			o[i] = rng.Uint64()
		}
	case []float32:
		for i := range o {
			o[i] = float32(fv())
		}
	case []float64:
		for i := range o {
			o[i] = fv()
		}
	case []complex128:
		for i := range o {
			o[i] = complex(fv(), fv()/4)
		}
	default:
		panic("untested type")
	}
	return out
}

// rdCombine is the reference operation on one element: a ∘ b.
func rdCombine[T comm.Scalar](op string, a, b T) T {
	switch a := any(a).(type) {
	case int32:
		return any(rdInt(op, a, any(b).(int32))).(T)
	case int64:
		return any(rdInt(op, a, any(b).(int64))).(T)
	case uint8:
		return any(rdInt(op, a, any(b).(uint8))).(T)
	case uint64:
		return any(rdInt(op, a, any(b).(uint64))).(T)
	case float32:
		return any(rdFloat(op, a, any(b).(float32))).(T)
	case float64:
		return any(rdFloat(op, a, any(b).(float64))).(T)
	case complex128:
		b := any(b).(complex128)
		switch op {
		case "sum":
			return any(a + b).(T)
		case "prod":
			return any(a * b).(T)
		}
	}
	panic("no reference for " + op)
}

func rdInt[I int32 | int64 | uint8 | uint64](op string, a, b I) I {
	bit := func(v bool) I {
		if v {
			return 1
		}
		return 0
	}
	switch op {
	case "sum", "usersum":
		return a + b
	case "prod":
		return a * b
	case "min":
		if b < a {
			return b
		}
		return a
	case "max":
		if b > a {
			return b
		}
		return a
	case "band":
		return a & b
	case "bor":
		return a | b
	case "bxor":
		return a ^ b
	case "land":
		return bit(a != 0 && b != 0)
	case "lor":
		return bit(a != 0 || b != 0)
	case "lxor":
		return bit((a != 0) != (b != 0))
	case "affine":
		return I(rdAffine(uint64(a), uint64(b)))
	}
	panic("no reference for " + op)
}

func rdFloat[F float32 | float64](op string, a, b F) F {
	switch op {
	case "sum":
		return a + b
	case "prod":
		return a * b
	case "min":
		if b < a {
			return b
		}
		return a
	case "max":
		if b > a {
			return b
		}
		return a
	}
	panic("no reference for " + op)
}

// rdAbs is |v| as a float64.
func rdAbs[T comm.Scalar](v T) float64 {
	switch v := any(v).(type) {
	case float32:
		return math.Abs(float64(v))
	case float64:
		return math.Abs(v)
	case complex128:
		return cmplx.Abs(v)
	}
	return 0
}

// rdEps is the unit roundoff of T (0 for exact types).
func rdEps[T comm.Scalar]() float64 {
	switch reflect.TypeFor[T]().Kind() {
	case reflect.Float32:
		return 0x1p-24
	case reflect.Float64, reflect.Complex128:
		return 0x1p-53
	}
	return 0
}

// rdReference folds the inputs of ranks lo … hi−1 serially, in rank order,
// and returns the result with the bound on the rounding error of any
// order of evaluation: 4·k·ε·Σ|x| for sums, 4·k·ε·Π|x| for products,
// 0 for exact operations (k operands).
func rdReference[T comm.Scalar](seed uint64, n int, op string, lo, hi int) (ref []T, tol []float64) {
	// References are shared by the ranks of the process (read only): each
	// is computed once, not once per rank.
	key := fmt.Sprintf("%T/%d/%d/%s/%d/%d", *new(T), seed, n, op, lo, hi)
	e, _ := rdMemo.LoadOrStore(key, new(rdMemoEntry))
	m := e.(*rdMemoEntry)
	m.once.Do(func() { m.ref, m.tol = rdFold[T](seed, n, op, lo, hi) })
	return m.ref.([]T), m.tol
}

var rdMemo sync.Map // key → *rdMemoEntry

type rdMemoEntry struct {
	once sync.Once
	ref  any
	tol  []float64
}

func rdFold[T comm.Scalar](seed uint64, n int, op string, lo, hi int) (ref []T, tol []float64) {
	tol = make([]float64, n)
	mag := make([]float64, n)
	for r := lo; r < hi; r++ {
		in := rdInput[T](seed, r, n, op)
		if ref == nil {
			ref = in
			for i, v := range in {
				mag[i] = rdAbs(v)
			}
			continue
		}
		for i := range ref {
			ref[i] = rdCombine(op, ref[i], in[i])
			if op == "prod" {
				mag[i] *= rdAbs(in[i])
			} else {
				mag[i] += rdAbs(in[i])
			}
		}
	}
	if op == "sum" || op == "prod" {
		k := float64(hi - lo)
		for i := range tol {
			tol[i] = 4 * k * rdEps[T]() * mag[i]
		}
	}
	return ref, tol
}

// rdNear compares got with the reference within tol, element by element.
func rdNear[T comm.Scalar](what string, got, want []T, tol []float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%s: %d elements, want %d", what, len(got), len(want))
	}
	bad := -1
	switch g := any(got).(type) {
	case []float32:
		w := any(want).([]float32)
		for i := range g {
			if !(math.Abs(float64(g[i])-float64(w[i])) <= tol[i]) {
				bad = i
				break
			}
		}
	case []float64:
		w := any(want).([]float64)
		for i := range g {
			if !(math.Abs(g[i]-w[i]) <= tol[i]) {
				bad = i
				break
			}
		}
	case []complex128:
		w := any(want).([]complex128)
		for i := range g {
			if !(cmplx.Abs(g[i]-w[i]) <= tol[i]) {
				bad = i
				break
			}
		}
	default:
		for i := range got {
			if got[i] != want[i] {
				bad = i
				break
			}
		}
	}
	if bad >= 0 {
		return fmt.Errorf("%s: element %d of %d is %v, want %v (tolerance %g)", what, bad, len(got), got[bad], want[bad], tol[bad])
	}
	return nil
}

// rdBytes views s as its bytes.
func rdBytes[T comm.Scalar](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*comm.SizeOf[T]())
}

// rdSameBits checks that every rank of c holds the same bits in v: each
// sends v to rank 0 on c's point-to-point context, which compares.
func rdSameBits[T comm.Scalar](c *comm.Comm, what string, v []T) error {
	const tag = 4242
	if c.Rank() != 0 {
		return comm.Send(c, v, 0, tag)
	}
	other := make([]T, len(v))
	for r := 1; r < c.Size(); r++ {
		if _, err := comm.Recv(c, other, r, tag); err != nil {
			return err
		}
		if string(rdBytes(other)) != string(rdBytes(v)) {
			return fmt.Errorf("%s: rank %d's result differs in its bits from rank 0's", what, r)
		}
	}
	return nil
}

// rdAlgs returns op's registered algorithms.
func rdAlgs(t testing.TB, op string) []string {
	algs := Algorithms()[op]
	require.NotEmpty(t, algs, op)
	return algs
}

// rdTyped is a test case of one collective for one element type.
type rdTyped interface {
	run(c *comm.Comm, n int, seed uint64) error
}

// rdEach runs the cases (typically one collective over the tested element
// types), stopping at the first error.
func rdEach(c *comm.Comm, n int, seed uint64, cases ...rdTyped) error {
	for _, k := range cases {
		if err := k.run(c, n, seed); err != nil {
			return err
		}
	}
	return nil
}
