package examples_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/internal/profdata"
	"github.com/spmd-go/spmd/launcher/profile"
)

// The acceptance test of spmdrun --profile and --trace: a 4-rank
// job that makes exactly 100 Allreduce, 50 Bcast and 1,000 Send/Recv pairs
// (internal/testprogs/profcounts).

// countsProfile is profile.json as a user reads it.
type countsProfile struct {
	Ranks []struct {
		Rank  int
		AppS  float64 `json:"app_s"`
		SpmdS float64 `json:"spmd_s"`
		Ops   map[string]struct{ Calls uint64 }
	}
	Matrix       struct{ Messages [][]uint64 }
	MissingRanks []int `json:"missing_ranks"`
}

// profcountsJob runs profcounts on 4 ranks under spmdrun with extra
// spmdrun flags; wrapper, if not empty, is a script that starts each rank.
func profcountsJob(t *testing.T, extraEnv []string, wrapper string, flags []string, args ...string) result {
	t.Helper()
	a := append([]string{"-n", "4", "--timeout", jobTimeout.String()}, flags...)
	if wrapper != "" {
		a = append(a, wrapper)
	}
	a = append(append(a, filepath.Join(binDir, "profcounts")), args...)
	r := run(t, extraEnv, "spmdrun", a...)
	require.Equal(t, 0, r.code, r)
	return r
}

func readCountsProfile(t *testing.T, dir string) countsProfile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "profile.json"))
	require.NoError(t, err)
	var p countsProfile
	require.NoError(t, json.Unmarshal(b, &p), "%s", b)
	return p
}

// skewWrapper writes a script that shifts rank 1's clock by +3 s and rank
// 2's by −2 s (SPMD_CLOCK_SKEW, which spmdrun cannot set per rank) and
// then runs its arguments.
func skewWrapper(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "skew.sh")
	script := "#!/bin/sh\ncase \"$PMI_RANK\" in\n1) export SPMD_CLOCK_SKEW=+3s ;;\n2) export SPMD_CLOCK_SKEW=-2s ;;\nesac\nexec \"$@\"\n"
	require.NoError(t, os.WriteFile(path, []byte(script), 0o755))
	return path
}

func TestProfileCountsEveryCall(t *testing.T) {
	dir := t.TempDir()
	r := profcountsJob(t, nil, "", []string{"--profile", dir})
	p := readCountsProfile(t, dir)
	require.Len(t, p.Ranks, 4)
	assert.Empty(t, p.MissingRanks)
	var sends, recvs uint64
	for _, rp := range p.Ranks {
		assert.Equal(t, uint64(100), rp.Ops["Allreduce"].Calls, "rank %d", rp.Rank)
		assert.Equal(t, uint64(50), rp.Ops["Bcast"].Calls, "rank %d", rp.Rank)
		assert.LessOrEqual(t, rp.SpmdS, rp.AppS, "rank %d", rp.Rank)
		sends += rp.Ops["Send"].Calls
		recvs += rp.Ops["Recv"].Calls
	}
	assert.Equal(t, uint64(1000), sends)
	assert.Equal(t, uint64(1000), recvs)
	assert.Contains(t, r.stderr, "top operations by time")

	// The matrix counts the collectives' internal messages too: those of
	// the same job without the point-to-point phase (the algorithms are
	// the same) leave the 1,000 messages, between the right ranks.
	base := t.TempDir()
	profcountsJob(t, nil, "", []string{"--profile", base}, "-p2p=false")
	q := readCountsProfile(t, base)
	want := map[[2]int]uint64{{0, 1}: 400, {1, 2}: 300, {3, 0}: 300}
	var total uint64
	for s := range 4 {
		for d := range 4 {
			diff := p.Matrix.Messages[s][d] - q.Matrix.Messages[s][d]
			assert.Equal(t, want[[2]int{s, d}], diff, "messages %d → %d beyond the collectives'", s, d)
			total += diff
		}
	}
	assert.Equal(t, uint64(1000), total)
}

