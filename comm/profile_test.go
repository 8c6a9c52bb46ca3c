package comm_test

import (
	"os"
	"sync"
	"testing"
	"time"

	"github.com/spmd-go/spmd/collective"
	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/spmd-go/spmd/internal/profdata"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// profiled runs f on n ranks with the profile (and, with trace, the
// trace) written to a fresh directory, and returns every rank's data.
func profiled(t *testing.T, n int, pc comm.ProfileConfig, trace bool, f func(c *comm.Comm) error, opts ...commtest.Option) []*profdata.RankData {
	t.Helper()
	dir := t.TempDir()
	pc.Dir = dir
	if trace {
		pc.TraceDir = dir
	}
	cfg := comm.Config{Profile: pc}
	all := append([]commtest.Option{commtest.Timeout(60 * time.Second), commtest.Config(cfg)}, opts...)
	require.NoError(t, commtest.Run(n, f, all...))
	data, err := profdata.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, data, n)
	for r, d := range data {
		require.NotNil(t, d, "rank %d wrote no data", r)
	}
	return data
}

// TestProfileCounts is the program: 100 Allreduce, 50 Bcast and
// 1,000 Send/Recv pairs on 4 ranks, counted exactly, each collective once
// (its internal messages are no calls of their own).
func TestProfileCounts(t *testing.T) {
	data := profiled(t, 4, comm.ProfileConfig{}, false, func(c *comm.Comm) error {
		r, p := c.Rank(), c.Size()
		x := []float64{float64(r)}
		y := make([]float64, 1)
		for range 100 {
			if err := collective.Allreduce(c, x, y, collective.Sum); err != nil {
				return err
			}
		}
		for range 50 {
			if err := collective.Bcast(c, x, 0); err != nil {
				return err
			}
		}
		buf := make([]int64, 1)
		for i := range 250 { // 4 × 250 = 1,000 pairs
			if err := comm.Send(c, []int64{int64(i)}, (r+1)%p, 3); err != nil {
				return err
			}
			if _, err := comm.Recv(c, buf, (r+p-1)%p, 3); err != nil {
				return err
			}
		}
		return nil
	})
	for r, d := range data {
		want := map[string]uint64{"Allreduce": 100, "Bcast": 50, "Send": 250, "Recv": 250}
		got := map[string]uint64{}
		for name, op := range d.Ops {
			got[name] = op.Calls
		}
		assert.Equal(t, want, got, "rank %d", r)
		assert.Equal(t, uint64(800), d.Ops["Allreduce"].Bytes, "rank %d", r)
		assert.Equal(t, uint64(100), d.Ops["Allreduce"].Hist[4], "8-byte bucket, rank %d", r)
		assert.Equal(t, uint64(250*8), d.Ops["Send"].Bytes)
		assert.Equal(t, uint64(250*8), d.Ops["Recv"].Bytes)
		app := d.FinalizeNs - d.InitNs
		assert.Positive(t, d.SpmdNs)
		assert.LessOrEqual(t, d.SpmdNs, app, "rank %d: spmd ≤ app", r)
		var opNs int64
		for _, op := range d.Ops {
			assert.LessOrEqual(t, op.MaxNs, op.Ns)
			opNs += op.Ns
		}
		assert.InDelta(t, opNs, d.SpmdNs, 10, "one goroutine: spmd time is the sum of the calls'")
		// The collectives' internal messages are in the row too: at least
		// the 250 sends to the right neighbour.
		assert.GreaterOrEqual(t, d.SentMsgs[(r+1)%4], uint64(250))
		assert.Equal(t, 4, d.Size)
		assert.Nil(t, d.Trace)
	}
}

