package sweep

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/launcher/sched"
)

func TestParseNP(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
	}{
		{"1,2,4,8", []int{1, 2, 4, 8}},
		{"1-64", []int{1, 2, 4, 8, 16, 32, 64}},
		{"1-6", []int{1, 2, 4, 6}},
		{"3-12,1", []int{1, 3, 6, 12}},
		{"8,2,2,4", []int{2, 4, 8}},
		{" 5 ", []int{5}},
	} {
		got, err := ParseNP(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	for _, bad := range []string{"0", "", "1,,2", "-4", "4-2", "a", "1-x", "2000000"} {
		_, err := ParseNP(bad)
		assert.ErrorIs(t, err, ErrConfig, bad)
	}
	assert.Equal(t, []int{1, 2, 4, 8}, DefaultNP(8))
	assert.Equal(t, []int{1, 2, 4, 6}, DefaultNP(6))
	assert.Equal(t, []int{1}, DefaultNP(1))
}

func TestPlanInterleavesShuffledRounds(t *testing.T) {
	c := Config{NP: []int{1, 2, 4, 8}, Repeat: 3, Warmup: 1, Mode: Weak, SerialReference: true}
	items := Plan(c, rand.New(rand.NewPCG(1, 2)))
	require.Len(t, items, 4+3*(4+3))
	for _, it := range items[:4] {
		assert.Equal(t, Warmup, it.Kind)
	}
	// Each round of timed runs holds every p once: no point runs all its
	// repeats in a row.
	for r := range 3 {
		round := items[4+7*r : 4+7*(r+1)]
		seen := map[Kind]map[int]bool{Timed: {}, Reference: {}}
		for _, it := range round {
			assert.Equal(t, r, it.Repeat)
			assert.False(t, seen[it.Kind][it.P], "p=%d twice in round %d", it.P, r)
			seen[it.Kind][it.P] = true
		}
		assert.Len(t, seen[Timed], 4)
		assert.Len(t, seen[Reference], 3, "no reference at p=1")
	}
	again := Plan(c, rand.New(rand.NewPCG(1, 2)))
	assert.Equal(t, items, again, "the seed fixes the order")
	other := Plan(c, rand.New(rand.NewPCG(9, 2)))
	assert.NotEqual(t, items, other)
	c.Mode = Strong
	assert.Len(t, Plan(c, rand.New(rand.NewPCG(1, 2))), 4+3*4, "strong studies have no references")
}

func TestPlace(t *testing.T) {
	alloc := &sched.Allocation{Hosts: []sched.Host{{Name: "a", Slots: 4}, {Name: "b", Slots: 4}, {Name: "c", Slots: 4}}}
	h := func(hs ...any) []sched.Host {
		var out []sched.Host
		for i := 0; i < len(hs); i += 2 {
			out = append(out, sched.Host{Name: hs[i].(string), Slots: hs[i+1].(int)})
		}
		return out
	}
	for _, tc := range []struct {
		p    int
		fill Fill
		want Placement
	}{
		{1, FillNode, Placement{Hosts: h("a", 1), Nodes: 1, PPN: 1}},
		{6, FillNode, Placement{Hosts: h("a", 4, "b", 2), Nodes: 2, PPN: 4}},
		{12, FillNode, Placement{Hosts: h("a", 4, "b", 4, "c", 4), Nodes: 3, PPN: 4}},
		{14, FillNode, Placement{Hosts: h("a", 5, "b", 5, "c", 4), Nodes: 3, PPN: 5, Oversubscribed: true}},
		{2, FillSpread, Placement{Hosts: h("a", 1, "b", 1), Nodes: 2, PPN: 1}},
		{7, FillSpread, Placement{Hosts: h("a", 3, "b", 2, "c", 2), Nodes: 3, PPN: 3}},
		{15, FillSpread, Placement{Hosts: h("a", 5, "b", 5, "c", 5), Nodes: 3, PPN: 5, Oversubscribed: true}},
	} {
		assert.Equal(t, tc.want, Place(tc.p, alloc, tc.fill, 64), "p=%d %s", tc.p, tc.fill)
	}
	assert.Equal(t, Placement{Nodes: 1, PPN: 8, Oversubscribed: true}, Place(8, nil, FillNode, 4))
	assert.Equal(t, Placement{Nodes: 1, PPN: 4}, Place(4, nil, FillNode, 4))
}

func TestAllocationEnvNarrowsTheAllocation(t *testing.T) {
	dir := t.TempDir()
	pl := Placement{Hosts: []sched.Host{{Name: "n1", Slots: 4}, {Name: "n2", Slots: 2}}, Nodes: 2, PPN: 4}
	env, err := allocationEnv(sched.PBS, pl, 6, dir)
	require.NoError(t, err)
	lookup := lookupIn(env)
	d, err := sched.Detect(lookup)
	require.NoError(t, err, "spmdrun reads the narrowed PBS allocation")
	assert.Equal(t, []sched.Host{{Name: "n1", Slots: 4}, {Name: "n2", Slots: 2}}, d.Allocation.Hosts)

	env, err = allocationEnv(sched.Slurm, pl, 6, dir)
	require.NoError(t, err)
	lookup = lookupIn(append(env, "SLURM_JOB_ID=77"))
	d, err = sched.Detect(lookup)
	require.NoError(t, err, "spmdrun reads the narrowed Slurm allocation")
	assert.Equal(t, sched.Slurm, d.Scheduler)
	assert.Equal(t, 6, d.Allocation.Slots())
	assert.Len(t, d.Allocation.Hosts, 2)

	env, err = allocationEnv(sched.PBS, Placement{Nodes: 1, PPN: 2}, 2, dir)
	require.NoError(t, err)
	assert.Nil(t, env, "no allocation: nothing to narrow")
}

func lookupIn(env []string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		for _, kv := range env {
			if name, v, _ := strings.Cut(kv, "="); name == k {
				return v, true
			}
		}
		return "", false
	}
}

