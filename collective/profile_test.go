package collective

import (
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/spmd-go/spmd/internal/profdata"
)

// TestProfileNames calls every collective once on a profiled communicator
// of 2 ranks and checks that the profile counts each once, under the Go
// name of the function called, and nothing else: the algorithms' own
// messages are no calls. (CartCreate and Free, which make and free the
// communicator the neighbourhood collectives need, are comm's calls.)
func TestProfileNames(t *testing.T) {
	dir := t.TempDir()
	cfg := comm.Config{Profile: comm.ProfileConfig{Dir: dir}}
	err := commtest.Run(2, func(c *comm.Comm) error {
		x, y := []float64{1, 2}, make([]float64, 2)
		two := make([]float64, 4)
		cart, err := comm.CartCreate(c, []int{2}, []bool{true}, false)
		if err != nil {
			return err
		}
		req1, err := Iallreduce(c, x, y, Sum)
		if err != nil {
			return err
		}
		req2, err := Ibcast(c, []float64{1, 2}, 0) // not x: Iallreduce reads it meanwhile
		if err != nil {
			return err
		}
		req3, err := Ibarrier(c)
		if err != nil {
			return err
		}
		if err := comm.WaitAll(req1, req2, req3); err != nil {
			return err
		}
		_, e1 := BcastObj(c, "v", 0)
		_, e2 := GatherObj(c, 1, 0)
		_, e3 := ScatterObj(c, []int{1, 2}, 0)
		_, e4 := AllgatherObj(c, 1)
		_, e5 := AllreduceObj(c, 1, func(a, b int) int { return a + b })
		return errors.Join(
			Barrier(c), Bcast(c, x, 0), Allreduce(c, x, y, Sum), Reduce(c, x, y, Sum, 0),
			Allgather(c, x, two), Allgatherv(c, x, two, []int{2, 2}),
			Alltoall(c, two, make([]float64, 4)), Alltoallv(c, two, []int{2, 2}, make([]float64, 4), []int{2, 2}),
			Gather(c, x, two, 0), Gatherv(c, x, two, []int{2, 2}, 0),
			Scatter(c, two, y, 0), Scatterv(c, two, []int{2, 2}, y, 0),
			ReduceScatter(c, two, y, []int{2, 2}, Sum), ReduceScatterBlock(c, two, y, Sum),
			Scan(c, x, y, Sum), Exscan(c, x, y, Sum),
			NeighborAlltoall(cart, two, make([]float64, 4)),
			NeighborAlltoallv(cart, two, []int{2, 2}, make([]float64, 4), []int{2, 2}),
			NeighborAllgather(cart, x, make([]float64, 4)),
			NeighborAllgatherv(cart, x, make([]float64, 4), []int{2, 2}),
			e1, e2, e3, e4, e5, cart.Free())
	}, commtest.Config(cfg), commtest.Timeout(60*time.Second))
	require.NoError(t, err)
	data, err := profdata.ReadDir(dir)
	require.NoError(t, err)
	want := []string{"AllgatherObj", "Allgather", "Allgatherv", "AllreduceObj", "Allreduce", "Alltoall", "Alltoallv",
		"Barrier", "BcastObj", "Bcast", "CartCreate", "Exscan", "Free", "GatherObj", "Gather", "Gatherv", "Iallreduce", "Ibarrier", "Ibcast",
		"NeighborAllgather", "NeighborAllgatherv", "NeighborAlltoall", "NeighborAlltoallv", "Reduce",
		"ReduceScatter", "ReduceScatterBlock", "Scan", "ScatterObj", "Scatter", "Scatterv", "WaitAll"}
	sort.Strings(want)
	for r, d := range data {
		var got []string
		for name, op := range d.Ops {
			got = append(got, name)
			assert.Equal(t, uint64(1), op.Calls, "rank %d: %s", r, name)
		}
		sort.Strings(got)
		assert.Equal(t, want, got, "rank %d", r)
		assert.Equal(t, uint64(16), d.Ops["Allreduce"].Bytes)
	}
}
