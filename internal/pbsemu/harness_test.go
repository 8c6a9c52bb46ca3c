package pbsemu

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The process tests start emulated servers whose moms run on this host
// (several "hosts" sharing this machine's namespaces), and, as root, on
// the hosts of a two-host scripts/netns-cluster.sh, where spmdsubmit's
// scripts run spmdrun across real interfaces.

// jobLimit bounds how long a test waits for a job to end.
const jobLimit = 60 * time.Second

// bins holds the binaries the tests build once: pbsemu, and for the
// namespace tests spmdrun, spmdsubmit and two examples.
var bins struct {
	once sync.Once
	dir  string
	err  error
	spmd sync.Once
	serr error
}

func goBuild(dir string, pkgs ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := append([]string{"build", "-o", dir + "/"}, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build %s: %w: %s", strings.Join(pkgs, " "), err, out)
	}
	return nil
}

// pbsemuBinary builds cmd/pbsemu once per test binary.
func pbsemuBinary(t *testing.T) string {
	t.Helper()
	bins.once.Do(func() {
		bins.dir, bins.err = os.MkdirTemp("", "pbsemu-bin-")
		if bins.err == nil {
			bins.err = os.Chmod(bins.dir, 0o755)
		}
		if bins.err == nil {
			bins.err = goBuild(bins.dir, "./internal/pbsemu/cmd/pbsemu")
		}
	})
	require.NoError(t, bins.err)
	return filepath.Join(bins.dir, "pbsemu")
}

// spmdBinaries builds spmdrun, spmdsubmit, hello and ring next to pbsemu
// and returns their directory.
func spmdBinaries(t *testing.T) string {
	t.Helper()
	pbsemuBinary(t)
	bins.spmd.Do(func() {
		bins.serr = goBuild(bins.dir, "./launcher/cmd/spmdrun", "./launcher/cmd/spmdsubmit", "./examples/hello", "./examples/ring")
	})
	require.NoError(t, bins.serr)
	return bins.dir
}

// emuHost is a host of a test server: its name, and the pid of a process
// in the namespaces its mom must enter (0: this host's own).
type emuHost struct {
	name string
	pid  int
}

// emu is a running emulated server.
type emu struct {
	t      *testing.T
	home   string
	srv    *Server
	submit string // the directory jobs are submitted from
	path   string // PATH for the commands: home/bin first
}

// startEmu makes a server of dialect d over hosts (2 cores each), with
// extra on its jobs' PATH, and starts its moms; everything ends with t.
func startEmu(t *testing.T, d Dialect, hosts []emuHost, extra string, compat bool) *emu {
	t.Helper()
	bin := pbsemuBinary(t)
	root, err := os.MkdirTemp("", "pbsemu-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(root, 0o755))
	home, submit := filepath.Join(root, "home"), filepath.Join(root, "submit")
	require.NoError(t, os.MkdirAll(submit, 0o755))
	cfg := Config{Dialect: d, Server: "emu", NodesCompat: compat, KillDelay: time.Second, Binary: bin}
	for _, h := range hosts {
		cfg.Hosts = append(cfg.Hosts, HostConfig{Name: h.name, NCPUs: 2})
	}
	jobPath := "/usr/local/bin:/usr/bin:/bin"
	if extra != "" {
		jobPath = extra + ":" + jobPath
	}
	require.NoError(t, Init(home, cfg, jobPath))
	srv, err := Open(home)
	require.NoError(t, err)
	e := &emu{t: t, home: home, srv: srv, submit: submit, path: filepath.Join(home, "bin") + ":" + jobPath}
	var moms []*exec.Cmd
	t.Cleanup(func() {
		e.deleteAll()
		for _, m := range moms {
			m.Process.Kill()
			m.Wait()
		}
		if !t.Failed() {
			os.RemoveAll(root)
		} else {
			t.Logf("the server's files are kept in %s", home)
		}
	})
	for _, h := range hosts {
		argv := []string{bin, "mom", "-home", home, "-host", h.name}
		if h.pid != 0 {
			argv = append([]string{"nsenter", "-t", strconv.Itoa(h.pid), "-n", "-u", "-m", "--"}, argv...)
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		logf, err := os.Create(filepath.Join(root, "mom-"+h.name+".out"))
		require.NoError(t, err)
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		require.NoError(t, cmd.Start())
		logf.Close()
		moms = append(moms, cmd)
	}
	for _, h := range hosts {
		deadline := time.Now().Add(10 * time.Second)
		for {
			c, err := net.Dial("unix", srv.momSocket(h.name))
			if err == nil {
				c.Close()
				break
			}
			require.True(t, time.Now().Before(deadline), "the mom of %s did not start: %v", h.name, err)
			time.Sleep(20 * time.Millisecond)
		}
	}
	return e
}

// deleteAll deletes every job that has not ended and waits (bounded) until
// they have, so that no runner or task outlives the test.
func (e *emu) deleteAll() {
	var ids []string
	e.srv.view(func(st *state) {
		for id, j := range st.Jobs {
			if len(j.Subjobs) == 0 && j.State != e.srv.Cfg.Dialect.finishedState() {
				ids = append(ids, id)
			}
		}
	})
	if len(ids) == 0 {
		return
	}
	e.run("qdel", ids...)
	for _, id := range ids {
		e.waitQuiet(id, 15*time.Second)
	}
}

// run runs one of the server's commands in the submit directory and
// returns its standard output, standard error and exit status.
func (e *emu) run(cmd string, args ...string) (string, string, int) {
	return e.runIn(e.submit, nil, cmd, args...)
}

func (e *emu) runIn(dir string, stdin []byte, cmd string, args ...string) (string, string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), jobLimit)
	defer cancel()
	c := exec.CommandContext(ctx, filepath.Join(e.home, "bin", cmd), args...)
	c.Dir = dir
	c.Env = append(os.Environ(), "PATH="+e.path)
	if stdin != nil {
		c.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	code := 0
	if err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	return out.String(), errb.String(), code
}

// script writes a job script into the submit directory.
func (e *emu) script(name, content string) string {
	p := filepath.Join(e.submit, name)
	require.NoError(e.t, os.WriteFile(p, []byte(content), 0o755))
	return p
}

// qsub submits and returns the job id, failing the test if qsub fails.
func (e *emu) qsub(args ...string) string {
	e.t.Helper()
	out, errs, code := e.run("qsub", args...)
	require.Equal(e.t, 0, code, "qsub %v: %s", args, errs)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1] // the last line, as Parsl reads it
}