func TestPlacesItself(t *testing.T) {
	assert.True(t, placesItself([]string{"--host", "a:2"}))
	assert.True(t, placesItself([]string{"--hostfile=h"}))
	assert.True(t, placesItself([]string{"-f", "h"}))
	assert.False(t, placesItself([]string{"--bind-to", "core"}))
	assert.False(t, placesItself([]string{"host"}))
}

func TestReadMetricsTakesTheLastMatch(t *testing.T) {
	m, err := ParseMetric(`GFlops=GFlops: ([0-9.]+)`)
	require.NoError(t, err)
	got := readMetrics([]Metric{m}, []byte("GFlops: 1.5\nnoise\nGFlops: 2.25\n"))
	assert.Equal(t, map[string]float64{"GFlops": 2.25}, got)
	_, err = ParseMetric("x=[0-9]+")
	assert.ErrorContains(t, err, "no (group)")
	_, err = ParseMetric("=(1)")
	assert.ErrorIs(t, err, ErrConfig)
}

func TestLoadRecordsSkipsOnlyACutLastLine(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	r := Record{P: 2, Kind: Timed, TimeS: 1.5, TimeSource: "app"}
	require.NoError(t, appendRecord(&b, &r))
	require.NoError(t, os.WriteFile(filepath.Join(dir, RunsJSONL), append(b.Bytes(), `{"p":4,"ki`...), 0o644))
	recs, err := LoadRecords(dir)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, 2, recs[0].P)
	require.NoError(t, os.WriteFile(filepath.Join(dir, RunsJSONL), append([]byte("garbage\n"), b.Bytes()...), 0o644))
	_, err = LoadRecords(dir)
	assert.ErrorContains(t, err, ":1:")
}

func TestWriteCSV(t *testing.T) {
	app := 0.5
	recs := []Record{
		{Order: 0, Kind: Timed, P: 2, Nodes: 1, PPN: 2, Ranks: 2, WallS: 0.7, AppS: &app, TimeS: 0.5, TimeSource: "app", Metrics: map[string]float64{"g": 3}},
		{Order: 1, Kind: Timed, P: 4, Nodes: 1, PPN: 4, Ranks: 4, WallS: 0.9, TimeS: 0.9, TimeSource: "wall", ExitCode: 3, Error: "exit code 3: boom, \"quoted\""},
	}
	var b bytes.Buffer
	require.NoError(t, WriteCSV(&b, recs))
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3)
	assert.Equal(t, "metric:g", rows[0][len(rows[0])-1])
	assert.Equal(t, "0.5", rows[1][10])
	assert.Equal(t, "", rows[2][10], "no span")
	assert.Equal(t, `exit code 3: boom, "quoted"`, rows[2][15])
	assert.Equal(t, "", rows[2][16], "no metric")
}

// Binaries for the tests that run programs.
var bins struct {
	once            sync.Once
	err             error
	spmdrun, amdahl string
}

func build(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs programs through spmdrun")
	}
	bins.once.Do(func() {
		dir, err := os.MkdirTemp("", "sweep-test-")
		if err != nil {
			bins.err = err
			return
		}
		out, err := exec.Command("go", "build", "-o", dir+"/", "github.com/spmd-go/spmd/launcher/cmd/spmdrun",
			"github.com/spmd-go/spmd/examples/internal/testprogs/amdahl").CombinedOutput()
		if err != nil {
			bins.err = fmt.Errorf("%v: %s", err, out)
		}
		bins.spmdrun, bins.amdahl = filepath.Join(dir, "spmdrun"), filepath.Join(dir, "amdahl")
	})
	require.NoError(t, bins.err)
}

