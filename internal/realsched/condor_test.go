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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The real-HTCondor tests start one pool with scripts/condor-pool.sh, once
// per test binary and only when a test asks for it: Debian 13's HTCondor
// in a chroot (built on the first run and kept, see condorPoolDir), with a
// dedicated scheduler for parallel-universe jobs. They submit spmdsubmit's
// files as they are, as the chroot's unprivileged user, and read what the
// job left: its output files, its user log and condor_history. The pool is
// taken down when the tests end.
//
// The pool has three execute hosts: this one, with 16 slots, and node1 and
// node2, with 2 slots each, which have host names and /dev/shm of their own
// (see condor-pool.sh). A job lands wherever the dedicated scheduler puts
// it; the tests that need each node on a host of its own ask for slots
// with SlotID 1, of which each host has one. There node 0's spmdrun starts
// the ranks on the other hosts through their nodes' spmdrun --join.

// poolScript is scripts/condor-pool.sh, from this package's directory.
const poolScript = "../../scripts/condor-pool.sh"

const (
	// poolUpLimit bounds condor-pool.sh up, which builds the chroot the
	// first time (minutes), and down.
	poolUpLimit = 12 * time.Minute
	// condorJobLimit bounds a job from condor_submit to its end in the
	// user log.
	condorJobLimit = 2 * time.Minute
	// poolUser is the chroot's unprivileged user (condor_submit refuses
	// root); poolHome is its home in the chroot.
	poolUser = "spmd"
	poolHome = "/home/" + poolUser
)

// condorPoolDir is condor-pool.sh's DIR: SPMD_CONDOR_POOL, else a
// directory under /var/tmp that outlives the test binary, so that the
// chroot is built once per machine rather than once per run.
func condorPoolDir() string {
	if d := os.Getenv("SPMD_CONDOR_POOL"); d != "" {
		return d
	}
	return "/var/tmp/spmd-condor-pool"
}

// condorPool is the pool condor-pool.sh started.
type condorPool struct {
	once  sync.Once
	dir   string        // DIR; "" until up ran (then TestMain takes it down)
	hosts []string      // the execute hosts' names, the central manager's first
	root  string        // DIR/root, the chroot
	work  string        // this binary's directory in the chroot, as the host sees it
	uid   int           // the pool user's uid and gid
	gid   int           //
	lock  *os.File      // DIR.lock, held while this binary uses the pool
	built bool          // up built the chroot (rather than reusing it)
	took  time.Duration // how long up took
	skip  string        // why the pool cannot run here
	err   error         // why up failed
}

var pool condorPool

// condor returns the pool, starting it the first time; it skips t when
// this machine cannot run it.
func condor(t *testing.T) *condorPool {
	t.Helper()
	pool.once.Do(func() { pool.up(t) })
	if pool.skip != "" {
		t.Skip("real HTCondor: skipped: " + pool.skip)
	}
	require.NoError(t, pool.err, "the HTCondor pool did not start")
	return &pool
}

// condorSkipReason says why this machine cannot run the pool, or "".
func condorSkipReason() string {
	if os.Getenv("SPMD_NO_CONDOR") == "1" {
		return "SPMD_NO_CONDOR=1 is set"
	}
	if os.Geteuid() != 0 {
		return "not root (the pool runs in a chroot, with mounts)"
	}
	for _, c := range []string{"chroot", "mountpoint", "setsid", "find", "unshare", "nsenter"} {
		if _, err := lookPathSbin(c); err != nil {
			return c + " not found (scripts/condor-pool.sh needs it)"
		}
	}
	return ""
}