// TestProfileMatrix checks the communication row exactly where only
// point-to-point messages flow: 1,000 from rank 0 to rank 2 of 3, plus a
// rendezvous one, and none on the other links.
func TestProfileMatrix(t *testing.T) {
	const big = 1 << 20
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			var opts []commtest.Option
			if tr.host != nil {
				opts = append(opts, commtest.Hosts(tr.host))
			}
			pc := comm.ProfileConfig{}
			data := profiledWith(t, 3, tr.cfg, pc, func(c *comm.Comm) error {
				switch c.Rank() {
				case 0:
					for i := range 1000 {
						if err := comm.Send(c, []int32{int32(i)}, 2, 0); err != nil {
							return err
						}
					}
					return comm.Send(c, make([]byte, big), 2, 1)
				case 2:
					buf := make([]int32, 1)
					for range 1000 {
						if _, err := comm.Recv(c, buf, 0, 0); err != nil {
							return err
						}
					}
					_, err := comm.Recv(c, make([]byte, big), comm.AnySource, 1)
					return err
				}
				return nil
			}, opts...)
			assert.Equal(t, []uint64{0, 0, 1001}, data[0].SentMsgs)
			assert.Equal(t, []uint64{0, 0, 4000 + big}, data[0].SentBytes)
			assert.Equal(t, []uint64{0, 0, 0}, data[1].SentMsgs)
			assert.Equal(t, []uint64{0, 0, 0}, data[2].SentMsgs)
			assert.Equal(t, uint64(1001), data[2].Ops["Recv"].Calls)
			assert.Equal(t, uint64(1), data[2].Ops["Recv"].Hist[21], "the 1 MiB bucket")
		})
	}
}

// profiledWith is profiled over a given transport configuration.
func profiledWith(t *testing.T, n int, cfg comm.Config, pc comm.ProfileConfig, f func(c *comm.Comm) error, opts ...commtest.Option) []*profdata.RankData {
	t.Helper()
	dir := t.TempDir()
	pc.Dir = dir
	cfg.Profile = pc
	all := append([]commtest.Option{commtest.Timeout(60 * time.Second), commtest.Config(cfg)}, opts...)
	require.NoError(t, commtest.Run(n, f, all...))
	data, err := profdata.ReadDir(dir)
	require.NoError(t, err)
	return data
}

// TestProfileUnwritableDir: a profile directory that cannot be made is an
// error from Init, naming it.
func TestProfileUnwritableDir(t *testing.T) {
	file := t.TempDir() + "/file"
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	cfg := comm.Config{Profile: comm.ProfileConfig{Dir: file + "/sub"}}
	err := commtest.Run(1, func(c *comm.Comm) error { return nil }, commtest.Config(cfg))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "profile directory")
	assert.Contains(t, err.Error(), file)
}

// TestClockSkew: SPMD_CLOCK_SKEW shifts every time a rank records.
func TestClockSkew(t *testing.T) {
	for _, skew := range []time.Duration{3 * time.Second, -2 * time.Second} {
		t.Run(skew.String(), func(t *testing.T) {
			before := time.Now().UnixNano()
			data := profiled(t, 1, comm.ProfileConfig{ClockSkew: skew}, true, func(c *comm.Comm) error {
				return collective.Barrier(c)
			})
			after := time.Now().UnixNano()
			d := data[0]
			for _, ts := range []int64{d.InitNs, d.FinalizeNs, d.Trace[0].StartNs, d.Trace[0].EndNs} {
				assert.GreaterOrEqual(t, ts, before+int64(skew))
				assert.LessOrEqual(t, ts, after+int64(skew))
			}
		})
	}
}

// TestTraceLimit: a full trace buffer keeps its first events and counts
// the rest as dropped.
func TestTraceLimit(t *testing.T) {
	data := profiled(t, 1, comm.ProfileConfig{TraceLimit: 10}, true, func(c *comm.Comm) error {
		buf := make([]byte, 4)
		for range 25 {
			if err := comm.Send(c, buf, 0, 0); err != nil {
				return err
			}
			if _, err := comm.Recv(c, buf, 0, 0); err != nil {
				return err
			}
		}
		return nil
	})
	d := data[0]
	assert.Len(t, d.Trace, 10)
	assert.Equal(t, 10, d.TraceLimit)
	assert.Equal(t, uint64(40), d.TraceDropped)
	assert.Equal(t, uint64(25), d.Ops["Send"].Calls, "counters are kept whatever the trace drops")
}

