package realsched

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The real-Slurm tests start two clusters with scripts/slurm-cluster.sh,
// once per test binary and only when a test asks for them: one node on this
// host, and three nodes, each in its own network namespace with its own host
// name, address and /dev/shm (so ranks on different nodes talk TCP and ranks
// on one node share memory). Both are taken down when the tests end.

// clusterScript is scripts/slurm-cluster.sh, from this package's directory.
const clusterScript = "../../scripts/slurm-cluster.sh"

const (
	// upLimit bounds slurm-cluster.sh up (which may install packages) and
	// down.
	upLimit = 3 * time.Minute
	// jobLimit bounds every srun and sbatch --wait.
	jobLimit = 90 * time.Second
	// cancelLimit is how soon everything of a cancelled job must be gone.
	cancelLimit = 5 * time.Second
)

func TestMain(m *testing.M) {
	if os.Geteuid() == 0 && os.Getenv("SPMD_NO_SLURM") != "1" {
		downStale()
	}
	code := m.Run()
	clusters.mu.Lock()
	for _, c := range clusters.byNodes {
		if c.dir == "" {
			continue
		}
		if out, err := runScript(upLimit, "down", c.dir); err != nil {
			fmt.Fprintf(os.Stderr, "slurm-cluster.sh down %s: %v: %s\n", c.dir, err, out)
			code = 1
		}
	}
	clusters.mu.Unlock()
	if err := pool.down(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	if bins.dir != "" {
		os.RemoveAll(bins.dir)
	}
	if tmp.dir != "" {
		os.RemoveAll(tmp.dir)
	}
	if f := os.Getenv("SPMD_REALSCHED_REPORT"); f != "" {
		if err := os.WriteFile(f, []byte(report(code)+"\n"+condorReport(code)+"\n"), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// staleGlob matches the directories of earlier test binaries (see tmpDir).
var staleGlob = filepath.Join(os.TempDir(), "spmd-realsched-*")

// downStale takes down the clusters of earlier test binaries that died
// without doing so themselves (killed, or ended by -timeout's panic, which
// skips TestMain's teardown), so that their daemons and namespaces do not
// pile up.
func downStale() {
	dirs, _ := filepath.Glob(staleGlob)
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "owner"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid == os.Getpid() || syscall.Kill(pid, 0) == nil {
			continue // not ours to judge, or its owner still runs
		}
		for _, n := range []int{1, 3} {
			c := filepath.Join(d, fmt.Sprintf("slurm%d", n))
			if _, err := os.Stat(c); err != nil {
				continue
			}
			if out, err := runScript(upLimit, "down", c); err != nil {
				fmt.Fprintf(os.Stderr, "taking down the stale cluster in %s: %v: %s\n", c, err, out)
			}
		}
		os.RemoveAll(d)
	}
}

// report is the line `make test` prints about the real-Slurm tests.
func report(code int) string {
	clusters.mu.Lock()
	defer clusters.mu.Unlock()
	var ran, skipped, reasons []string
	for _, n := range []int{1, 3} {
		c := clusters.byNodes[n]
		switch {
		case c == nil:
		case c.skip != "":
			skipped = append(skipped, fmt.Sprintf("%s: %s", nodesWord(n), c.skip))
			if !slices.Contains(reasons, c.skip) {
				reasons = append(reasons, c.skip)
			}
		case c.err != nil:
			ran = append(ran, nodesWord(n)+" (cluster failed to start)")
		default:
			ran = append(ran, nodesWord(n))
		}
	}
	var s string
	switch {
	case len(ran) == 0 && len(skipped) == 0:
		s = "real Slurm: skipped: no real-Slurm test was selected"
	case len(ran) == 0 && len(reasons) == 1:
		s = "real Slurm: skipped: " + reasons[0]
	case len(ran) == 0:
		s = "real Slurm: skipped: " + strings.Join(skipped, "; ")
	default:
		s = "real Slurm: ran (" + strings.Join(ran, ", ") + ")"
		if len(skipped) > 0 {
			s += "; skipped " + strings.Join(skipped, "; ")
		}
	}
	if code != 0 {
		s += " — some tests FAILED"
	}
	return s
}

func nodesWord(n int) string {
	if n == 1 {
		return "1 node"
	}
	return fmt.Sprintf("%d nodes", n)
}

// slurmCluster is one cluster that slurm-cluster.sh started.
type slurmCluster struct {
	once  sync.Once
	nodes int
	dir   string   // DIR of slurm-cluster.sh; "" until up ran
	conf  string   // DIR/slurm.conf
	names []string // the nodes' names, which are also their host names
	skip  string   // why the cluster cannot run here
	err   error    // why up failed
}

var clusters = struct {
	mu      sync.Mutex
	byNodes map[int]*slurmCluster
}{byNodes: map[int]*slurmCluster{}}

// tmp is the directory every cluster and job of this test binary lives in.
var tmp struct {
	once sync.Once
	dir  string
	err  error
}

// tmpDir returns a directory searchable by everyone (munged refuses a
// socket below one that is not), made once, with this process's pid in
// its file "owner".
func tmpDir(t *testing.T) string {
	t.Helper()
	tmp.once.Do(func() {
		tmp.dir, tmp.err = os.MkdirTemp("", "spmd-realsched-")
		if tmp.err == nil {
			tmp.err = os.Chmod(tmp.dir, 0o755)
		}
		if tmp.err == nil {
			// For downStale, in a later test binary if this one dies.
			tmp.err = os.WriteFile(filepath.Join(tmp.dir, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o644)
		}
	})
	require.NoError(t, tmp.err)
	return tmp.dir
}

// cluster returns the cluster of the given size, starting it the first
// time; it skips t when this machine cannot run it.
func cluster(t *testing.T, nodes int) *slurmCluster {
	t.Helper()
	clusters.mu.Lock()
	c := clusters.byNodes[nodes]
	if c == nil {
		c = &slurmCluster{nodes: nodes}
		clusters.byNodes[nodes] = c
	}
	clusters.mu.Unlock()
	c.once.Do(func() { c.up(t) })
	if c.skip != "" {
		t.Skip("real Slurm: skipped: " + c.skip)
	}
	require.NoError(t, c.err, "the %s Slurm cluster did not start", nodesWord(nodes))
	return c
}

func (c *slurmCluster) up(t *testing.T) {
	if c.skip = skipReason(c.nodes); c.skip != "" {
		return
	}
	dir := filepath.Join(tmpDir(t), fmt.Sprintf("slurm%d", c.nodes))
	clusters.mu.Lock()
	c.dir = dir // from here on TestMain takes it down
	clusters.mu.Unlock()
	start := time.Now()
	out, err := runScript(upLimit, "up", dir, strconv.Itoa(c.nodes))
	if err != nil {
		c.err = fmt.Errorf("slurm-cluster.sh up %s %d: %w: %s", dir, c.nodes, err, out)
		return
	}
	t.Logf("slurm-cluster.sh up (%s) took %v", nodesWord(c.nodes), time.Since(start).Round(time.Millisecond))
	env, err := os.ReadFile(filepath.Join(dir, "env"))
	if err != nil {
		c.err = err
		return
	}
	for l := range strings.SplitSeq(string(env), "\n") {
		if v, ok := strings.CutPrefix(l, "NODENAMES="); ok {
			c.names = strings.Fields(strings.Trim(v, `"`))
		}
	}
	c.conf = filepath.Join(dir, "slurm.conf")
	if len(c.names) != c.nodes {
		c.err = fmt.Errorf("%s/env names %d nodes, want %d: %s", dir, len(c.names), c.nodes, env)
	}
}

// skipReason says why this machine cannot run a real Slurm cluster of the
// given size, or "".
func skipReason(nodes int) string {
	if os.Getenv("SPMD_NO_SLURM") == "1" {
		return "SPMD_NO_SLURM=1 is set"
	}
	if os.Geteuid() != 0 {
		return "not root (munged, slurmctld and slurmd run as root here)"
	}
	for _, c := range []string{"slurmctld", "slurmd", "srun", "sbatch", "munged", "mungekey"} {
		if _, err := lookPathSbin(c); err != nil {
			return c + " not found: install Debian's slurmctld, slurmd, slurm-client and munge (scripts/setup-slurm.sh does, as root)"
		}
	}
	if nodes > 1 {
		for _, c := range []string{"ip", "nsenter", "unshare", "ssh-keygen", "flock", "sshd"} {
			if _, err := lookPathSbin(c); err != nil {
				return c + " not found (the nodes are network namespaces made by scripts/netns-cluster.sh)"
			}
		}
		ip, _ := lookPathSbin("ip")
		ns := fmt.Sprintf("spmd-slurmprobe-%d", os.Getpid())
		if out, err := exec.Command(ip, "netns", "add", ns).CombinedOutput(); err != nil {
			return fmt.Sprintf("`ip netns add` failed: %v: %s", err, bytes.TrimSpace(out))
		}
		if out, err := exec.Command(ip, "netns", "del", ns).CombinedOutput(); err != nil {
			return fmt.Sprintf("`ip netns del` failed: %v: %s", err, bytes.TrimSpace(out))
		}
	}
	return ""
}

// lookPathSbin finds a command on PATH or in /usr/sbin and /sbin, which
// not every PATH has.
func lookPathSbin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/sbin"} {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// runScript runs slurm-cluster.sh with args, bounded by limit.
func runScript(limit time.Duration, args ...string) ([]byte, error) {
	script, err := filepath.Abs(clusterScript)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, script, args...)
	cmd.Env = cleanEnv()
	return cmd.CombinedOutput()
}

// cleanEnv is this process's environment without Slurm's and spmd's job
// variables, which would otherwise leak into the jobs (the tests may run
// inside a batch job themselves).
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SLURM_") || strings.HasPrefix(kv, "PMI_") || strings.HasPrefix(kv, "SPMD_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// result is what one command produced.
type result struct {
	code           int
	stdout, stderr string
}

// run runs a Slurm client command against c with extra environment
// entries, bounded by jobLimit.
func (c *slurmCluster) run(t *testing.T, dir string, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), jobLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(append(cleanEnv(), "SLURM_CONF="+c.conf, "SPMD_CONNECT_TIMEOUT=30s"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ctx.Err() == nil:
		r.code = ee.ExitCode()
	default:
		t.Fatalf("%s %s: %v (bound %v)\nstdout: %s\nstderr: %s\n%s", name, strings.Join(args, " "), err, jobLimit, r.stdout, r.stderr, c.logTail())
	}
	return r
}

// logTail is the end of the cluster's logs, for a failure message.
func (c *slurmCluster) logTail() string {
	logs, _ := filepath.Glob(filepath.Join(c.dir, "log", "*.log"))
	return tailsOf(logs)
}

// tailsOf returns the last lines of each file that can be read, under a
// heading naming it: the end of daemons' logs for a failure message.
func tailsOf(files []string) string {
	var b strings.Builder
	for _, l := range files {
		data, err := os.ReadFile(l)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		fmt.Fprintf(&b, "--- %s (end)\n%s\n", l, strings.Join(lines[max(0, len(lines)-8):], "\n"))
	}
	return b.String()
}

// bins holds the programs the tests run, built once.
var bins struct {
	once sync.Once
	dir  string
	err  error
}

// program returns the path of a program built for the tests: spmdrun,
// spmdsubmit, spmdbench, pi, ring, hello, crash or hang.
func program(t *testing.T, name string) string {
	t.Helper()
	bins.once.Do(func() {
		dir := filepath.Join(tmpDir(t), "bin")
		if bins.err = os.Mkdir(dir, 0o755); bins.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+"/",
			"../../launcher/cmd/spmdrun", "../../launcher/cmd/spmdsubmit", "../../bench/cmd/spmdbench",
			"../../examples/pi", "../../examples/ring", "../../examples/hello",
			"../../examples/internal/testprogs/crash", "../../examples/internal/testprogs/hang")
		if out, err := cmd.CombinedOutput(); err != nil {
			bins.err = fmt.Errorf("go build: %w: %s", err, out)
			return
		}
		bins.dir = dir
	})
	require.NoError(t, bins.err)
	return filepath.Join(bins.dir, name)
}

// piLine is what bin/pi prints.
var piLine = regexp.MustCompile(`(?m)^pi ≈ 3\.14159265\d* \(error [0-9.e+-]+\) from (\d+) ranks`)

// helloLine is what bin/hello prints for each rank.
var helloLine = regexp.MustCompile(`(?m)^hello from rank (\d+) of (\d+) on (\S+) \(pid \d+\)$`)

// assertPi checks bin/pi's output for n ranks.
func assertPi(t *testing.T, out string, n int) {
	t.Helper()
	m := piLine.FindStringSubmatch(out)
	if assert.NotNil(t, m, "no π line in: %s", out) {
		assert.Equal(t, strconv.Itoa(n), m[1], out)
	}
}

// helloHosts checks bin/hello's output for n ranks, each printing once,
// and returns how many ranks each host ran.
func helloHosts(t *testing.T, out string, n int) map[string]int {
	t.Helper()
	perHost := map[string]int{}
	seen := map[int]bool{}
	for _, m := range helloLine.FindAllStringSubmatch(out, -1) {
		r, _ := strconv.Atoi(m[1])
		assert.False(t, seen[r], "rank %d printed twice: %s", r, out)
		seen[r] = true
		assert.Equal(t, strconv.Itoa(n), m[2], out)
		perHost[m[3]]++
	}
	assert.Len(t, seen, n, "want a line from each of %d ranks: %s", n, out)
	return perHost
}

// wantPerHost is n ranks on each of c's nodes.
func (c *slurmCluster) wantPerHost(n int) map[string]int {
	m := map[string]int{}
	for _, h := range c.names {
		m[h] = n
	}
	return m
}

// TestSlurmSrun runs examples as the tasks of srun steps, on one node and on
// three: through Slurm's PMI server (srun --mpi=pmi2, over PMI-1 and over
// PMI-2) and without one (--mpi=none, spmd's plain-Slurm bootstrap).
func TestSlurmSrun(t *testing.T) {
	for _, tc := range []struct {
		nodes, perNode int
	}{{1, 4}, {3, 2}} {
		t.Run(nodesWord(tc.nodes), func(t *testing.T) {
			t.Parallel()
			c := cluster(t, tc.nodes)
			n := tc.nodes * tc.perNode
			for _, mode := range []struct {
				name string
				mpi  string
				env  []string
			}{
				{"pmi2-plugin-PMI-1-wire", "pmi2", nil},
				{"pmi2-plugin-PMI-2-wire", "pmi2", []string{"SPMD_PMI=2"}},
				{"no-PMI", "none", nil},
			} {
				t.Run(mode.name, func(t *testing.T) {
					args := []string{"--mpi=" + mode.mpi, "-N", strconv.Itoa(tc.nodes), "--ntasks-per-node=" + strconv.Itoa(tc.perNode)}
					r := c.run(t, tmpDir(t), mode.env, "srun", append(args, program(t, "hello"))...)
					require.Equal(t, 0, r.code, "srun hello: %s\n%s", r.stderr, r.stdout)
					assert.Equal(t, c.wantPerHost(tc.perNode), helloHosts(t, r.stdout, n))
					r = c.run(t, tmpDir(t), mode.env, "srun", append(args, program(t, "pi"))...)
					require.Equal(t, 0, r.code, "srun pi: %s\n%s", r.stderr, r.stdout)
					assertPi(t, r.stdout, n)
				})
			}
		})
	}
}

// TestSlurmSrunRankNeverStarts: without PMI (srun --mpi=none) a rank that
// exits before it joins the job must not leave the others waiting for
// ever: Slurm keeps such a step running (no --kill-on-bad-exit), so rank 0
// gives up after SPMD_CONNECT_TIMEOUT, naming the rank, and the step ends.
func TestSlurmSrunRankNeverStarts(t *testing.T) {
	t.Parallel()
	c := cluster(t, 1)
	hello := program(t, "hello")
	start := time.Now()
	r := c.run(t, tmpDir(t), []string{"SPMD_CONNECT_TIMEOUT=3s"}, "srun", "--mpi=none", "-n", "3",
		"/bin/sh", "-c", `[ "$SLURM_PROCID" = 1 ] && exit 7; exec "$0"`, hello)
	assert.NotEqual(t, 0, r.code, "srun: %s", r.stderr)
	assert.Contains(t, r.stderr, "rank(s) 1 of 3 did not join rank 0's key-value server")
	assert.Less(t, time.Since(start), 30*time.Second, "the step ended only after %v", time.Since(start))
}

// batchJob writes spmdsubmit's Slurm script for nodes × perNode ranks of
// prog into a directory of its own and returns that directory and the
// script's path.
func batchJob(t *testing.T, nodes, perNode int, prog string, args ...string) (dir, script string) {
	t.Helper()
	dir, err := os.MkdirTemp(tmpDir(t), "job-")
	require.NoError(t, err)
	sub := append([]string{"-N", strconv.Itoa(nodes), "-ppn", strconv.Itoa(perNode),
		"--spmdrun", program(t, "spmdrun"), "-o", dir, "slurm", program(t, prog)}, args...)
	out, err := exec.Command(program(t, "spmdsubmit"), sub...).CombinedOutput()
	require.NoError(t, err, "spmdsubmit: %s", out)
	scripts, err := filepath.Glob(filepath.Join(dir, "*.sbatch"))
	require.NoError(t, err)
	require.Len(t, scripts, 1, "spmdsubmit -o %s wrote %v", dir, scripts)
	return dir, scripts[0]
}

// sbatchWait submits script and waits for the job's end (sbatch --wait,
// which exits with the job's exit code); the job's output is dir/out.
func (c *slurmCluster) sbatchWait(t *testing.T, dir, script string) (code int, out string) {
	t.Helper()
	r := c.run(t, dir, nil, "sbatch", "--wait", "--output="+filepath.Join(dir, "out"), script)
	b, err := os.ReadFile(filepath.Join(dir, "out"))
	require.NoError(t, err, "sbatch: %s%s", r.stdout, r.stderr)
	return r.code, string(b)
}

// srunQuiet asserts that srun, as spmdrun ran it to start its proxies,
// printed nothing to the job's output but the one warning that
// --cpu-bind=none draws from a cluster without task affinity (this one's
// TaskPlugin is task/none). A warning such as "can't honor
// --ntasks-per-node" means the proxies did not start as spmdrun meant.
func srunQuiet(t *testing.T, out string) {
	t.Helper()
	for l := range strings.SplitSeq(out, "\n") {
		if strings.HasPrefix(l, "srun:") && l != "srun: cluster configuration lacks support for cpu binding" {
			t.Errorf("srun complained in the job's output: %s", l)
		}
	}
}

// TestSlurmBatch submits spmdsubmit's Slurm scripts with sbatch --wait:
// spmdrun inside the job finds the allocation by itself and starts its
// proxies on the other nodes with srun.
func TestSlurmBatch(t *testing.T) {
	t.Run("3 nodes ring", func(t *testing.T) {
		t.Parallel()
		c := cluster(t, 3)
		dir, script := batchJob(t, 3, 2, "ring")
		code, out := c.sbatchWait(t, dir, script)
		require.Equal(t, 0, code, "job output:\n%s", out)
		assert.Contains(t, out, "token counter 60 after 10 laps of 6 ranks (want 60)")
		srunQuiet(t, out)
	})
	t.Run("3 nodes hello", func(t *testing.T) {
		t.Parallel()
		c := cluster(t, 3)
		dir, script := batchJob(t, 3, 2, "hello")
		code, out := c.sbatchWait(t, dir, script)
		require.Equal(t, 0, code, "job output:\n%s", out)
		assert.Equal(t, c.wantPerHost(2), helloHosts(t, out, 6), "6 ranks, 2 on each of the 3 nodes")
		srunQuiet(t, out)
	})
	t.Run("1 node pi", func(t *testing.T) {
		t.Parallel()
		c := cluster(t, 1)
		dir, script := batchJob(t, 1, 4, "pi")
		code, out := c.sbatchWait(t, dir, script)
		require.Equal(t, 0, code, "job output:\n%s", out)
		assertPi(t, out, 4)
	})
}

// jobProc is a process of a Slurm job.
type jobProc struct {
	pid  int
	exe  string
	rank int // PMI_RANK, or -1
	args string
}

// jobProcs lists the live processes of job id on every node (the nodes
// share this machine's process ids): those whose environment has the
// job's SLURM_JOB_ID, and the job's slurmstepd processes. Zombies are left
// out.
func jobProcs(t *testing.T, id string) []jobProc {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	var ps []jobProc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || len(cmdline) == 0 {
			continue
		}
		args := strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
		p := jobProc{pid: pid, args: args, rank: -1}
		p.exe, _ = os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if strings.HasPrefix(args, "slurmstepd: ["+id+".") {
			ps = append(ps, p)
			continue
		}
		environ, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		mine := false
		for kv := range strings.SplitSeq(string(environ), "\x00") {
			if kv == "SLURM_JOB_ID="+id {
				mine = true
			}
			if v, ok := strings.CutPrefix(kv, "PMI_RANK="); ok {
				p.rank, _ = strconv.Atoi(v)
			}
		}
		if mine {
			ps = append(ps, p)
		}
	}
	return ps
}

// assertJobGone asserts that no process of job id is left on any node
// within limit.
func assertJobGone(t *testing.T, id string, limit time.Duration) {
	t.Helper()
	var left []jobProc
	ok := assert.Eventually(t, func() bool {
		left = jobProcs(t, id)
		return len(left) == 0
	}, limit, 50*time.Millisecond, "processes of job %s outlived it by %v", id, limit)
	if !ok {
		for _, p := range left {
			t.Errorf("left running: pid %d (%s): %s", p.pid, p.exe, p.args)
		}
	}
}

// submit submits script without waiting and returns the job id.
func (c *slurmCluster) submit(t *testing.T, dir, script string) string {
	t.Helper()
	r := c.run(t, dir, nil, "sbatch", "--parsable", "--output="+filepath.Join(dir, "out"), script)
	require.Equal(t, 0, r.code, "sbatch: %s", r.stderr)
	id, _, _ := strings.Cut(strings.TrimSpace(r.stdout), ";")
	require.Regexp(t, `^\d+$`, id, "sbatch --parsable printed %q", r.stdout)
	return id
}

// waitOutput waits (bounded) until dir/out has n lines matching re.
func waitOutput(t *testing.T, dir string, re *regexp.Regexp, n int) string {
	t.Helper()
	var out string
	ok := assert.Eventually(t, func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "out"))
		out = string(b)
		return len(re.FindAllString(out, -1)) >= n
	}, jobLimit, 50*time.Millisecond)
	require.True(t, ok, "want %d lines matching %v in the job's output; got:\n%s", n, re, out)
	return out
}