func (p *condorPool) up(t *testing.T) {
	if p.skip = condorSkipReason(); p.skip != "" {
		return
	}
	dir, err := filepath.Abs(condorPoolDir())
	if err != nil {
		p.err = err
		return
	}
	if p.lock, p.err = lockPool(dir + ".lock"); p.err != nil {
		return
	}
	p.dir, p.root = dir, filepath.Join(dir, "root")
	p.built = !fileExists(filepath.Join(p.root, "usr/sbin/condor_master"))
	start := time.Now()
	// A pool left up by a test binary that died is taken down first: each
	// binary starts from an empty queue.
	if out, err := runPoolScript("down", dir); err != nil {
		p.err = fmt.Errorf("condor-pool.sh down %s (before up): %w: %s", dir, err, out)
		return
	}
	out, err := runPoolScript("up", dir)
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee) && ee.ExitCode() == 3:
		// The script's line says why the chroot cannot be built here.
		p.skip = lastLine(out)
		return
	case err != nil:
		p.err = fmt.Errorf("condor-pool.sh up %s: %w: %s", dir, err, out)
		return
	}
	p.took = time.Since(start)
	env, err := os.ReadFile(filepath.Join(dir, "env"))
	if err != nil {
		p.err = err
		return
	}
	for l := range strings.SplitSeq(string(env), "\n") {
		if v, ok := strings.CutPrefix(l, "HOSTS="); ok {
			p.hosts = strings.Fields(strings.Trim(v, `"`))
		}
	}
	if len(p.hosts) != 3 {
		p.err = fmt.Errorf("%s/env names hosts %q, want 3: %s", dir, p.hosts, env)
		return
	}
	t.Logf("condor-pool.sh up took %v (chroot %s)", p.took.Round(time.Millisecond), map[bool]string{true: "built", false: "reused"}[p.built])
	if p.uid, p.gid, p.err = passwdIDs(filepath.Join(p.root, "etc/passwd"), poolUser); p.err != nil {
		return
	}
	p.work, p.err = os.MkdirTemp(filepath.Join(p.root, poolHome), "realsched-")
	if p.err == nil {
		p.err = os.Chown(p.work, p.uid, p.gid)
	}
	if p.err == nil {
		p.err = p.buildPrograms()
	}
}

// down takes the pool down, if up started it, and removes this binary's
// directory in the chroot.
func (p *condorPool) down() error {
	if p.dir == "" {
		return nil
	}
	var err error
	if out, e := runPoolScript("down", p.dir); e != nil {
		err = fmt.Errorf("condor-pool.sh down %s: %w: %s", p.dir, e, out)
	}
	if p.work != "" {
		err = errors.Join(err, os.RemoveAll(p.work))
	}
	if p.lock != nil {
		p.lock.Close() // releases the lock
	}
	return err
}

// condorReport is the line `make test` prints about the real-HTCondor
// tests.
func condorReport(code int) string {
	var s string
	switch {
	case pool.skip != "":
		s = "real HTCondor: skipped: " + pool.skip
	case pool.dir == "" && pool.err == nil:
		s = "real HTCondor: skipped: no real-HTCondor test was selected"
	case pool.err != nil:
		s = "real HTCondor: ran (the pool failed to start)"
	default:
		how := "reused"
		if pool.built {
			how = "built"
		}
		s = fmt.Sprintf("real HTCondor: ran (parallel universe on %d hosts in a Debian 13 chroot, %s in %s; up took %v)",
			len(pool.hosts), how, pool.dir, pool.took.Round(time.Second))
	}
	if code != 0 {
		s += " — some tests FAILED"
	}
	return s
}

// lockPool takes the lock file path, waiting (bounded) while another test
// binary holds it: one pool per machine, one user at a time.
func lockPool(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(poolUpLimit)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("locking %s (another test binary uses the pool?): %w", path, err)
		}
		time.Sleep(time.Second)
	}
}

// runPoolScript runs condor-pool.sh with args, bounded by poolUpLimit.
func runPoolScript(args ...string) ([]byte, error) {
	script, err := filepath.Abs(poolScript)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), poolUpLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, script, args...)
	cmd.Env = cleanEnv()
	return cmd.CombinedOutput()
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// passwdIDs reads user's uid and gid from the passwd file path.
func passwdIDs(path, user string) (uid, gid int, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		f := strings.Split(l, ":")
		if len(f) >= 4 && f[0] == user {
			uid, err1 := strconv.Atoi(f[2])
			gid, err2 := strconv.Atoi(f[3])
			if err := errors.Join(err1, err2); err != nil {
				return 0, 0, fmt.Errorf("%s: user %s: %w", path, user, err)
			}
			return uid, gid, nil
		}
	}
	return 0, 0, fmt.Errorf("%s: no user %s", path, user)
}

// inPool is the chroot path of host path p under the chroot.
func (p *condorPool) inPool(host string) string {
	rel, err := filepath.Rel(p.root, host)
	if err != nil || strings.HasPrefix(rel, "..") {
		panic(fmt.Sprintf("%s is not under the chroot %s", host, p.root))
	}
	return "/" + rel
}