func TestTraceLimitFromEnv(t *testing.T) {
	t.Setenv("SPMD_TRACE_LIMIT", "0")
	_, err := comm.ConfigFromEnv()
	require.ErrorIs(t, err, comm.ErrArg)
	t.Setenv("SPMD_TRACE_LIMIT", "")
	t.Setenv("SPMD_CLOCK_SKEW", "3 seconds")
	_, err = comm.ConfigFromEnv()
	require.ErrorIs(t, err, comm.ErrArg)
	t.Setenv("SPMD_CLOCK_SKEW", "-2s")
	t.Setenv("SPMD_TRACE", "/tmp/x")
	t.Setenv("SPMD_TRACE_LIMIT", "500")
	cfg, err := comm.ConfigFromEnv()
	require.NoError(t, err)
	assert.Equal(t, comm.ProfileConfig{TraceDir: "/tmp/x", TraceLimit: 500, ClockSkew: -2 * time.Second}, cfg.Profile)
}

// TestProfileCollector: with a collector, each rank measures its clock at
// Init and at Finalize (its skew shows in the offsets) and uploads its
// data there instead of writing a file.
func TestProfileCollector(t *testing.T) {
	cookie := []byte("0123456789abcdef0123456789abcdef")
	col, err := profdata.Listen("127.0.0.1:0", cookie, 2, nil)
	require.NoError(t, err)
	defer col.Close()
	dir := t.TempDir()
	cfg := comm.Config{Cookie: cookie, Profile: comm.ProfileConfig{
		TraceDir: dir, Collector: col.Addr(), ClockSkew: 3 * time.Second}}
	require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
		return collective.Barrier(c)
	}, commtest.Config(cfg), commtest.Timeout(60*time.Second)))
	data := col.Data()
	require.Len(t, data, 2)
	for r, d := range data {
		require.NotNil(t, d, "rank %d", r)
		assert.Equal(t, uint64(1), d.Ops["Barrier"].Calls)
		require.Len(t, d.Clock, 16)
		for i, s := range d.Clock {
			assert.Equal(t, i >= 8, s.AtFinalize)
			assert.InDelta(t, float64(3*time.Second), float64(s.OffsetNs), float64(100*time.Millisecond), "sample %d", i)
			assert.LessOrEqual(t, s.CollectorNs, time.Now().UnixNano())
		}
		assert.NotEmpty(t, d.Trace)
	}
	_, err = profdata.ReadDir(dir)
	assert.Error(t, err, "no rank files when a collector runs")
}

// TestProfileStoppedByCollector: when the collector says that the job
// stops (spmdrun's --timeout), every rank uploads what it has so far,
// marked partial, while its program goes on; the upload at Finalize then
// replaces it.
func TestProfileStoppedByCollector(t *testing.T) {
	cookie := []byte("0123456789abcdef0123456789abcdef")
	col, err := profdata.Listen("127.0.0.1:0", cookie, 2, nil)
	require.NoError(t, err)
	defer col.Close()
	cfg := comm.Config{Cookie: cookie, Profile: comm.ProfileConfig{TraceDir: t.TempDir(), Collector: col.Addr()}}
	var ready sync.WaitGroup
	ready.Add(2)
	release := make(chan struct{})
	partial := make(chan []*profdata.RankData, 1)
	go func() {
		ready.Wait()
		deadline := time.Now().Add(30 * time.Second)
		for len(col.Watching()) < 2 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		late := col.Stop("stopped by --timeout after 3s", 30*time.Second)
		assert.Empty(t, late)
		partial <- col.Data()
		close(release)
	}()
	require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
		buf := make([]byte, 8)
		for range 10 {
			if _, err := comm.Sendrecv(c, buf, 1-c.Rank(), 0, buf, 1-c.Rank(), 0); err != nil {
				return err
			}
		}
		ready.Done()
		<-release // where a hung program would stay
		return collective.Barrier(c)
	}, commtest.Config(cfg), commtest.Timeout(60*time.Second)))
	for r, d := range <-partial {
		require.NotNil(t, d, "rank %d", r)
		assert.Equal(t, "stopped by --timeout after 3s", d.Partial)
		assert.Equal(t, uint64(10), d.Ops["Sendrecv"].Calls, "rank %d", r)
		assert.Nil(t, d.Ops["Barrier"], "rank %d: not called yet", r)
		assert.Len(t, d.Trace, 10, "rank %d", r)
		assert.GreaterOrEqual(t, d.FinalizeNs, d.InitNs)
		assert.Len(t, d.Clock, 16, "rank %d: samples at Init and as the job stops", r)
	}
	for r, d := range col.Data() {
		require.NotNil(t, d, "rank %d", r)
		assert.Empty(t, d.Partial, "rank %d: the data of Finalize replaced the part", r)
		assert.Equal(t, uint64(1), d.Ops["Barrier"].Calls, "rank %d", r)
	}
}