// Stopping a study keeps every finished run, on disk and in the result.
func TestRunInterruptedKeepsFinishedRuns(t *testing.T) {
	build(t)
	t.Setenv("SPMD_SCHEDULER", "none")
	out := filepath.Join(t.TempDir(), "study")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if b, err := os.ReadFile(filepath.Join(out, RunsJSONL)); err == nil && bytes.Count(b, []byte("\n")) >= 2 {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	cfg := Config{Program: bins.amdahl, Args: []string{"-serial", "0.3", "-parallel", "0"}, NP: []int{1, 2}, Repeat: 10,
		Spmdrun: bins.spmdrun, Out: out, Seed: 5}
	recs, err := Run(ctx, cfg, Options{})
	require.ErrorIs(t, err, context.Canceled)
	require.GreaterOrEqual(t, len(recs), 2)
	assert.Less(t, len(recs), 20)
	disk, err := LoadRecords(out)
	require.NoError(t, err)
	assert.Equal(t, recs, disk)
	st, err := LoadStudy(out)
	require.NoError(t, err)
	assert.True(t, st.Interrupted)
	assert.Equal(t, len(recs), st.Runs)
	assert.Equal(t, uint64(5), st.Seed)
	for _, r := range recs {
		assert.True(t, r.OK(), "%+v", r)
	}
	_, err = Run(context.Background(), cfg, Options{})
	assert.ErrorContains(t, err, "already holds a study", "a study is never overwritten")
}

// Inside a PBS allocation every point runs on a subset of it.
func TestRunInsidePBSUsesSubsetsOfTheAllocation(t *testing.T) {
	build(t)
	dir := t.TempDir()
	nodefile := filepath.Join(dir, "nodes")
	require.NoError(t, os.WriteFile(nodefile, []byte(strings.Repeat("localhost\n", 4)), 0o644))
	env := map[string]string{"PBS_JOBID": "42.server", "PBS_NODEFILE": nodefile}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	out := filepath.Join(dir, "study")
	cfg := Config{Program: bins.amdahl, Args: []string{"-serial", "0.01", "-parallel", "0"}, NP: []int{1, 2, 4}, Repeat: 1,
		Spmdrun: bins.spmdrun, Out: out}
	recs, err := Run(context.Background(), cfg, Options{LookupEnv: lookup})
	require.NoError(t, err)
	require.Len(t, recs, 3)
	for _, r := range recs {
		require.True(t, r.OK(), "%+v", r)
		b, err := os.ReadFile(filepath.Join(out, "logs", fmt.Sprintf("nodefile.p%d", r.P)))
		require.NoError(t, err)
		assert.Equal(t, r.P, strings.Count(string(b), "localhost\n"), "p=%d runs on p of the 4 slots", r.P)
		assert.Equal(t, []string{"localhost"}, r.Hosts)
	}
	st, err := LoadStudy(out)
	require.NoError(t, err)
	assert.Equal(t, "pbs", st.Provenance.Scheduler)
	assert.Equal(t, "42.server", st.Provenance.JobID)
}

func TestValidateCatchesErrorsBeforeRunning(t *testing.T) {
	build(t)
	base := Config{Program: bins.amdahl, NP: []int{1, 2}, Spmdrun: bins.spmdrun, Out: t.TempDir()}
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Args = []string{"{nodes/(ppn-p)}"} }, "not a finite number"},
		{func(c *Config) { c.Args = []string{"{x}"} }, `unknown name "x"`},
		{func(c *Config) { c.Program = "no-such-program-here" }, "no-such-program-here"},
		{func(c *Config) { c.Spmdrun = "/nonexistent/spmdrun" }, "spmdrun"},
		{func(c *Config) { c.Launcher = "mpirun-nonexistent -np {p}" }, "mpirun-nonexistent"},
		{func(c *Config) { c.Launcher = "true -np {z}" }, `unknown name "z"`},
		{func(c *Config) { c.Repeat = -1 }, "--repeat"},
		{func(c *Config) { c.CITarget = 0.1; c.Repeat = 5; c.MaxRepeat = 2 }, "--max-repeat"},
		{func(c *Config) { c.NP = nil }, "no process counts"},
	} {
		c := base
		tc.mod(&c)
		err := Validate(c)
		require.Error(t, err, tc.want)
		assert.True(t, errors.Is(err, ErrConfig), "%v", err)
		assert.Contains(t, err.Error(), tc.want)
	}
	assert.NoError(t, Validate(base))
}

