package collective

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/spmd-go/spmd/comm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allreduceCase checks Allreduce on []T with every tested operation: the
// result against the serial reference, the same bits on every rank, and
// send left alone.
type allreduceCase[T comm.Scalar] struct {
	alg     string
	inPlace bool
	only    string // test only this operation, if set
	noBits  bool   // skip the bit comparison (it sends user messages)
	nilSend bool   // in place by a nil send rather than send == recv
}

func (k allreduceCase[T]) run(c *comm.Comm, n int, seed uint64) error {
	p, r := c.Size(), c.Rank()
	for _, o := range opsFor[T]() {
		if k.only != "" && o.name != k.only {
			continue
		}
		what := fmt.Sprintf("allreduce[%s] %s []%T n=%d p=%d in-place=%v", k.alg, o.name, *new(T), n, p, k.inPlace)
		send := reductionInput[T](seed, r, n, o.name)
		orig := append([]T(nil), send...)
		recv := make([]T, n)
		if k.inPlace {
			recv = send
		}
		arg := send
		if k.nilSend {
			arg = nil
		}
		if err := Allreduce(c, arg, recv, o.op); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		want, tol := serialReference[T](seed, n, o.name, 0, p)
		if err := near(what, recv, want, tol); err != nil {
			return err
		}
		if !k.inPlace {
			if err := near(what+": send changed", send, orig, make([]float64, n)); err != nil {
				return err
			}
		}
		if k.noBits {
			continue
		}
		if err := sameBits(c, what, recv); err != nil {
			return err
		}
	}
	return nil
}

func allreduceCases(alg string, inPlace bool) []typedCase {
	return []typedCase{
		allreduceCase[int32]{alg: alg, inPlace: inPlace},
		allreduceCase[int64]{alg: alg, inPlace: inPlace},
		allreduceCase[uint8]{alg: alg, inPlace: inPlace},
		allreduceCase[uint64]{alg: alg, inPlace: inPlace},
		allreduceCase[float32]{alg: alg, inPlace: inPlace},
		allreduceCase[float64]{alg: alg, inPlace: inPlace},
		allreduceCase[complex128]{alg: alg, inPlace: inPlace},
	}
}

// TestAllreduce covers every algorithm and the default choice (a subtest
// each) on 1–8 ranks, every tested type and operation, sizes 0, 1, 7 and
// 1000, and in place; the algorithms for long vectors also on a million
// elements on 3 ranks (non-power-of-two paths; skipped with -short), and
// the ring with several segments per block.
func TestAllreduce(t *testing.T) {
	eachAlgorithm(t, append([]string{""}, algorithmsOf(t, "allreduce")...), func(t *testing.T, alg string) {
		onEachRankCount(t, testRanks, func(c *comm.Comm) error {
			setOverride(c, "allreduce", alg)
			for i, n := range testSizes {
				if err := eachCase(c, n, uint64(100+i), allreduceCases(alg, false)...); err != nil {
					return err
				}
			}
			if err := eachCase(c, 7, 7, allreduceCases(alg, true)...); err != nil {
				return err
			}
			return eachCase(c, 1000, 8, allreduceCase[float64]{alg: alg, inPlace: true, nilSend: true}, allreduceCase[uint64]{alg: alg, inPlace: true, nilSend: true})
		})
		switch alg {
		case allreduceRabenseifner, allreduceRing, allreduceRecursiveDoubling:
			t.Run("large/p=3", func(t *testing.T) {
				if testing.Short() {
					t.Skip("large vectors")
				}
				onRanks(t, 3, func(c *comm.Comm) error {
					setOverride(c, "allreduce", alg)
					return eachCase(c, 1_000_000, 9, allreduceCase[float64]{alg: alg, only: "sum"})
				})
			})
		}
		if alg == allreduceRing {
			// Several segments per block, on an odd rank count, with a
			// non-dividing length.
			t.Run("segments/p=3", func(t *testing.T) {
				n := 5*ringSegmentBytes/8 + 3 // > 1 segment per block of float64s on 3 ranks
				onRanks(t, 3, func(c *comm.Comm) error {
					setOverride(c, "allreduce", allreduceRing)
					return eachCase(c, n, 11, allreduceCase[float64]{alg: allreduceRing, only: "sum"}, allreduceCase[int64]{alg: allreduceRing, only: "usersum"})
				})
			})
		}
	})
}