// buildPrograms builds the programs the jobs run, statically (the chroot
// has another C library), into the work directory's bin.
func (p *condorPool) buildPrograms() error {
	bin := filepath.Join(p.work, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin+"/",
		"../../launcher/cmd/spmdrun", "../../launcher/cmd/spmdsubmit", "../../bench/cmd/spmdbench",
		"../../examples/pi", "../../examples/hello", "../../examples/internal/testprogs/crash", "../../examples/internal/testprogs/hang")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w: %s", err, out)
	}
	return nil
}

// bin is the chroot path of a program buildPrograms built.
func (p *condorPool) bin(name string) string {
	return p.inPool(filepath.Join(p.work, "bin", name))
}

// run runs name with args as the pool's user in the chroot, in directory
// dir (a chroot path), with a plain environment, bounded by limit.
func (p *condorPool) run(t *testing.T, limit time.Duration, dir, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "chroot", append([]string{"--userspec=" + poolUser + ":" + poolUser, p.root,
		"/usr/bin/env", "-i", "HOME=" + poolHome, "PATH=/usr/bin:/bin", "LANG=C.UTF-8",
		"/bin/sh", "-c", `cd "$1" && shift && exec "$@"`, "sh", dir, name}, args...)...)
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
		t.Fatalf("%s %s (in the pool, in %s): %v (bound %v)\nstdout: %s\nstderr: %s\n%s", name, strings.Join(args, " "), dir, err, limit, r.stdout, r.stderr, p.logTail())
	}
	return r
}

// logTail is the end of the pool's daemon logs, for a failure message.
func (p *condorPool) logTail() string {
	var logs []string
	for _, name := range []string{"SchedLog", "StartLog", "StarterLog", "ShadowLog"} {
		logs = append(logs, filepath.Join(p.root, "var/log/condor", name))
	}
	return tailsOf(logs)
}

// condorJob is one job directory with spmdsubmit's files in it.
type condorJob struct {
	pool *condorPool
	dir  string // the host's path
	cdir string // the chroot's path
	name string // the job's name: NAME.sub, NAME.sh, NAME.log...
}

// newJob makes a job directory and writes spmdsubmit's HTCondor files for
// the flags sub (up to the format) and the program's words prog there, as
// the pool's user, with spmdsubmit run in the chroot.
func (p *condorPool) newJob(t *testing.T, sub []string, prog ...string) *condorJob {
	t.Helper()
	dir, err := os.MkdirTemp(p.work, "job-")
	require.NoError(t, err)
	require.NoError(t, os.Chown(dir, p.uid, p.gid))
	j := &condorJob{pool: p, dir: dir, cdir: p.inPool(dir)}
	args := append(append(append([]string{}, sub...), "--spmdrun", p.bin("spmdrun"), "-o", j.cdir, "condor", p.bin(prog[0])), prog[1:]...)
	r := p.run(t, time.Minute, j.cdir, p.bin("spmdsubmit"), args...)
	require.Equal(t, 0, r.code, "spmdsubmit %s: %s%s", strings.Join(args, " "), r.stdout, r.stderr)
	subs, err := filepath.Glob(filepath.Join(dir, "*.sub"))
	require.NoError(t, err)
	require.Len(t, subs, 1, "spmdsubmit -o %s wrote %v", dir, subs)
	j.name = strings.TrimSuffix(filepath.Base(subs[0]), ".sub")
	return j
}

// file reads the job directory's file name ("" when it is missing).
func (j *condorJob) file(name string) string {
	b, _ := os.ReadFile(filepath.Join(j.dir, name))
	return string(b)
}

// submitted is what condor_submit prints.
var submitted = regexp.MustCompile(`(\d+) job\(s\) submitted to cluster (\d+)\.`)

// submit runs condor_submit with args (default: the job's NAME.sub) and
// returns the cluster id.
func (j *condorJob) submit(t *testing.T, args ...string) string {
	t.Helper()
	if len(args) == 0 {
		args = []string{j.name + ".sub"}
	}
	r := j.pool.run(t, time.Minute, j.cdir, "condor_submit", args...)
	require.Equal(t, 0, r.code, "condor_submit %s: %s%s", args, r.stdout, r.stderr)
	assert.Empty(t, warnings(r.stderr), "condor_submit %s warned", args)
	m := submitted.FindStringSubmatch(r.stdout)
	require.NotNil(t, m, "condor_submit printed %q", r.stdout)
	return m[2]
}

