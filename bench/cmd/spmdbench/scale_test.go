package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scaleBins holds spmdrun and the programs the scale tests run, built once.
var scaleBins struct {
	once                sync.Once
	dir                 string
	err                 error
	spmdrun, amdahl, pi string
}

func buildScaleBins(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs programs through spmdrun")
	}
	b := &scaleBins
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "spmdbench-scale-"); b.err != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", b.dir+"/", "github.com/spmd-go/spmd/launcher/cmd/spmdrun",
			"github.com/spmd-go/spmd/examples/internal/testprogs/amdahl", "github.com/spmd-go/spmd/examples/pi")
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
		b.spmdrun, b.amdahl, b.pi = filepath.Join(b.dir, "spmdrun"), filepath.Join(b.dir, "amdahl"), filepath.Join(b.dir, "pi")
	})
	require.NoError(t, b.err)
}

// scale runs spmdbench scale with args (after --spmdrun and before the
// program's --) and returns its exit code, output and error output.
func scale(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("SPMD_SCHEDULER", "none") // a batch job running the tests keeps out
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- runScale(append([]string{"--spmdrun", scaleBins.spmdrun}, args...), &out, &errb) }()
	select {
	case code := <-done:
		return code, out.String(), errb.String()
	case <-time.After(3 * time.Minute):
		t.Fatal("spmdbench scale did not finish in 3 minutes")
	}
	return 0, "", ""
}

// summaryJSON is the part of summary.json the tests read.
type summaryJSON struct {
	Mode     string `json:"mode"`
	Baseline struct {
		P       int     `json:"p"`
		MedianS float64 `json:"median_s"`
	} `json:"baseline"`
	Points []struct {
		P          int         `json:"p"`
		N          int         `json:"n"`
		Failed     int         `json:"failed"`
		Status     string      `json:"status"`
		MedianS    *float64    `json:"median_s"`
		CI95S      *[2]float64 `json:"ci95_s"`
		Speedup    *float64    `json:"speedup"`
		Efficiency *float64    `json:"efficiency"`
		KarpFlatt  *float64    `json:"karp_flatt"`
	} `json:"points"`
	Fits struct {
		Amdahl *struct {
			SerialFraction float64  `json:"serial_fraction"`
			Stderr         *float64 `json:"stderr"`
			R2             float64  `json:"r2"`
		} `json:"amdahl"`
		Gustafson *struct {
			SerialFraction float64  `json:"serial_fraction"`
			Stderr         *float64 `json:"stderr"`
		} `json:"gustafson"`
	} `json:"fits"`
	TimeSource string         `json:"time_source"`
	Warnings   []string       `json:"warnings"`
	Provenance map[string]any `json:"provenance"`
}

func readSummary(t *testing.T, dir string) summaryJSON {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	require.NoError(t, err)
	var s summaryJSON
	require.NoError(t, json.Unmarshal(b, &s), "%s", b)
	return s
}

// A program with a known law: the fitted serial fraction is the true one.
func TestScaleAmdahlRecoversTheSerialFraction(t *testing.T) {
	buildScaleBins(t)
	out := filepath.Join(t.TempDir(), "study")
	const serial, parallel = 0.05, 0.4
	code, stdout, stderr := scale(t, "--np", "1,2,4,8", "--repeat", "5", "--seed", "1", "--out", out, "--",
		scaleBins.amdahl, "-serial", fmt.Sprint(serial), "-parallel", fmt.Sprint(parallel))
	require.Equal(t, 0, code, "%s\n%s", stdout, stderr)
	s := readSummary(t, out)
	assert.Equal(t, "strong", s.Mode)
	assert.Equal(t, "app", s.TimeSource)
	require.NotNil(t, s.Fits.Amdahl)
	truth := serial / (serial + parallel)
	f := s.Fits.Amdahl
	require.NotNil(t, f.Stderr)
	t.Logf("serial fraction %.4f ± %.4f (truth %.4f), r² %.4f", f.SerialFraction, *f.Stderr, truth, f.R2)
	assert.InDelta(t, truth, f.SerialFraction, 0.03)
	// Three standard errors cover the truth, up to a floor for what the
	// fit cannot see: every run's time carries a fixed cost that is no part
	// of the law (a wake-up late by the scheduler, the span marks), which
	// T(p) = s + P/p + δ reads as serial work, biasing the fraction by about
	// δ/(s+P) in every run alike — so the spread, and with it the standard
	// error, stays small while the bias does not. The floor allows δ up to
	// 5 ms (0.011 here); the InDelta above bounds the fraction itself.
	const fixedCost = 0.005
	floor := fixedCost / (serial + parallel)
	assert.LessOrEqual(t, math.Abs(f.SerialFraction-truth), math.Max(3**f.Stderr, floor), "the standard error covers the truth")
	assert.Equal(t, 1, s.Baseline.P)
	require.Len(t, s.Points, 4)
	for _, pt := range s.Points {
		assert.Equal(t, 5, pt.N, "p=%d", pt.P)
		if pt.P > 1 {
			require.NotNil(t, pt.KarpFlatt, "p=%d", pt.P)
			assert.InDelta(t, truth, *pt.KarpFlatt, 0.05, "Karp–Flatt at p=%d", pt.P)
		}
	}
	assert.Contains(t, stdout, "| p | nodes×ppn |")
}