// A CI target adds rounds for the points that need them, up to the cap.
func TestMoreRoundsForTheCITarget(t *testing.T) {
	c := Config{NP: []int{1, 2}, CITarget: 0.05, MaxRepeat: 8}
	var recs []Record
	add := func(p int, times ...float64) {
		for _, x := range times {
			recs = append(recs, Record{P: p, Kind: Timed, TimeS: x})
		}
	}
	add(1, 1, 1, 1, 1, 1, 1) // tight, six runs: done
	add(2, 1, 2, 1, 2, 1, 2) // wide: needs more
	rng := rand.New(rand.NewPCG(1, 1))
	more := c.moreRounds(recs, rng)
	assert.Equal(t, []Item{{P: 2, Kind: Timed, Repeat: 6}}, more)
	add(2, 1, 2)
	assert.Empty(t, c.moreRounds(recs, rng), "p=2 reached --max-repeat")
	c.CITarget = 0
	assert.Empty(t, c.moreRounds(recs[:1], rng), "no target, no more rounds")
}

func TestProgressLine(t *testing.T) {
	var b bytes.Buffer
	progress(&b, 3, 12, Item{P: 8, Kind: Timed, Repeat: 1}, time.Now().Add(-30*time.Second))
	assert.Equal(t, "\r\033[Krun 4/12: p=8 repeat 2, 30s elapsed, about 1m30s left", b.String())
	b.Reset()
	progress(&b, 0, 4, Item{P: 2, Kind: Reference}, time.Now())
	assert.Contains(t, b.String(), "p=2 reference repeat 1")
	assert.Contains(t, b.String(), "about ? left")
	progress(nil, 0, 1, Item{}, time.Now()) // quiet: nothing to write to
}

// With a CI target, rounds are added until every interval is a true 95 %
// one within the target: for steady runs, at the sixth run.
func TestRunAddsRoundsForTheCITarget(t *testing.T) {
	build(t)
	t.Setenv("SPMD_SCHEDULER", "none")
	out := filepath.Join(t.TempDir(), "study")
	cfg := Config{Program: bins.amdahl, Args: []string{"-serial", "0.1", "-parallel", "0.1"}, NP: []int{1, 2}, Repeat: 2,
		CITarget: 0.2, MaxRepeat: 8, Spmdrun: bins.spmdrun, Out: out, Seed: 3}
	recs, err := Run(context.Background(), cfg, Options{})
	require.NoError(t, err)
	count := map[int]int{}
	for _, r := range recs {
		require.True(t, r.OK(), "%+v", r)
		count[r.P]++
	}
	// Six runs are the fewest that give a 95 % interval, so rounds are
	// added until then at least; a busy host may need more, up to
	// MaxRepeat, and every round runs every point.
	assert.Equal(t, count[1], count[2], "rounds run every point")
	assert.GreaterOrEqual(t, count[1], 6)
	assert.LessOrEqual(t, count[1], 8)
	st, err := LoadStudy(out)
	require.NoError(t, err)
	assert.Equal(t, 8, st.MaxRepeat)
}

// Inside a Slurm allocation spmdrun sees each point's share of it.
func TestRunInsideSlurmUsesSubsetsOfTheAllocation(t *testing.T) {
	build(t)
	env := map[string]string{"SLURM_JOB_ID": "7", "SLURM_JOB_NODELIST": "localhost", "SLURM_TASKS_PER_NODE": "4"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	out := filepath.Join(t.TempDir(), "study")
	cfg := Config{Program: bins.amdahl, Args: []string{"-serial", "0.01", "-parallel", "0"}, NP: []int{1, 4}, Repeat: 1,
		Spmdrun: bins.spmdrun, Out: out}
	recs, err := Run(context.Background(), cfg, Options{LookupEnv: lookup})
	require.NoError(t, err)
	require.Len(t, recs, 2)
	for _, r := range recs {
		require.True(t, r.OK(), "%+v", r)
		assert.Equal(t, []string{"localhost"}, r.Hosts)
		assert.Equal(t, r.P, len(r.RankHost))
	}
	st, err := LoadStudy(out)
	require.NoError(t, err)
	assert.Equal(t, "slurm", st.Provenance.Scheduler)
	assert.Equal(t, "7", st.Provenance.JobID)
	assert.Equal(t, 4, st.Placements[4].PPN)
	assert.False(t, st.Placements[4].Oversubscribed, "4 ranks on 4 slots")
}