// terminated is the user log's event for the end of a job.
var terminated = regexp.MustCompile(`(?s)005 \((\d+)\.\d+\.\d+\) .*?Job terminated\.\s+\(1\) Normal termination \(return value (\d+)\)`)

// wait waits (bounded) for the end of cluster id in the job's user log
// (condor_wait) and returns its exit status there, and condor_history's
// ExitCode for it.
func (j *condorJob) wait(t *testing.T, id string) (logCode, historyCode int) {
	t.Helper()
	r := j.pool.run(t, condorJobLimit+10*time.Second, j.cdir, "condor_wait", "-wait", strconv.Itoa(int(condorJobLimit/time.Second)), j.name+".log", id)
	if r.code != 0 {
		q := j.pool.run(t, time.Minute, j.cdir, "condor_q", "-better-analyze", id)
		j.pool.run(t, time.Minute, j.cdir, "condor_rm", id)
		t.Fatalf("job %s did not end within %v: %s%s\nlog:\n%s\ncondor_q:\n%s\noutput:\n%s%s\n%s", id, condorJobLimit, r.stdout, r.stderr,
			j.file(j.name+".log"), q.stdout, j.file(j.name+".out.0"), j.file(j.name+".err.0"), j.pool.logTail())
	}
	log := j.file(j.name + ".log")
	m := terminated.FindStringSubmatch(log)
	require.NotNil(t, m, "no normal termination in the job's log:\n%s", log)
	require.Equal(t, id, strings.TrimLeft(m[1], "0"), "the log's job")
	logCode, _ = strconv.Atoi(m[2])
	// The schedd writes the job into its history once the shadow has
	// gone, which may be a moment after the log's last event.
	var h result
	require.Eventually(t, func() bool {
		h = j.pool.run(t, time.Minute, j.cdir, "condor_history", "-limit", "1", id, "-af", "ExitCode")
		return h.code != 0 || strings.TrimSpace(h.stdout) != ""
	}, 20*time.Second, 250*time.Millisecond, "job %s is not in condor_history", id)
	require.Equal(t, 0, h.code, "condor_history: %s", h.stderr)
	historyCode, err := strconv.Atoi(strings.TrimSpace(h.stdout))
	require.NoError(t, err, "condor_history %s -af ExitCode printed %q", id, h.stdout)
	return logCode, historyCode
}

// warnings are condor_submit's complaints in its standard error: any
// WARNING (such as "the line `x = y' was unused by condor_submit. Is it a
// typo?") or ERROR line.
func warnings(stderr string) []string {
	var w []string
	for l := range strings.SplitSeq(stderr, "\n") {
		u := strings.ToUpper(l)
		if strings.Contains(u, "WARNING") || strings.Contains(u, "ERROR") || strings.Contains(l, "unused") || strings.Contains(l, "typo") {
			w = append(w, l)
		}
	}
	return w
}

// TestCondorSubmitDryRun checks spmdsubmit's HTCondor files with the real
// condor_submit -dry-run, which parses the submit description and writes
// the job ad it would queue: it must take every line (no "unused"/typo
// warning, no error), and the ad must ask for what the flags said.
func TestCondorSubmitDryRun(t *testing.T) {
	p := condor(t)
	for _, tc := range []struct {
		name  string
		sub   []string
		prog  []string
		nodes int
		cpus  int
		want  []string // lines the ad must have
	}{
		{"2 nodes", []string{"-N", "2"}, []string{"pi"}, 2, 1, nil},
		{"3 nodes 2 per node, walltime, name, env, arguments",
			[]string{"-N", "3", "-ppn", "2", "-t", "1:30:00", "-J", "my.job-1", "-x", "OMP_NUM_THREADS=1", "-x", "GREETING=a b"},
			[]string{"pi", "-n", "1000", "it's"}, 3, 2, []string{`PeriodicRemove=(JobStatus == 2) && (time() - EnteredCurrentStatus > 5400)`}},
		{"scale study", []string{"-N", "1", "-ppn", "4", "--spmdbench", p.bin("spmdbench"), "--scale", "--np 1,2,4 --repeat 2"},
			[]string{"pi"}, 1, 4, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := p.newJob(t, tc.sub, tc.prog...)
			r := p.run(t, time.Minute, j.cdir, "condor_submit", "-dry-run", "job.ad", j.name+".sub")
			require.Equal(t, 0, r.code, "condor_submit -dry-run: %s%s\n%s", r.stdout, r.stderr, j.file(j.name+".sub"))
			assert.Empty(t, warnings(r.stderr), "condor_submit -dry-run warned about\n%s", j.file(j.name+".sub"))
			ad := j.file("job.ad")
			for _, want := range append([]string{
				"JobUniverse=11", // parallel
				fmt.Sprintf("MinHosts=%d", tc.nodes), fmt.Sprintf("MaxHosts=%d", tc.nodes),
				fmt.Sprintf("RequestCpus=%d", tc.cpus),
				fmt.Sprintf(`Cmd="%s/%s.sh"`, j.cdir, j.name),
				`ShouldTransferFiles="NO"`,
			}, tc.want...) {
				assert.Contains(t, strings.Split(ad, "\n"), want, "the dry-run's job ad:\n%s", ad)
			}
			sh := p.run(t, time.Minute, j.cdir, "/bin/sh", "-n", j.name+".sh")
			assert.Equal(t, 0, sh.code, "sh -n %s.sh: %s", j.name, sh.stderr)
		})
	}
}