// wait waits until job id has ended and returns its record.
func (e *emu) wait(id string) *Job {
	e.t.Helper()
	j := e.waitQuiet(id, jobLimit)
	require.NotNil(e.t, j, "job %s did not end within %v; server log:\n%s", id, jobLimit, e.file("server.log"))
	return j
}

func (e *emu) waitQuiet(id string, limit time.Duration) *Job {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		j, err := e.srv.job(id)
		if err == nil && j.State == e.srv.Cfg.Dialect.finishedState() && j.ExitStatus != nil {
			return j
		}
		if err == nil && j.State == e.srv.Cfg.Dialect.finishedState() && j.Deleted && j.STime.IsZero() {
			return j
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// waitState waits until job id is in state s.
func (e *emu) waitState(id, s string) {
	e.t.Helper()
	deadline := time.Now().Add(jobLimit)
	for time.Now().Before(deadline) {
		if j, err := e.srv.job(id); err == nil && j.State == s {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("job %s never reached state %s", id, s)
}

// file reads a file of the server's directory ("" when missing).
func (e *emu) file(rel string) string {
	b, _ := os.ReadFile(filepath.Join(e.home, rel))
	return string(b)
}

// output reads a file of the submit directory, failing when missing.
func (e *emu) output(name string) string {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.submit, name))
	require.NoError(e.t, err, "job output %s", name)
	return string(b)
}

// processes lists the processes of this machine (every namespace: the
// namespace hosts share its process ids) whose environment holds job id's
// PBS_JOBCOOKIE.
func (e *emu) processes(id string) []string {
	e.t.Helper()
	j, err := e.srv.job(id)
	require.NoError(e.t, err)
	require.NotEmpty(e.t, j.Cookie, "job %s has not started", id)
	marker := []byte("PBS_JOBCOOKIE=" + j.Cookie + "\x00")
	ents, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !(bytes.HasPrefix(env, marker) || bytes.Contains(env, append([]byte{0}, marker...))) {
			continue
		}
		stat, _ := os.ReadFile("/proc/" + e.Name() + "/stat")
		if i := bytes.LastIndexByte(stat, ')'); i >= 0 && len(stat) > i+2 && stat[i+2] == 'Z' {
			continue
		}
		comm, _ := os.ReadFile("/proc/" + e.Name() + "/comm")
		out = append(out, e.Name()+" "+strings.TrimSpace(string(comm)))
	}
	return out
}

func localHosts(names ...string) []emuHost {
	hs := make([]emuHost, len(names))
	for i, n := range names {
		hs[i] = emuHost{name: n}
	}
	return hs
}

// skipUnlessLinux skips t where the emulation cannot run, and records
// that a process test ran otherwise.
func skipUnlessLinux(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the emulated PBS needs Linux (/proc, nsenter)")
	}
	if why := skipAll(); why != "" {
		t.Skip(why)
	}
	noteLocal()
}
