package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/launcher/profile"
)

var profclient struct {
	once sync.Once
	path string
	err  error
}

// profclientBin builds the test rank that plays a profiled rank's part
// without comm (launcher/testdata/profclient).
func profclientBin(t *testing.T) string {
	t.Helper()
	profclient.once.Do(func() {
		profclient.path = filepath.Join(filepath.Dir(spmdrun), "profclient")
		out, err := exec.Command("go", "build", "-o", profclient.path, "../../testdata/profclient").CombinedOutput()
		if err != nil {
			profclient.err = err
			t.Logf("%s", out)
		}
	})
	require.NoError(t, profclient.err)
	return profclient.path
}

// profileJSON is profile.json as a user reads it.
type profileJSON struct {
	Ranks []struct {
		Rank    int
		AppS    float64 `json:"app_s"`
		SpmdS   float64 `json:"spmd_s"`
		Ops     map[string]struct{ Calls, Bytes uint64 }
		Partial bool
	}
	Matrix       struct{ Bytes, Messages [][]uint64 }
	MissingRanks []int `json:"missing_ranks"`
	Partial      string
}

func readProfile(t *testing.T, dir string) profileJSON {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "profile.json"))
	require.NoError(t, err)
	var p profileJSON
	require.NoError(t, json.Unmarshal(b, &p), "%s", b)
	return p
}

func checkTraceFile(t *testing.T, dir string) *profile.TraceCheck {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "trace.json.gz"))
	require.NoError(t, err)
	defer f.Close()
	c, err := profile.CheckTrace(f)
	require.NoError(t, err)
	return c
}

func TestProfileAndTraceCollectEveryRank(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
	}{
		{"same clocks", nil},
		// Rank 1's clock 3 s ahead, rank 2's 2 s behind.
		{"skewed clocks", []string{"PROFCLIENT_SKEW=1=3s,2=-2s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pdir, tdir := filepath.Join(t.TempDir(), "prof"), filepath.Join(t.TempDir(), "trace")
			r := runSpmdrun(t, nil, tc.env, "-n", "3", "--profile", pdir, "--trace", tdir, profclientBin(t), "ok")
			require.Equal(t, 0, r.code, r.stderr)
			p := readProfile(t, pdir)
			require.Len(t, p.Ranks, 3)
			assert.Empty(t, p.MissingRanks)
			for _, rp := range p.Ranks {
				assert.Equal(t, uint64(1), rp.Ops["Send"].Calls)
				assert.LessOrEqual(t, rp.SpmdS, rp.AppS)
				assert.Equal(t, uint64(1), p.Matrix.Messages[rp.Rank][(rp.Rank+1)%3])
			}
			c := checkTraceFile(t, tdir)
			assert.Equal(t, []int{0, 1, 2}, c.Pids)
			assert.Equal(t, 3, c.Flows)
			assert.Empty(t, c.Problems)
			assert.Contains(t, r.stderr, "spmd profile: 3 ranks on 1 host")
			assert.Contains(t, r.stderr, "3 message arrows")
			for _, name := range []string{"profile.txt", "matrix.png"} {
				_, err := os.Stat(filepath.Join(pdir, name))
				assert.NoError(t, err)
			}
		})
	}
}

func TestProfileOfAJobWithADeadRank(t *testing.T) {
	dir := t.TempDir()
	r := runSpmdrun(t, nil, nil, "-n", "3", "--profile", dir, "--trace", dir, profclientBin(t), "die", "1")
	require.Equal(t, 3, r.code, r.stderr)
	p := readProfile(t, dir)
	assert.Equal(t, []int{1}, p.MissingRanks)
	require.Len(t, p.Ranks, 2)
	assert.Contains(t, r.stderr, "no data from 1 (1 of 3)")
	// The dead rank's messages have no arrows; the others' survive.
	c := checkTraceFile(t, dir)
	assert.Equal(t, []int{0, 2}, c.Pids)
	assert.Equal(t, 1, c.Flows, "the message 2→0")
	assert.Empty(t, c.Problems)
}

// TestProfileOfATimedOutJob: when --timeout fires, a rank still running
// hands over its data so far, which the profile and trace keep, marked
// partial with the reason; the exit code stays 124.
func TestProfileOfATimedOutJob(t *testing.T) {
	dir := t.TempDir()
	r := runSpmdrun(t, nil, nil, "-n", "3", "--timeout", "2s", "--profile", dir, "--trace", dir, profclientBin(t), "hang", "1")
	require.Equal(t, 124, r.code, r.stderr)
	p := readProfile(t, dir)
	assert.Empty(t, p.MissingRanks)
	require.Len(t, p.Ranks, 3)
	assert.Equal(t, "stopped by --timeout after 2s", p.Partial)
	for _, rp := range p.Ranks {
		assert.Equal(t, rp.Rank == 1, rp.Partial, "rank %d", rp.Rank)
		assert.Equal(t, uint64(1), rp.Ops["Send"].Calls, "rank %d", rp.Rank)
	}
	assert.Contains(t, r.stderr, "spmdrun: job timed out after 2s")
	assert.Contains(t, r.stderr, "partial: stopped by --timeout after 2s: the data of rank 1 ends there")
	c := checkTraceFile(t, dir)
	assert.Equal(t, []int{0, 1, 2}, c.Pids)
	assert.Equal(t, 3, c.Flows)
	assert.Empty(t, c.Problems)
}