// oneHostEach is the condor_submit option that puts each node of a job of
// up to 3 nodes on a host of its own: only slot 1 of each host will do.
//
// The tests that use it run one at a time and before the others (they are
// not parallel): the dedicated scheduler, given several parallel jobs that
// want the same few slots, may hold claims on some for one job and others
// for another, and leave both waiting.
var oneHostEach = []string{"-append", "requirements = (SlotID == 1)"}

// TestCondorAcrossHosts runs spmdsubmit's files for 3 nodes of 2 ranks,
// each node on a host of its own: node 0's spmdrun meets the other nodes,
// whose spmdrun --join serve as its proxies, and every host runs 2 ranks.
func TestCondorAcrossHosts(t *testing.T) {
	p := condor(t)
	j := p.newJob(t, []string{"-N", "3", "-ppn", "2"}, "hello")
	start := time.Now()
	id := j.submit(t, append(oneHostEach, j.name+".sub")...)
	logCode, histCode := j.wait(t, id)
	t.Logf("job %s: %v from condor_submit to its end", id, time.Since(start).Round(time.Millisecond))
	out := j.file(j.name + ".out.0")
	errs := j.file(j.name+".err.0") + j.file(j.name+".err.1") + j.file(j.name+".err.2")
	assert.Equal(t, 0, logCode, "the job's log\nstandard error:\n%s", errs)
	assert.Equal(t, 0, histCode, "condor_history's ExitCode")
	want := map[string]int{}
	for _, h := range p.hosts {
		want[h] = 2
	}
	assert.Equal(t, want, helloHosts(t, out, 6), "2 ranks on each host")
	assertNoJobProcs(t, p, id)
}

// TestCondorRankKilled: a rank on another host than node 0's killed with
// SIGKILL ends the job with a non-zero status, and no process of the job
// is left on any host.
func TestCondorRankKilled(t *testing.T) {
	p := condor(t)
	j := p.newJob(t, []string{"-N", "3", "-ppn", "1"}, "hang")
	id := j.submit(t, append(oneHostEach, j.name+".sub")...)
	var out string
	ok := assert.Eventually(t, func() bool {
		out = j.file(j.name + ".out.0")
		return strings.Count(out, "ready\n") >= 3
	}, condorJobLimit, 100*time.Millisecond)
	if !ok {
		j.pool.run(t, time.Minute, j.cdir, "condor_rm", id)
		t.Fatalf("want 3 ranks ready in node 0's output; got:\n%s%s", out, j.file(j.name+".err.0"))
	}
	var victim *poolProc
	for _, pr := range poolProcs(t, p) {
		if pr.exe == filepath.Join(p.work, "bin", "hang") && pr.rank == 1 {
			victim = &pr
		}
	}
	require.NotNil(t, victim, "rank 1 of job %s not found among %v", id, poolProcs(t, p))
	// assertNoJobProcs below finds the job's processes as it found this one.
	require.Equal(t, id, victim.cluster, "rank 1's _CONDOR_REMOTE_SPOOL_DIR names its job")
	require.Equal(t, p.hosts[1], victim.host, "rank 1 runs on node 1's host")
	require.NoError(t, syscall.Kill(victim.pid, syscall.SIGKILL))
	logCode, histCode := j.wait(t, id)
	errs := j.file(j.name + ".err.0")
	assert.NotEqual(t, 0, logCode, "the job's log\nnode 0's standard error:\n%s", errs)
	assert.Equal(t, logCode, histCode, "condor_history's ExitCode")
	assert.Contains(t, errs, "rank 1", "node 0's standard error names the killed rank")
	assertNoJobProcs(t, p, id)
}