func TestChooseAllreduce(t *testing.T) {
	assert.Equal(t, allreduceRecursiveDoubling, chooseAllreduce(8, 1, 4, true))
	assert.Equal(t, allreduceRecursiveDoubling, chooseAllreduce(2048, 256, 8, true))
	assert.Equal(t, allreduceRecursiveDoubling, chooseAllreduce(1<<20, 3, 8, true), "fewer elements than ranks")
	assert.Equal(t, allreduceRabenseifner, chooseAllreduce(1<<20, 1<<17, 8, true))
	assert.Equal(t, allreduceRabenseifner, chooseAllreduce(1<<20, 1<<17, 6, false), "non-commutative: never the ring")
	assert.Equal(t, allreduceRabenseifner, chooseAllreduce(64<<10, 8<<10, 6, true))
	assert.Equal(t, allreduceRing, chooseAllreduce(1<<20, 1<<17, 6, true))
	// The measured part of the table (p ≤ 4, see allreduce.go).
	assert.Equal(t, allreduceRecursiveDoubling, chooseAllreduce(4<<10, 512, 4, true))
	assert.Equal(t, allreduceRabenseifner, chooseAllreduce(8<<10, 1<<10, 2, true), "halves go eagerly")
	assert.Equal(t, allreduceRecursiveDoubling, chooseAllreduce(2<<20, 1<<18, 2, true), "p = 2: one exchange")
	assert.Equal(t, allreduceRecursiveDoubling, chooseAllreduce(512<<10, 1<<16, 4, true))
	assert.Equal(t, allreduceRabenseifner, chooseAllreduce(1<<20, 1<<17, 4, true))
	assert.Equal(t, allreduceRabenseifner, chooseAllreduce(2<<20, 1<<18, 4, true))
	assert.Equal(t, allreduceRing, chooseAllreduce(256<<10, 32<<10, 3, true))
	assert.Equal(t, allreduceRecursiveDoubling, chooseAllreduce(256<<10, 32<<10, 3, false), "non-commutative: never the ring")
	assert.Equal(t, allreduceRabenseifner, chooseAllreduce(2<<20, 1<<18, 3, true))
}

// TestIallreduce keeps two non-blocking allreduces and a barrier in flight
// at once while the caller computes.
func TestIallreduce(t *testing.T) {
	onEachRankCount(t, []int{1, 3, 4}, func(c *comm.Comm) error {
		r, p := c.Rank(), c.Size()
		a := reductionInput[float64](1, r, 1000, "sum")
		b := reductionInput[int32](2, r, 7, "sum")
		ra, rb := make([]float64, len(a)), make([]int32, len(b))
		qa, err := Iallreduce(c, a, ra, Sum)
		if err != nil {
			return err
		}
		qb, err := Ibarrier(c)
		if err != nil {
			return err
		}
		qc, err := Iallreduce(c, b, rb, Max)
		if err != nil {
			return err
		}
		busy := 0.0
		for i := range 10000 {
			busy += float64(i)
		}
		_ = busy
		if err := comm.WaitAll(qc, qb, qa); err != nil {
			return err
		}
		want, tol := serialReference[float64](1, 1000, "sum", 0, p)
		if err := near("iallreduce sum", ra, want, tol); err != nil {
			return err
		}
		// int32 inputs do not depend on the operation they are made for.
		wantB, tolB := serialReference[int32](2, 7, "max", 0, p)
		return near("iallreduce max", rb, wantB, tolB)
	})
}

