package comm_test

import (
	"fmt"
	"testing"

	"github.com/spmd-go/spmd/collective"
	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/spmd-go/spmd/internal/profdata"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// msgKey names a message by its ends and its number on their link.
type msgKey struct {
	from, to int
	seq      uint64
}

// TestTraceFlows checks that every message a traced call sent is matched
// by exactly one received message with the same number at its receiver,
// with the same tag, through the unexpected queue (tags received out of
// order), AnySource, rendezvous, Isend/Irecv/WaitAll and Sendrecv, while
// collectives' messages advance the numbers without events of their own.
func TestTraceFlows(t *testing.T) {
	const big = 256 << 10 // above every eager limit: rendezvous
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			var opts []commtest.Option
			if tr.host != nil {
				opts = append(opts, commtest.Hosts(tr.host))
			}
			data := profiledWith(t, 3, tr.cfg, comm.ProfileConfig{TraceDir: t.TempDir()}, func(c *comm.Comm) error {
				r := c.Rank()
				small := make([]int64, 2)
				large := make([]byte, big)
				switch r {
				case 0:
					for tag := 1; tag <= 3; tag++ {
						if err := comm.Send(c, small, 1, tag); err != nil {
							return err
						}
					}
					if err := collective.Barrier(c); err != nil {
						return err
					}
					if err := comm.Send(c, large, 1, 9); err != nil {
						return err
					}
					req, err := comm.Isend(c, small, 2, 4)
					if err != nil {
						return err
					}
					if _, err := req.Wait(); err != nil {
						return err
					}
				case 1:
					if err := collective.Barrier(c); err != nil {
						return err
					}
					for tag := 3; tag >= 1; tag-- { // out of order: from the unexpected queue
						if _, err := comm.Recv(c, small, 0, tag); err != nil {
							return err
						}
					}
					for range 2 { // rank 0's large one and rank 2's
						if _, err := comm.Recv(c, large, comm.AnySource, 9); err != nil {
							return err
						}
					}
				case 2:
					if err := collective.Barrier(c); err != nil {
						return err
					}
					if err := comm.Send(c, large, 1, 9); err != nil {
						return err
					}
					a, err := comm.Irecv(c, small, comm.AnySource, 4)
					if err != nil {
						return err
					}
					b, err := comm.Irecv(c, make([]int64, 1), 2, 5)
					if err != nil {
						return err
					}
					if err := comm.Send(c, []int64{5}, 2, 5); err != nil {
						return err
					}
					if err := comm.WaitAll(a, b); err != nil {
						return err
					}
				}
				// A ring of Sendrecv.
				p := c.Size()
				_, err := comm.Sendrecv(c, small, (r+1)%p, 7, make([]int64, 2), (r+p-1)%p, 7)
				if err != nil {
					return err
				}
				return collective.Allreduce(c, small, make([]int64, 2), collective.Sum)
			}, opts...)
			sent := map[msgKey]profdata.Event{}
			recvd := map[msgKey]profdata.Event{}
			for r, d := range data {
				require.Zero(t, d.TraceDropped)
				for _, e := range d.Trace {
					require.LessOrEqual(t, e.StartNs, e.EndNs)
					if e.SendSeq != 0 {
						k := msgKey{r, e.Peer, e.SendSeq}
						require.NotContains(t, sent, k, "message sent twice")
						sent[k] = e
					}
					if e.RecvSeq != 0 {
						k := msgKey{e.Peer, r, e.RecvSeq}
						require.NotContains(t, recvd, k, "message received twice: %+v", d.Trace)
						recvd[k] = e
					}
					switch e.Name {
					case "Allreduce", "Barrier":
						assert.NotEmpty(t, e.Alg, "%s names its algorithm", e.Name)
						assert.Zero(t, e.SendSeq)
					}
				}
			}
			// rank 0: 3 + 1 + 1 to rank 1 and 2, + Sendrecv; rank 1: 1; rank 2: 1 + self 1 + 1.
			assert.Len(t, sent, 3+1+1+3+1+1)
			for k, s := range sent {
				got, ok := recvd[k]
				if assert.True(t, ok, "no receive of %+v (%s tag %d)", k, s.Name, s.Tag) {
					assert.Equal(t, s.Tag, got.Tag, "%+v", k)
				}
			}
			assert.Equal(t, len(sent), len(recvd))
		})
	}
}

// TestRegions checks nesting, counts, and that spmd time in a region is
// within the region's time.
func TestRegions(t *testing.T) {
	data := profiled(t, 2, comm.ProfileConfig{}, true, func(c *comm.Comm) error {
		defer comm.Region(c, "outer")()
		for range 3 {
			end := comm.Region(c, "inner")
			if err := collective.Barrier(c); err != nil {
				return err
			}
			end()
		}
		comm.Region(c, "empty")()
		return nil
	})
	for r, d := range data {
		outer, inner, empty := d.Regions["outer"], d.Regions["inner"], d.Regions["empty"]
		require.NotNil(t, outer, "rank %d", r)
		require.NotNil(t, inner)
		require.NotNil(t, empty)
		assert.Equal(t, uint64(1), outer.Calls)
		assert.Equal(t, uint64(3), inner.Calls)
		assert.GreaterOrEqual(t, outer.Ns, inner.Ns)
		assert.LessOrEqual(t, inner.SpmdNs, inner.Ns)
		assert.Positive(t, inner.SpmdNs)
		assert.Equal(t, inner.SpmdNs, outer.SpmdNs, "all spmd time is inside inner")
		assert.Equal(t, d.Ops["Barrier"].Ns, inner.SpmdNs)
		assert.Zero(t, empty.SpmdNs)
		var regionEvents []string
		for _, e := range d.Trace {
			if e.Region {
				regionEvents = append(regionEvents, e.Name)
			}
		}
		assert.Equal(t, []string{"inner", "inner", "inner", "empty", "outer"}, regionEvents)
	}
}

// TestRegionOff: without a profile, Region is a no-op.
func TestRegionOff(t *testing.T) {
	comm.Region(nil, "x")()
	run(t, 1, func(c *comm.Comm) error {
		end := comm.Region(c, "x")
		end()
		if n := testing.AllocsPerRun(100, func() { comm.Region(c, "x")() }); n != 0 {
			return fmt.Errorf("%v allocations per region with profiling off", n)
		}
		return nil
	})
}

// TestProfileAllocs: a profiled and traced call allocates nothing, nor
// does a region after the first use of its name.
func TestProfileAllocs(t *testing.T) {
	profiled(t, 1, comm.ProfileConfig{}, true, func(c *comm.Comm) error {
		buf := make([]float64, 1)
		out := make([]float64, 1)
		step := func() {
			defer comm.Region(c, "step")()
			_ = comm.Send(c, buf, 0, 1)
			_, _ = comm.Recv(c, buf, 0, 1)
			_, _ = comm.Sendrecv(c, buf, 0, 2, out, 0, 2)
			_, _, _ = c.Iprobe(0, 3)
			_ = collective.Allreduce(c, buf, out, collective.Sum)
		}
		step()
		if n := testing.AllocsPerRun(200, step); n != 0 {
			return fmt.Errorf("%v allocations per step with profiling on", n)
		}
		return nil
	})
}

// TestTraceEventSize keeps the trace's memory what the documentation says
// Init commits: 64 bytes an event.
func TestTraceEventSize(t *testing.T) {
	if got := comm.TraceEventBytes; got != 64 {
		t.Errorf("a trace event takes %d bytes; the package doc says 64", got)
	}
}