func TestTraceArrowsWithSkewedClocks(t *testing.T) {
	// First prove that the skew is real: without spmdrun's collector (the
	// ranks write their own files) rank 1's clock reads about 3 s ahead of
	// rank 0's and rank 2's about 2 s behind.
	raw := t.TempDir()
	run(t, []string{"SPMD_TRACE=" + raw}, "spmdrun", "-n", "4", "--timeout", jobTimeout.String(),
		skewWrapper(t), filepath.Join(binDir, "profcounts"))
	data, err := profdata.ReadDir(raw)
	require.NoError(t, err)
	require.Len(t, data, 4)
	for r, want := range map[int]time.Duration{1: 3 * time.Second, 2: -2 * time.Second} {
		require.NotNil(t, data[r])
		got := time.Duration(data[r].InitNs - data[0].InitNs)
		assert.InDelta(t, float64(want), float64(got), float64(time.Second), "rank %d's clock against rank 0's", r)
	}

	for _, tc := range []struct {
		name    string
		wrapper string
	}{{"same clocks", ""}, {"skewed clocks", skewWrapper(t)}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			start := time.Now()
			r := profcountsJob(t, nil, tc.wrapper, []string{"--trace", dir})
			wall := time.Since(start)
			f, err := os.Open(filepath.Join(dir, "trace.json.gz"))
			require.NoError(t, err)
			defer f.Close()
			c, err := profile.CheckTrace(f) // valid JSON after gunzip, arrows forward in time
			require.NoError(t, err)
			assert.Equal(t, []int{0, 1, 2, 3}, c.Pids, "one pid per rank")
			assert.Equal(t, 1000, c.Flows, "one arrow per point-to-point message")
			assert.Empty(t, c.Problems)
			assert.Contains(t, r.stderr, "1000 message arrows")
			// Corrected, every rank's slices lie within the job's wall
			// time; uncorrected, the skews would spread them over 5 s.
			first, last := traceSpan(t, dir)
			assert.Less(t, last-first, wall.Seconds()*1e6, "trace spans %.0f µs, the job took %v", last-first, wall)
		})
	}
}

// traceSpan returns the earliest start and latest end of the trace's
// slices, in microseconds.
func traceSpan(t *testing.T, dir string) (first, last float64) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "trace.json.gz"))
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	var doc struct {
		TraceEvents []struct {
			Ph      string
			Ts, Dur float64
		}
	}
	require.NoError(t, json.NewDecoder(zr).Decode(&doc))
	first, last = -1, -1
	for _, e := range doc.TraceEvents {
		if e.Ph != "X" {
			continue
		}
		if first < 0 || e.Ts < first {
			first = e.Ts
		}
		last = max(last, e.Ts+e.Dur)
	}
	return first, last
}

// TestProfileOfATimedOutJob: a job that --timeout ends (rank 3 of 6
// forgets a Barrier) still leaves every rank's profile and trace up to
// then, marked partial, beside the unchanged hang report; exit code 124.
func TestProfileOfATimedOutJob(t *testing.T) {
	prog := buildTestprog(t, "forgetbarrier")
	dir := t.TempDir()
	r := run(t, nil, "spmdrun", "-n", "6", "--timeout", "3s", "--profile", dir, "--trace", dir, filepath.Join(binDir, prog))
	require.Equal(t, 124, r.code, "%v", r)
	checkForgottenBarrier(t, r.stderr)
	b, err := os.ReadFile(filepath.Join(dir, "profile.json"))
	require.NoError(t, err)
	var p struct {
		Partial      string
		MissingRanks []int `json:"missing_ranks"`
		Ranks        []struct {
			Rank    int
			Partial bool
			AppS    float64 `json:"app_s"`
		}
	}
	require.NoError(t, json.Unmarshal(b, &p), "%s", b)
	assert.Equal(t, "stopped by --timeout after 3s", p.Partial)
	assert.Empty(t, p.MissingRanks)
	require.Len(t, p.Ranks, 6)
	for _, rp := range p.Ranks {
		assert.True(t, rp.Partial, "rank %d", rp.Rank)
		assert.Positive(t, rp.AppS, "rank %d", rp.Rank)
	}
	assert.Contains(t, r.stderr, "partial: stopped by --timeout after 3s: the data of ranks 0-5 ends there")
	f, err := os.Open(filepath.Join(dir, "trace.json.gz"))
	require.NoError(t, err)
	defer f.Close()
	c, err := profile.CheckTrace(f)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5}, c.Pids)
	assert.Empty(t, c.Problems)
}