func TestProfileDirectoryCheckedBeforeTheJob(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	readOnly := t.TempDir()
	require.NoError(t, os.Chmod(readOnly, 0o555))
	if os.Geteuid() == 0 {
		readOnly = "/proc/1" // root writes through permission bits
	}
	for _, tc := range []struct{ flag, dir, want string }{
		{"--profile", file, "spmdrun: --profile: cannot create " + file + ": not a directory"},
		{"--trace", readOnly, "spmdrun: --trace: cannot write to " + readOnly + ": "},
	} {
		r := runSpmdrun(t, nil, nil, "-n", "2", tc.flag, tc.dir, pmirank, "nopmi")
		assert.Equal(t, 2, r.code)
		assert.True(t, strings.HasPrefix(r.stderr, tc.want), "stderr %q, want %q", r.stderr, tc.want)
		assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
		assert.Empty(t, r.stdout, "the job started")
	}
}

func TestMergeProfileFromRankFiles(t *testing.T) {
	dir := t.TempDir()
	// Ranks started without a collector write their own files (as under
	// srun or mpiexec).
	r := runSpmdrun(t, nil, []string{"SPMD_PROFILE=" + dir}, "-n", "3", profclientBin(t), "files")
	require.Equal(t, 0, r.code, r.stderr)
	r = runSpmdrun(t, nil, nil, "--merge-profile", dir)
	require.Equal(t, 0, r.code, r.stderr)
	p := readProfile(t, dir)
	require.Len(t, p.Ranks, 3)
	assert.Contains(t, r.stderr, "no clock was measured")
	c := checkTraceFile(t, dir)
	assert.Equal(t, 3, c.Flows)

	r = runSpmdrun(t, nil, nil, "--merge-profile", t.TempDir())
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "no rank files")
}

func TestProfileArguments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--trace", "d", "--trace-limit", "0", "prog"}, "invalid --trace-limit 0"},
		{[]string{"--trace-limit", "10", "prog"}, "--trace-limit needs --trace"},
		{[]string{"--profile", "", "prog"}, "empty --profile directory"},
		{[]string{"--merge-profile", "d", "prog"}, "--merge-profile takes no program"},
	} {
		_, err := parseArgs(tc.args, func(string) (string, bool) { return "", false })
		if assert.Error(t, err, "%v", tc.args) {
			assert.Contains(t, err.Error(), tc.want)
		}
	}
	o, err := parseArgs([]string{"--profile", "p", "--trace", "t", "--trace-limit", "50", "prog"}, func(string) (string, bool) { return "", false })
	require.NoError(t, err)
	assert.Equal(t, profiling{profileDir: "p", traceDir: "t", traceLimit: 50}, o.profiling)
}

// TestProfileOnAFullDisk runs spmdrun in a mount namespace of its own
// where DIR is on a small tmpfs: filled, the probe write fails; merely too
// small for the trace asked for, the space check refuses it. Either way
// the job never starts.
func TestProfileOnAFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs in a mount namespace")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare not found")
	}
	for _, tc := range []struct {
		name, fill, flags, want string
	}{
		{"full", "dd if=/dev/zero of=$D/fill bs=4k 2>/dev/null || true;", "--profile $D/out",
			"spmdrun: --profile: cannot write to "},
		{"too small", "", "--trace $D/out --trace-limit 100000",
			"spmdrun: --trace: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			script := "set -e; D=" + dir + "; mount -t tmpfs -o size=512k tmpfs $D; " + tc.fill +
				" exec " + spmdrun + " -n 2 " + tc.flags + " " + pmirank + " nopmi"
			out, err := exec.Command(unshare, "-m", "sh", "-c", script).CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Skipf("cannot mount a tmpfs here: %v: %s", err, out)
			}
			if strings.Contains(string(out), "mount:") {
				t.Skipf("cannot mount a tmpfs here: %s", out)
			}
			assert.Equal(t, 2, ee.ExitCode(), "%s", out)
			assert.True(t, strings.HasPrefix(string(out), tc.want), "output %q, want %q", out, tc.want)
			assert.Equal(t, 1, strings.Count(string(out), "\n"), "one line: %q", out)
		})
	}
}