// The weak twin: each rank keeps its share, one-rank references give
// Gustafson's scaled speedup.
func TestScaleWeakRecoversGustafson(t *testing.T) {
	buildScaleBins(t)
	out := filepath.Join(t.TempDir(), "study")
	const serial, perRank = 0.025, 0.1
	code, stdout, stderr := scale(t, "--weak", "--np", "1,2,4,8", "--repeat", "5", "--seed", "2", "--out", out, "--",
		scaleBins.amdahl, "-serial", fmt.Sprint(serial), "-parallel", fmt.Sprintf("{%v*p}", perRank))
	require.Equal(t, 0, code, "%s\n%s", stdout, stderr)
	s := readSummary(t, out)
	assert.Equal(t, "weak", s.Mode)
	require.NotNil(t, s.Fits.Gustafson, "%v", s.Warnings)
	truth := serial / (serial + perRank)
	g := s.Fits.Gustafson
	t.Logf("Gustafson serial fraction %.4f (truth %.4f)", g.SerialFraction, truth)
	assert.InDelta(t, truth, g.SerialFraction, 0.03)
	assert.Nil(t, s.Fits.Amdahl)
	recs := readCSV(t, out)
	refs := 0
	for _, r := range recs[1:] {
		if r[1] == "reference" {
			refs++
			assert.Equal(t, "1", r[6], "a reference runs on one rank")
		}
	}
	assert.Equal(t, 15, refs, "five references at each p > 1")
}

func readCSV(t *testing.T, dir string) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "runs.csv"))
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	return rows
}

func TestScalePiWritesEveryFile(t *testing.T) {
	buildScaleBins(t)
	out := filepath.Join(t.TempDir(), "study")
	code, stdout, stderr := scale(t, "--np", "1,2,4", "--repeat", "2", "--metric", `err=error ([0-9.e+-]+)`, "--out", out, "--",
		scaleBins.pi, "-n", "2000000")
	require.Equal(t, 0, code, "%s\n%s", stdout, stderr)
	for _, name := range []string{"runs.csv", "runs.jsonl", "study.json", "summary.json", "report.md", "report.html",
		"time.png", "time.svg", "speedup.png", "speedup.svg", "efficiency.png", "efficiency.svg", "karp-flatt.png", "karp-flatt.svg"} {
		st, err := os.Stat(filepath.Join(out, name))
		if assert.NoError(t, err, name) {
			assert.Greater(t, st.Size(), int64(100), name)
		}
	}
	rows := readCSV(t, out)
	require.Len(t, rows, 1+6)
	assert.Equal(t, []string{"order", "kind", "p"}, rows[0][:3])
	assert.Equal(t, "metric:err", rows[0][len(rows[0])-1])
	for _, r := range rows[1:] {
		assert.Equal(t, "0", r[13], "exit code")
		assert.Equal(t, "app", r[12], "time source")
	}
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	require.NoError(t, err)
	assert.Equal(t, 4, strings.Count(string(html), `src="data:image/png;base64,`), "four plots inline")
	s := readSummary(t, out)
	assert.Equal(t, "app", s.TimeSource)
	assert.NotEmpty(t, s.Provenance["cpus"])
	build, _ := s.Provenance["program_build"].(map[string]any)
	assert.Equal(t, "github.com/spmd-go/spmd", build["module"], "the program's build info is recorded")
	lines, err := os.ReadFile(filepath.Join(out, "runs.jsonl"))
	require.NoError(t, err)
	assert.Equal(t, 6, strings.Count(string(lines), "\n"))
	assert.Contains(t, string(lines), `"rank_host":[0,0,0,0]`)
	screenshot(t, filepath.Join(out, "report.html"))
}

// screenshot opens the page in headless Chromium and checks that the
// screenshot shows something more than a blank page.
func screenshot(t *testing.T, page string) {
	t.Helper()
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		t.Log("no chromium: the HTML screenshot check is skipped (apt-get install chromium)")
		return
	}
	shot := filepath.Join(t.TempDir(), "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--no-first-run", "--user-data-dir="+t.TempDir(), "--window-size=1200,3000", "--screenshot="+shot, "file://"+page)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	st, err := os.Stat(shot)
	require.NoError(t, err)
	// A blank page compresses to a few kilobytes; one with four plots does not.
	assert.Greater(t, st.Size(), int64(50_000), "the screenshot shows the plots")
}