// TestObjectAllreduce combines values in rank order with a non-commutative
// function.
func TestObjectAllreduce(t *testing.T) {
	type path struct{ Ranks []int }
	onEachRankCount(t, testRanks, func(c *comm.Comm) error {
		got, err := AllreduceObj(c, path{[]int{c.Rank()}}, func(a, b path) path {
			return path{append(append([]int(nil), a.Ranks...), b.Ranks...)}
		})
		if err != nil {
			return err
		}
		want := make([]int, c.Size())
		for i := range want {
			want[i] = i
		}
		if fmt.Sprint(got.Ranks) != fmt.Sprint(want) {
			return fmt.Errorf("rank %d: got %v, want %v", c.Rank(), got.Ranks, want)
		}
		s, err := AllreduceObj(c, fmt.Sprint(c.Rank()), func(a, b string) string { return a + b })
		if err != nil {
			return err
		}
		if want := "01234567"[:c.Size()]; s != want {
			return fmt.Errorf("rank %d: got %q, want %q", c.Rank(), s, want)
		}
		return nil
	})
	_, err := AllreduceObj[int](nil, 1, func(a, b int) int { return a + b })
	require.ErrorIs(t, err, comm.ErrComm)
}

// TestCollectivesOnSplitsConcurrently runs reductions on two communicators
// over the same ranks from two goroutines per rank.
func TestCollectivesOnSplitsConcurrently(t *testing.T) {
	onRanks(t, 4, func(c *comm.Comm) error {
		all, err := c.Split(0, c.Rank())
		if err != nil {
			return err
		}
		half, err := c.Split(c.Rank()%2, c.Rank())
		if err != nil {
			return err
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, sub := range []*comm.Comm{all, half} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for round := range 20 {
					n := []int{1, 7, 1000}[round%3]
					var err error
					switch round % 4 {
					case 0, 1:
						err = allreduceCase[float64]{only: "sum"}.run(sub, n, uint64(round))
					case 2:
						err = reduceCase[int64]{root: sub.Size() - 1}.run(sub, n, uint64(round))
					default:
						err = Barrier(sub)
					}
					if err != nil {
						errs[i] = fmt.Errorf("comm %d round %d: %w", i, round, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		return errors.Join(errs...)
	})
}

// TestUserWildcardReceiveUndisturbed posts an AnySource/AnyTag receive
// before the collectives run; it must get the user's message afterwards.
func TestUserWildcardReceiveUndisturbed(t *testing.T) {
	onRanks(t, 3, func(c *comm.Comm) error {
		var req *comm.Request
		buf := make([]int32, 4)
		if c.Rank() == 0 {
			var err error
			if req, err = comm.Irecv(c, buf, comm.AnySource, comm.AnyTag); err != nil {
				return err
			}
		}
		for _, alg := range algorithmsOf(t, "allreduce") {
			setOverride(c, "allreduce", alg)
			if err := (allreduceCase[int32]{alg: alg, noBits: true}).run(c, 7, 3); err != nil {
				return err
			}
		}
		if err := eachCase(c, 7, 4, reduceCase[int32]{root: 0}, scanCase[int32]{}, scanCase[int32]{exclusive: true}, reduceScatterCase[int32]{}); err != nil {
			return err
		}
		if c.Rank() == 0 { // rank 2 sends only after the barrier
			if done, st, err := req.Test(); done {
				return fmt.Errorf("the user's wildcard receive matched collective traffic: %v %+v %v", buf, st, err)
			}
		}
		if err := Barrier(c); err != nil {
			return err
		}
		switch c.Rank() {
		case 2:
			return comm.Send(c, []int32{9, 8, 7, 6}, 0, 55)
		case 0:
			st, err := req.Wait()
			if err != nil {
				return err
			}
			if st.Source != 2 || st.Tag != 55 || fmt.Sprint(buf) != "[9 8 7 6]" {
				return fmt.Errorf("user receive got %v from %d tag %d", buf, st.Source, st.Tag)
			}
		}
		return nil
	})
}

// TestBadArgsAllreduce: arguments every rank gets wrong fail on every
// rank before any message.
func TestBadArgsAllreduce(t *testing.T) {
	require.ErrorIs(t, Allreduce(nil, []int{1}, []int{0}, Sum), comm.ErrComm)
	_, err := Iallreduce(nil, []int{1}, []int{0}, Sum)
	require.ErrorIs(t, err, comm.ErrComm)
	onRanks(t, 3, func(c *comm.Comm) error {
		buf := make([]float64, 8)
		checks := []struct {
			err  error
			want error
		}{
			{Allreduce(c, make([]int, 3), make([]int, 4), Sum), comm.ErrArg},
			{Allreduce(c, []complex128{1}, []complex128{0}, Max), ErrOp},
			{Allreduce(c, []float32{1}, []float32{0}, Band), ErrOp},
			{Allreduce(c, []float64{1}, []float64{0}, Op{}), ErrOp},
			{Allreduce(c, []int32{1}, []int32{0}, userSumOp), ErrOp},
			{Allreduce(c, []uint64{1}, []uint64{0}, NewOp[uint64](nil, true)), ErrOp},
			{Allreduce(c, buf[:4], buf[2:6], Sum), comm.ErrArg},
		}
		for i, k := range checks {
			if !errors.Is(k.err, k.want) {
				return fmt.Errorf("check %d: got %v, want %v", i, k.err, k.want)
			}
		}
		_, err := Iallreduce(c, make([]int, 3), make([]int, 4), Sum)
		if !errors.Is(err, comm.ErrArg) {
			return fmt.Errorf("iallreduce: got %v", err)
		}
		// The communicator still works afterwards.
		return allreduceCase[float64]{only: "sum"}.run(c, 7, 1)
	})
}

// TestReductionLengthMismatch: ranks that pass different lengths get an
// error (ErrMismatch or comm.ErrTruncate) on some rank, and no rank hangs.
func TestReductionLengthMismatch(t *testing.T) {
	type mismatchCall struct {
		op  string
		alg string
		f   func(c *comm.Comm, n int) error
	}
	var calls []mismatchCall
	for _, alg := range algorithmsOf(t, "allreduce") {
		calls = append(calls, mismatchCall{"allreduce", alg, func(c *comm.Comm, n int) error {
			return Allreduce(c, make([]float64, n), make([]float64, n), Sum)
		}})
	}
	for _, alg := range algorithmsOf(t, "reduce") {
		calls = append(calls, mismatchCall{"reduce", alg, func(c *comm.Comm, n int) error {
			return Reduce(c, make([]float64, n), make([]float64, n), Sum, 1)
		}})
	}
	for _, alg := range algorithmsOf(t, "scan") {
		calls = append(calls, mismatchCall{"scan", alg, func(c *comm.Comm, n int) error {
			return Scan(c, make([]float64, n), make([]float64, n), Sum)
		}})
	}
	for _, alg := range algorithmsOf(t, "reduce_scatter_block") {
		calls = append(calls, mismatchCall{"reduce_scatter_block", alg, func(c *comm.Comm, n int) error {
			return ReduceScatterBlock(c, make([]float64, n*c.Size()), make([]float64, n), Sum)
		}})
	}
	for _, p := range []int{2, 3, 5} {
		for _, k := range calls {
			t.Run(fmt.Sprintf("%s/%s/p=%d", k.op, k.alg, p), func(t *testing.T) {
				t.Parallel()
				errs := make([]error, p)
				onRanks(t, p, func(c *comm.Comm) error {
					setOverride(c, k.op, k.alg)
					n := 8
					if c.Rank() == p-1 {
						n = 7
					}
					errs[c.Rank()] = k.f(c, n)
					return nil
				})
				err := errors.Join(errs...)
				require.Error(t, err)
				assert.True(t, errors.Is(err, ErrMismatch) || errors.Is(err, comm.ErrTruncate), "%v", err)
			})
		}
	}
}