// TestProfileCollectorNoCookie: a collector without the job's cookie is a
// clear error from Init.
func TestProfileCollectorNoCookie(t *testing.T) {
	cfg := comm.Config{Profile: comm.ProfileConfig{Dir: t.TempDir(), Collector: "127.0.0.1:1"}}
	err := commtest.Run(1, func(c *comm.Comm) error { return nil }, commtest.Config(cfg))
	require.ErrorIs(t, err, comm.ErrArg)
	assert.Contains(t, err.Error(), "SPMD_COOKIE")
}

// TestProfileObjects: SendObj and RecvObj count as calls of their own.
func TestProfileObjects(t *testing.T) {
	data := profiled(t, 2, comm.ProfileConfig{}, true, func(c *comm.Comm) error {
		if c.Rank() == 0 {
			return comm.SendObj(c, map[string]int{"a": 1}, 1, 2)
		}
		var m map[string]int
		_, err := comm.RecvObj(c, &m, 0, 2)
		return err
	})
	assert.Equal(t, uint64(1), data[0].Ops["SendObj"].Calls)
	assert.Len(t, data[0].Ops, 1)
	assert.Equal(t, uint64(1), data[1].Ops["RecvObj"].Calls)
	assert.Len(t, data[1].Ops, 1)
	assert.Equal(t, data[0].Ops["SendObj"].Bytes, data[1].Ops["RecvObj"].Bytes)
	require.Len(t, data[1].Trace, 1)
	assert.Equal(t, data[0].Trace[0].SendSeq, data[1].Trace[0].RecvSeq)
	assert.Equal(t, 0, data[1].Trace[0].Peer)
}

// TestProfileNonblockingCollective: Iallreduce counts its start, and the
// Wait on its request counts as a Wait.
func TestProfileNonblockingCollective(t *testing.T) {
	data := profiled(t, 2, comm.ProfileConfig{}, false, func(c *comm.Comm) error {
		req, err := collective.Iallreduce(c, []float64{1}, make([]float64, 1), collective.Sum)
		if err != nil {
			return err
		}
		_, err = req.Wait()
		return err
	})
	for _, d := range data {
		assert.Equal(t, uint64(1), d.Ops["Iallreduce"].Calls)
		assert.Equal(t, uint64(1), d.Ops["Wait"].Calls)
		assert.Len(t, d.Ops, 2, "the algorithm's messages are no calls")
	}
}

// TestProfileCommCalls checks that the calls that make and free
// communicators are operations of their own, each counted once by its Go
// name (CartCreate, which splits, is no Split), with a trace event on the
// communicator it was called on; the communicators they make are
// profiled in turn.
func TestProfileCommCalls(t *testing.T) {
	worldCtx := make([]uint32, 4)
	data := profiled(t, 4, comm.ProfileConfig{}, true, func(c *comm.Comm) error {
		worldCtx[c.Rank()] = comm.ContextID(c)
		half, err := c.Split(c.Rank()%2, c.Rank())
		if err != nil {
			return err
		}
		dup, err := half.Dup()
		if err != nil {
			return err
		}
		if err := collective.Barrier(dup); err != nil {
			return err
		}
		grid, err := comm.CartCreate(c, []int{2, 2}, []bool{true, false}, false)
		if err != nil {
			return err
		}
		row, err := grid.CartSub([]bool{false, true})
		if err != nil {
			return err
		}
		for _, x := range []*comm.Comm{row, grid, dup, half} {
			if err := x.Free(); err != nil {
				return err
			}
		}
		return nil
	})
	for r, d := range data {
		got := map[string]uint64{}
		for name, op := range d.Ops {
			got[name] = op.Calls
		}
		want := map[string]uint64{"Split": 1, "Dup": 1, "Barrier": 1, "CartCreate": 1, "CartSub": 1, "Free": 4}
		assert.Equal(t, want, got, "rank %d", r)
		var onWorld []string
		for _, e := range d.Trace {
			if e.Comm == worldCtx[r] {
				onWorld = append(onWorld, e.Name)
			}
		}
		assert.Equal(t, []string{"Split", "CartCreate"}, onWorld, "rank %d: the calls on the world communicator", r)
	}
}