// TestSlurmBatchRankFails: a rank on another node than the batch script's
// exits with status 3; the job ends with that status (sbatch --wait exits
// with it) and leaves no process on any node.
func TestSlurmBatchRankFails(t *testing.T) {
	t.Parallel()
	c := cluster(t, 3)
	dir, script := batchJob(t, 3, 2, "crash", "-victim", "3", "-code", "3")
	r := c.run(t, dir, nil, "sbatch", "--wait", "--parsable", "--output="+filepath.Join(dir, "out"), script)
	out, _ := os.ReadFile(filepath.Join(dir, "out"))
	assert.Equal(t, 3, r.code, "sbatch --wait: want the victim's status 3\n%s\njob output:\n%s", r.stderr, out)
	assert.Contains(t, string(out), "rank 3", "the job's output names the failed rank")
	id, _, _ := strings.Cut(strings.TrimSpace(r.stdout), ";")
	require.Regexp(t, `^\d+$`, id)
	assertJobGone(t, id, cancelLimit)
}

// TestSlurmBatchRankKilled: a rank on another node than the batch
// script's is killed (SIGKILL); the job ends, sbatch --wait exits with a
// non-zero status, and no process of the job is left on any node.
func TestSlurmBatchRankKilled(t *testing.T) {
	t.Parallel()
	c := cluster(t, 3)
	dir, script := batchJob(t, 3, 2, "hang")
	ctx, cancel := context.WithTimeout(context.Background(), jobLimit)
	defer cancel()
	sbatch := exec.CommandContext(ctx, "sbatch", "--wait", "--parsable", "--output="+filepath.Join(dir, "out"), script)
	sbatch.Dir = dir
	sbatch.Env = append(cleanEnv(), "SLURM_CONF="+c.conf)
	idOut, errOut := &syncWriter{w: new(bytes.Buffer)}, &syncWriter{w: new(bytes.Buffer)}
	sbatch.Stdout, sbatch.Stderr = idOut, errOut
	require.NoError(t, sbatch.Start())
	waited := make(chan error, 1)
	go func() { waited <- sbatch.Wait() }()

	waitOutput(t, dir, regexp.MustCompile(`(?m)^ready$`), 6)
	id := strings.TrimSpace(idOut.String())
	id, _, _ = strings.Cut(id, ";")
	require.Regexp(t, `^\d+$`, id, "sbatch --parsable printed %q", id)
	hang := program(t, "hang")
	var victim *jobProc
	for _, p := range jobProcs(t, id) {
		if p.exe == hang && p.rank == 3 {
			victim = &p
		}
	}
	require.NotNil(t, victim, "rank 3 of job %s not found: %v", id, jobProcs(t, id))
	require.NoError(t, syscall.Kill(victim.pid, syscall.SIGKILL))

	err := <-waited
	require.NoError(t, ctx.Err(), "sbatch --wait: job %s still running %v after its rank 3 was killed", id, jobLimit)
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "sbatch --wait: want a non-zero exit, got %v (%s)", err, errOut.String())
	assert.NotEqual(t, 0, ee.ExitCode())
	out, _ := os.ReadFile(filepath.Join(dir, "out"))
	assert.Contains(t, string(out), "rank 3", "the job's output names the killed rank")
	assertJobGone(t, id, cancelLimit)
}

// syncWriter is a buffer that one goroutine writes and another reads.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

// TestSlurmScancel: scancel of a running job ends every process of it, on
// every node, within cancelLimit.
func TestSlurmScancel(t *testing.T) {
	t.Parallel()
	c := cluster(t, 3)
	dir, script := batchJob(t, 3, 2, "hang")
	id := c.submit(t, dir, script)
	waitOutput(t, dir, regexp.MustCompile(`(?m)^ready$`), 6)
	hang := program(t, "hang")
	ranks := 0
	for _, p := range jobProcs(t, id) {
		if p.exe == hang {
			ranks++
		}
	}
	require.Equal(t, 6, ranks, "ranks of job %s running before scancel", id)
	start := time.Now()
	r := c.run(t, dir, nil, "scancel", id)
	require.Equal(t, 0, r.code, "scancel: %s", r.stderr)
	assertJobGone(t, id, cancelLimit-time.Since(start))
	t.Logf("job %s gone %v after scancel", id, time.Since(start).Round(time.Millisecond))
}