// TestCondorParallelPi runs spmdsubmit's files, as written, as real
// parallel-universe jobs: node 0's spmdrun meets the other nodes through
// the contact files (no SPMD_RUN_ID: the run id comes from the job ad),
// starts the ranks, and π appears in node 0's output; the job ends with
// status 0 in its log and in condor_history.
func TestCondorParallelPi(t *testing.T) {
	for _, tc := range []struct{ nodes, perNode int }{{2, 1}, {3, 1}, {2, 2}} {
		t.Run(fmt.Sprintf("%d nodes %d per node", tc.nodes, tc.perNode), func(t *testing.T) {
			t.Parallel()
			p := condor(t)
			j := p.newJob(t, []string{"-N", strconv.Itoa(tc.nodes), "-ppn", strconv.Itoa(tc.perNode)}, "pi")
			assert.NotContains(t, j.file(j.name+".sub")+j.file(j.name+".sh"), "SPMD_RUN_ID")
			start := time.Now()
			id := j.submit(t)
			logCode, histCode := j.wait(t, id)
			t.Logf("job %s: %v from condor_submit to its end", id, time.Since(start).Round(time.Millisecond))
			out := j.file(j.name + ".out.0")
			errs := j.file(j.name + ".err.0")
			assert.Equal(t, 0, logCode, "the job's log\nnode 0's output:\n%s%s", out, errs)
			assert.Equal(t, 0, histCode, "condor_history's ExitCode")
			assertPi(t, out, tc.nodes*tc.perNode)
			for n := 1; n < tc.nodes; n++ {
				assert.Empty(t, j.file(fmt.Sprintf("%s.err.%d", j.name, n)), "node %d's standard error", n)
			}
			assertNoJobProcs(t, p, id)
		})
	}
}

// TestCondorExitStatus: a rank that exits with status 3 makes the job end
// with return value 3 in its log and ExitCode 3 in condor_history.
func TestCondorExitStatus(t *testing.T) {
	t.Parallel()
	p := condor(t)
	j := p.newJob(t, []string{"-N", "2", "-ppn", "1"}, "crash", "-victim", "1", "-code", "3")
	id := j.submit(t)
	logCode, histCode := j.wait(t, id)
	errs := j.file(j.name + ".err.0")
	assert.Equal(t, 3, logCode, "the job's log\nnode 0's standard error:\n%s", errs)
	assert.Equal(t, 3, histCode, "condor_history's ExitCode")
	assert.Contains(t, errs, "rank 1", "node 0's standard error names the failed rank")
	assertNoJobProcs(t, p, id)
}

// TestCondorNodeNeverStarts: a parallel job one of whose nodes fails
// before it meets the others ends within the connect timeout, node 0's
// error naming the missing node. The job is spmdsubmit's, as written,
// submitted with two more settings on condor_submit's command line (-append,
// which adds submit commands without touching the file): the connect
// timeout, and a contact directory per node ($(Node) in the environment)
// of which only node 0's exists, as when the directory the nodes should
// share is not mounted on one of them: node 1's spmdrun --join fails at
// once and never publishes its contact.
func TestCondorNodeNeverStarts(t *testing.T) {
	t.Parallel()
	p := condor(t)
	j := p.newJob(t, []string{"-N", "2", "-ppn", "1"}, "pi")
	node0 := filepath.Join(j.dir, "node0")
	require.NoError(t, os.Mkdir(node0, 0o755))
	require.NoError(t, os.Chown(node0, p.uid, p.gid))
	start := time.Now()
	id := j.submit(t, "-append", fmt.Sprintf(`environment = "SPMD_CONNECT_TIMEOUT=5s SPMD_CONTACT_DIR=%s/node$(Node)"`, j.cdir), j.name+".sub")
	logCode, histCode := j.wait(t, id)
	errs := j.file(j.name + ".err.0")
	t.Logf("job %s: %v from condor_submit to its end; node 0 said: %s", id, time.Since(start).Round(time.Millisecond), errs)
	assert.NotEqual(t, 0, logCode, "the job's log\nnode 0's standard error:\n%s", errs)
	assert.Equal(t, logCode, histCode, "condor_history's ExitCode")
	assert.Contains(t, errs, "the nodes did not all meet within 5s")
	assert.Regexp(t, `1 of 2 nodes of run \S+ seen, none from node\(s\) 1\b`, errs)
	assert.Contains(t, j.file(j.name+".err.1"), "spmdrun --join: rendezvous:", "node 1's failure")
	// From node 0's start to its end: the timeout and the time to start
	// and stop.
	ran := executed(t, j.file(j.name+".log"))
	assert.Less(t, ran, 30*time.Second, "node 0 ran for %v: the timeout is 5s", ran)
	assertNoJobProcs(t, p, id)
}