func TestScaleBadInputLosesNothingAndNamesTheCause(t *testing.T) {
	buildScaleBins(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--np", "1,2", "--", "amdahl", "-n", "{q*2}"}, `unknown name "q"`},
		{[]string{"--np", "1,2", "--", "amdahl", "-n", "{p*}"}, "ends early"},
		{[]string{"--np", "0", "--", "amdahl"}, `"0" is not a process count`},
		{[]string{"--np", "1", "--", "/no/such/program"}, "/no/such/program"},
		{[]string{"--np", "1", "--fill", "diagonal", "--", "amdahl"}, "--fill"},
		{[]string{"--np", "1", "--metric", "x=(", "--", "amdahl"}, "--metric x"},
		{[]string{"--np", "1"}, "no program"},
		{[]string{"--weak", "--strong", "--", "amdahl"}, "not both"},
	} {
		for i, a := range tc.args {
			if a == "amdahl" {
				tc.args[i] = scaleBins.amdahl
			}
		}
		out := filepath.Join(dir, fmt.Sprint(len(tc.want), tc.want[:2]))
		code, _, stderr := scale(t, append([]string{"--out", out}, tc.args...)...)
		assert.Equal(t, 2, code, "%v", tc.args)
		assert.Contains(t, stderr, tc.want, "%v", tc.args)
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
		assert.NoDirExists(t, out, "nothing ran")
	}
}

func TestScaleFailedAndHangingRunsAreRecorded(t *testing.T) {
	buildScaleBins(t)
	out := filepath.Join(t.TempDir(), "study")
	// p=2 exits 3; p=4 hangs (30 s of serial work) past the run timeout.
	code, stdout, stderr := scale(t, "--np", "1,2,4", "--repeat", "2", "--run-timeout", "3s", "--out", out, "--",
		scaleBins.amdahl, "-serial", "{0.01 + floor(p/4)*30}", "-parallel", "0", "-fail", "{floor(p/2)*3 - floor(p/4)*6}")
	assert.Equal(t, 1, code, "a point with no good run: %s\n%s", stdout, stderr)
	s := readSummary(t, out)
	byP := map[int]string{}
	for _, pt := range s.Points {
		byP[pt.P] = pt.Status
	}
	assert.Equal(t, map[int]string{1: "ok", 2: "no good run", 4: "no good run"}, byP)
	rows := readCSV(t, out)
	require.Len(t, rows, 1+6, "every run is recorded")
	for _, r := range rows[1:] {
		switch r[2] {
		case "1":
			assert.Equal(t, "0", r[13])
		case "2":
			assert.Equal(t, "3", r[13])
			assert.Contains(t, r[15], "exit code 3")
		case "4":
			assert.Equal(t, "124", r[13])
			assert.Equal(t, "true", r[14])
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "no good run")
}

func TestScaleCompare(t *testing.T) {
	buildScaleBins(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, st := range []struct{ out, parallel string }{{a, "0.1"}, {b, "0.2"}} {
		code, stdout, stderr := scale(t, "--np", "1,2", "--repeat", "6", "--out", st.out, "--",
			scaleBins.amdahl, "-serial", "0.02", "-parallel", st.parallel)
		require.Equal(t, 0, code, "%s\n%s", stdout, stderr)
	}
	var out, errb bytes.Buffer
	code := runScale([]string{"--compare", a, b}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	assert.Contains(t, out.String(), "| 1 |")
	assert.Contains(t, out.String(), "| 2 |")
	assert.Equal(t, 2, strings.Count(out.String(), "B slower"), out.String())

	code, _, stderr := scale(t, "--np", "1", "--out", a, "--", scaleBins.amdahl)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "already holds a study")
	assert.FileExists(t, filepath.Join(b, "compare-a.png"))
	assert.FileExists(t, filepath.Join(b, "compare-a.svg"))

	code = runScale([]string{"--compare", a}, &out, &errb)
	assert.Equal(t, 2, code)
	code = runScale([]string{"--compare", a, filepath.Join(dir, "none")}, &out, &errb)
	assert.Equal(t, 2, code)
}

// A foreign launcher runs the program its way; the study falls back to
// wall time and says so.
func TestScaleForeignLauncherIsTimedByWallTime(t *testing.T) {
	buildScaleBins(t)
	out := filepath.Join(t.TempDir(), "study")
	code, stdout, stderr := scale(t, "--np", "1,2", "--repeat", "2", "--launcher", "env SCALE_TEST_RANKS={p}", "--out", out, "--",
		scaleBins.amdahl, "-serial", "0.01", "-parallel", "0.02")
	require.Equal(t, 0, code, "%s\n%s", stdout, stderr)
	s := readSummary(t, out)
	assert.Equal(t, "wall", s.TimeSource)
	assert.Contains(t, strings.Join(s.Warnings, "\n"), "launch cost included")
	rows := readCSV(t, out)
	require.Len(t, rows, 5)
	for _, r := range rows[1:] {
		assert.Equal(t, "wall", r[12])
		assert.Equal(t, "", r[10], "no span without spmdrun")
	}
}
