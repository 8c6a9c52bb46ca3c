package launcher

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The PMI server reports requests, successful barriers and puts to the
// Span (pmi.ServerConfig.OnRequest, OnBarrierOut, OnPut); these tests feed
// it those events in the order a rank's session makes them.

func TestSpanFromLastFenceToLastFinalize(t *testing.T) {
	sp := NewSpan(2)
	assert.Nil(t, sp.Report().AppS, "nothing seen yet")

	sp.request(0, "barrier_in")
	sp.barrierOut(0)
	sp.barrierOut(1)
	sp.put(0, "a", "b") // another key: no mark
	sp.request(0, "put")
	sp.request(0, "finalize")
	rep := sp.Report()
	assert.Equal(t, 1, rep.Timed)
	require.NotNil(t, rep.AppS)
	assert.Nil(t, rep.FinalizeOffsetsS[1])

	sp.request(1, "finalize")
	rep = sp.Report()
	assert.Equal(t, 2, rep.Timed)
	require.NotNil(t, rep.AppS)
	assert.GreaterOrEqual(t, *rep.AppS, 0.0)
	assert.InDelta(t, *rep.AppS, *rep.FinalizeOffsetsS[1], 1e-9, "rank 1 finalized last")

	sp.request(5, "finalize") // a rank outside the job is not timed
	sp.barrierOut(-1)
	sp.put(7, "spmd-span-7", "1:2")
	assert.Equal(t, 2, sp.Report().Timed)
}

func TestSpanOfARankWithoutFenceStartsAtItsFirstRequest(t *testing.T) {
	sp := NewSpan(1)
	sp.request(0, "init")
	assert.Nil(t, sp.Report().AppS)
	sp.request(0, "finalize")
	rep := sp.Report()
	require.NotNil(t, rep.AppS)
	assert.Equal(t, 1, rep.Timed)
}

func TestSpanTakesTheRanksOwnReport(t *testing.T) {
	sp := NewSpan(2)
	sp.request(0, "init")
	sp.request(1, "init")
	sp.request(0, "barrier_in")
	sp.barrierOut(0)
	init0 := time.Now() // wire-up before it is not counted
	init1 := init0.Add(time.Millisecond)
	fin0, fin1 := init0.Add(30*time.Millisecond), init0.Add(35*time.Millisecond)
	for time.Now().Before(fin1) { // the reports lie in the past when they arrive
		time.Sleep(time.Millisecond)
	}
	sp.put(0, "spmd-span-0", fmt.Sprintf("%d:%d", init0.UnixNano(), fin0.UnixNano()))
	sp.put(1, "spmd-span-1", fmt.Sprintf("%d:%d", init1.UnixNano(), fin1.UnixNano()))
	sp.request(0, "finalize") // teardown after the reports: not counted
	sp.request(1, "finalize")
	rep := sp.Report()
	require.NotNil(t, rep.AppS)
	assert.Equal(t, 2, rep.Marked)
	assert.InDelta(t, 0.034, *rep.AppS, 1e-6, "from the last init to the last fin")
	assert.InDelta(t, 0.029, *rep.FinalizeOffsetsS[0], 1e-6)
}

func TestSpanDistrustsImplausibleReports(t *testing.T) {
	for _, value := range []string{"soon", "1:2", "5", "backwards", "future", ""} {
		sp := NewSpan(1)
		sp.request(0, "init")
		now := time.Now()
		switch value {
		case "backwards":
			value = fmt.Sprintf("%d:%d", now.UnixNano(), now.Add(-time.Second).UnixNano())
		case "future":
			value = fmt.Sprintf("%d:%d", now.UnixNano(), now.Add(time.Hour).UnixNano())
		}
		sp.put(0, "spmd-span-0", value)
		sp.request(0, "finalize")
		rep := sp.Report()
		require.NotNil(t, rep.AppS, value)
		assert.Equal(t, 0, rep.Marked, value)
		assert.GreaterOrEqual(t, *rep.AppS, 0.0, value)
		assert.Less(t, *rep.AppS, 1.0, value)
	}
}

func TestSpanIgnoresAnotherRanksKey(t *testing.T) {
	sp := NewSpan(2)
	sp.request(0, "init")
	now := time.Now()
	sp.put(0, "spmd-span-1", fmt.Sprintf("%d:%d", now.UnixNano(), now.UnixNano()))
	sp.request(0, "finalize")
	assert.Equal(t, 0, sp.Report().Marked)
}

func TestSpanOfARankThatDoesNotReportStartsAtItsLastFence(t *testing.T) {
	sp := NewSpan(1)
	sp.request(0, "init")
	time.Sleep(30 * time.Millisecond) // before the fence: not counted
	sp.request(0, "barrier_in")
	sp.barrierOut(0)
	sp.request(0, "finalize")
	rep := sp.Report()
	require.NotNil(t, rep.AppS)
	assert.Less(t, *rep.AppS, 0.025)
	assert.Equal(t, 0, rep.Marked)
}

func TestSpanNilTimesNothing(t *testing.T) {
	var sp *Span
	sp.request(0, "init")
	sp.barrierOut(0)
	sp.put(0, "spmd-span-0", "1:2")
	assert.False(t, sp.serves(0))
}