// executed is the time between the first "Job executing" event and the
// "Job terminated" event of the user log text log.
func executed(t *testing.T, log string) time.Duration {
	t.Helper()
	at := func(event string) time.Time {
		m := regexp.MustCompile(`(?m)^` + event + ` \(\d+\.\d+\.\d+\) (\S+ \S+) `).FindStringSubmatch(log)
		require.NotNil(t, m, "no event %s in the log:\n%s", event, log)
		ts, err := time.Parse("2006-01-02 15:04:05", m[1])
		require.NoError(t, err)
		return ts
	}
	return at("005").Sub(at("001"))
}

// poolProc is a process in the chroot.
type poolProc struct {
	pid     int
	exe     string // as the host sees it
	rank    int    // PMI_RANK, or -1
	host    string // a rank's host name (its UTS namespace's)
	cluster string // the cluster id of the job it runs for, or ""
	args    string
}

// spoolCluster finds the cluster id in _CONDOR_REMOTE_SPOOL_DIR, which
// the starter gives each node's program (and spmdrun passes on to the
// ranks): .../cluster<C>.proc<P>.subproc<N>.
var spoolCluster = regexp.MustCompile(`/cluster(\d+)\.proc\d+\.subproc\d+$`)

// poolProcs lists the live processes whose root is the chroot, zombies
// left out.
func poolProcs(t *testing.T, p *condorPool) []poolProc {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	var ps []poolProc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if r, err := os.Readlink(fmt.Sprintf("/proc/%d/root", pid)); err != nil || r != p.root {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || len(cmdline) == 0 {
			continue // gone, or a zombie
		}
		pr := poolProc{pid: pid, rank: -1, args: strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))}
		pr.exe, _ = os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		environ, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		for kv := range strings.SplitSeq(string(environ), "\x00") {
			if v, ok := strings.CutPrefix(kv, "PMI_RANK="); ok {
				pr.rank, _ = strconv.Atoi(v)
			}
			if v, ok := strings.CutPrefix(kv, "_CONDOR_REMOTE_SPOOL_DIR="); ok {
				if m := spoolCluster.FindStringSubmatch(v); m != nil {
					pr.cluster = m[1]
				}
			}
		}
		if pr.rank >= 0 {
			pr.host = utsName(pid)
		}
		ps = append(ps, pr)
	}
	return ps
}

// utsName is the host name process pid sees, or "".
func utsName(pid int) string {
	cmd := exec.Command("nsenter", "--uts", "-t", strconv.Itoa(pid), "hostname")
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// assertNoJobProcs asserts that, within a few seconds of its end, no
// process of cluster id (a node's program, spmdrun, a rank) is left in
// the chroot.
func assertNoJobProcs(t *testing.T, p *condorPool, id string) {
	t.Helper()
	var left []poolProc
	ok := assert.Eventually(t, func() bool {
		left = left[:0]
		for _, pr := range poolProcs(t, p) {
			if pr.cluster == id {
				left = append(left, pr)
			}
		}
		return len(left) == 0
	}, 10*time.Second, 100*time.Millisecond, "processes of job %s outlived it", id)
	if !ok {
		for _, pr := range left {
			t.Errorf("left running: pid %d (%s): %s", pr.pid, pr.exe, pr.args)
		}
	}
}
