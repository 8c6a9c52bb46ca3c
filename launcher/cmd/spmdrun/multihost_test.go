package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
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

// The multi-host tests run spmdrun across three "hosts" on this machine:
// network namespaces joined by veth links to a bridge, each with its own host
// name, its own /dev/shm and an sshd (scripts/netns-cluster.sh). TCP between
// ranks crosses real interfaces, shared memory stays within a host, and
// spmdrun reaches the hosts through ssh (--launcher DIR/ssh). They need root,
// a working `ip netns` and openssh-server (scripts/setup-test.sh installs
// iproute2 and openssh-server as root), and skip, saying why, without them
// or with SPMD_NO_NETNS=1. The hosts share this machine's process ids, so the
// tests find and kill remote processes from here through /proc.

// netnsScript is scripts/netns-cluster.sh, from this package's directory.
const netnsScript = "../../../scripts/netns-cluster.sh"

// netnsLimit bounds netns-cluster.sh up and down, and each ssh command.
const netnsLimit = 30 * time.Second

var netnsProbe struct {
	once   sync.Once
	reason string // why the multi-host tests cannot run; "" when they can
}

// netnsSkipReason says why this machine cannot host the test cluster, or "".
// It is worked out once per test binary.
func netnsSkipReason() string {
	netnsProbe.once.Do(func() { netnsProbe.reason = probeNetns() })
	return netnsProbe.reason
}

func probeNetns() string {
	if os.Getenv("SPMD_NO_NETNS") == "1" {
		return "SPMD_NO_NETNS=1 is set"
	}
	if os.Geteuid() != 0 {
		return "not root (network namespaces and sshd need root)"
	}
	ip, err := lookPathSbin("ip")
	if err != nil {
		return "ip not found: install Debian's iproute2 (scripts/setup-test.sh does, as root)"
	}
	if _, err := os.Stat("/usr/sbin/sshd"); err != nil {
		return "sshd missing: install Debian's openssh-server (scripts/setup-test.sh does, as root)"
	}
	for _, c := range []string{"ssh", "ssh-keygen", "unshare", "flock", "hostname"} {
		if _, err := exec.LookPath(c); err != nil {
			return c + " not found"
		}
	}
	// Root is not enough inside some containers: try for real.
	ns := fmt.Sprintf("spmd-probe-%d", os.Getpid())
	if out, err := exec.Command(ip, "netns", "add", ns).CombinedOutput(); err != nil {
		return fmt.Sprintf("`ip netns add` failed: %v: %s", err, bytes.TrimSpace(out))
	}
	if out, err := exec.Command(ip, "netns", "del", ns).CombinedOutput(); err != nil {
		return fmt.Sprintf("`ip netns del` failed: %v: %s", err, bytes.TrimSpace(out))
	}
	return ""
}

// lookPathSbin is exec.LookPath that also looks in /usr/sbin and /sbin,
// which not every PATH has.
func lookPathSbin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/sbin"} {
		if p := filepath.Join(d, name); isExecutable(p) {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// netnsCluster starts a three-host cluster for t (netns-cluster.sh up) and
// returns its directory; the cluster is taken down when t ends. It skips t
// when the machine cannot host one.
func netnsCluster(t *testing.T) (dir string) {
	t.Helper()
	if reason := netnsSkipReason(); reason != "" {
		t.Skip("multi-host test skipped: " + reason)
	}
	script, err := filepath.Abs(netnsScript)
	require.NoError(t, err)
	dir = t.TempDir()
	// Registered before up, and so run before TempDir's removal: down
	// works from DIR's name alone, and also cleans up a half-made cluster.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), netnsLimit)
		defer cancel()
		if out, err := exec.CommandContext(ctx, script, "down", dir).CombinedOutput(); err != nil {
			t.Errorf("netns-cluster.sh down: %v: %s", err, out)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), netnsLimit)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, script, "up", dir).CombinedOutput()
	require.NoError(t, err, "netns-cluster.sh up: %s", out)
	t.Logf("netns-cluster.sh up took %v", time.Since(start).Round(time.Millisecond))
	return dir
}

// cluster is what netns-cluster.sh up wrote into its directory.
type cluster struct {
	dir      string
	ssh      string   // DIR/ssh, for --launcher
	hostfile string   // DIR/hostfile
	root     string   // the root namespace's address on the bridge
	hosts    []string // the hosts' addresses
	names    []string // the hosts' network namespaces, also their host names
}

// readCluster reads dir/cluster.env (KEY=VALUE or KEY="A B C" lines).
func readCluster(t *testing.T, dir string) cluster {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "cluster.env"))
	require.NoError(t, err)
	env := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, "#") {
			env[k] = strings.Trim(v, `"`)
		}
	}
	c := cluster{
		dir: dir, ssh: filepath.Join(dir, "ssh"), hostfile: filepath.Join(dir, "hostfile"),
		root: env["ROOT_ADDR"], hosts: strings.Fields(env["HOSTS"]), names: strings.Fields(env["NETNS"]),
	}
	require.Len(t, c.hosts, 3, "cluster.env: %s", b)
	require.Len(t, c.names, 3, "cluster.env: %s", b)
	require.NotEmpty(t, c.root, "cluster.env: %s", b)
	return c
}

// sshTo runs command (one string, which the host's shell parses) on host
// through the cluster's ssh, with a bound, and returns its standard output;
// a failure fails t.
func (c cluster) sshTo(t *testing.T, host, command string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), netnsLimit)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, c.ssh, host, command)
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Run(), "ssh %s %s: %s", host, command, errb.String())
	return out.String()
}

// netnsIno returns the inode of network namespace ns, which is how
// /proc/PID/ns/net names it ("net:[INODE]").
func netnsIno(t *testing.T, ns string) uint64 {
	t.Helper()
	fi, err := os.Stat("/run/netns/" + ns)
	require.NoError(t, err)
	return fi.Sys().(*syscall.Stat_t).Ino
}

// TestNetnsCluster proves the test cluster itself: each host answers ssh on
// its own address with its own host name, network stack and /dev/shm, sees
// this machine's files, and TCP flows between the hosts and from each host
// to the root namespace over the bridge, with the sender's own address.
func TestNetnsCluster(t *testing.T) {
	c := readCluster(t, netnsCluster(t))

	rootNet, err := os.Readlink("/proc/self/ns/net")
	require.NoError(t, err)
	nets := map[string]bool{rootNet: true}
	for i, h := range c.hosts {
		out := c.sshTo(t, h, "hostname; readlink /proc/self/ns/net; ip -4 -o addr show dev eth0; test -x "+spmdrun+" && echo same-files")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		require.Len(t, lines, 4, out)
		assert.Equal(t, c.names[i], lines[0], "host name of host %d", i+1)
		assert.Equal(t, fmt.Sprintf("net:[%d]", netnsIno(t, c.names[i])), lines[1], "host %d's network namespace", i+1)
		assert.False(t, nets[lines[1]], "host %d shares a network namespace: %s", i+1, lines[1])
		nets[lines[1]] = true
		assert.Contains(t, lines[2], " inet "+h+"/24 ", "host %d's eth0", i+1)
		assert.Equal(t, "same-files", lines[3], "host %d does not see %s", i+1, spmdrun)
	}

	t.Run("private /dev/shm", func(t *testing.T) {
		name := fmt.Sprintf("spmd-netns-probe-%d", os.Getpid())
		c.sshTo(t, c.hosts[0], "touch /dev/shm/"+name)
		assert.Equal(t, "yes\n", c.sshTo(t, c.hosts[0], "test -e /dev/shm/"+name+" && echo yes || echo no"))
		assert.Equal(t, "no\n", c.sshTo(t, c.hosts[1], "test -e /dev/shm/"+name+" && echo yes || echo no"))
		assert.NoFileExists(t, "/dev/shm/"+name, "host 1's /dev/shm is the root namespace's")
	})

	// Each host dials a listener here, in the root namespace, as a proxy
	// dials back to the root spmdrun; the connection must come from the
	// host's own address.
	t.Run("hosts to root", func(t *testing.T) {
		ln, err := net.Listen("tcp", net.JoinHostPort(c.root, "0"))
		require.NoError(t, err)
		defer ln.Close()
		port := ln.Addr().(*net.TCPAddr).Port
		for i, h := range c.hosts {
			got := make(chan string, 1)
			go func() {
				conn, err := ln.Accept()
				if err != nil {
					got <- err.Error()
					return
				}
				defer conn.Close()
				_ = conn.SetReadDeadline(time.Now().Add(netnsLimit))
				line, _ := bufio.NewReader(conn).ReadString('\n')
				got <- conn.RemoteAddr().(*net.TCPAddr).IP.String() + " " + line
			}()
			c.sshTo(t, h, fmt.Sprintf("bash -c 'echo host%d >/dev/tcp/%s/%d'", i+1, c.root, port))
			select {
			case s := <-got:
				assert.Equal(t, fmt.Sprintf("%s host%d\n", h, i+1), s)
			case <-time.After(netnsLimit):
				t.Fatalf("no connection from host %d", i+1)
			}
		}
	})

	// Host 2 reaches host 3's sshd through its eth0 (not locally), and host
	// 3's sshd sees host 2's address: it logs the bad banner sent to it.
	t.Run("host to host", func(t *testing.T) {
		h2, h3 := c.hosts[1], c.hosts[2]
		route := c.sshTo(t, h2, "ip route get "+h3)
		assert.Regexp(t, `^`+regexp.QuoteMeta(h3)+` dev eth0 src `+regexp.QuoteMeta(h2)+` `, route)
		out := c.sshTo(t, h2, fmt.Sprintf("bash -c 'exec 3<>/dev/tcp/%s/22 && head -c 7 <&3 && echo spmd-netns-probe >&3'", h3))
		assert.Equal(t, "SSH-2.0", out)
		assert.Eventually(t, func() bool {
			b, _ := os.ReadFile(filepath.Join(c.dir, "sshd-h3.log"))
			return bytes.Contains(b, []byte("Connection from "+h2+" port "))
		}, 5*time.Second, 50*time.Millisecond, "host 3's sshd did not log a connection from host 2")
	})
}

// The real multi-host tests of spmdrun. They wait for spmdrun --proxy.

var ringBuild struct {
	once sync.Once
	path string
	err  error
}

// buildRing builds examples/ring next to spmdrun, in the directory TestMain
// removes, so its path is unique to this test binary and pgrep-able.
func buildRing(t *testing.T) string {
	t.Helper()
	ringBuild.once.Do(func() {
		ringBuild.path = filepath.Join(filepath.Dir(spmdrun), "ring")
		out, err := exec.Command("go", "build", "-o", ringBuild.path, "../../../examples/ring").CombinedOutput()
		if err != nil {
			ringBuild.err = fmt.Errorf("go build examples/ring: %w\n%s", err, out)
		}
	})
	require.NoError(t, ringBuild.err)
	return ringBuild.path
}

// multiHostArgs are spmdrun's flags for a job on cluster c.
func multiHostArgs(c cluster, args ...string) []string {
	return append([]string{"--hostfile", c.hostfile, "--launcher", c.ssh}, args...)
}

// TestMultiHostRun runs jobs of six ranks, two per host, through ssh.
func TestMultiHostRun(t *testing.T) {
	c := readCluster(t, netnsCluster(t))

	// Every rank runs where the hostfile says: slots fill in turn.
	t.Run("placement", func(t *testing.T) {
		hostname, err := exec.LookPath("hostname")
		require.NoError(t, err)
		r := runSpmdrun(t, nil, nil, multiHostArgs(c, "-n", "6", "--tag-output", hostname)...)
		require.Equal(t, 0, r.code, r.stderr)
		var want []string
		for rank := range 6 {
			want = append(want, fmt.Sprintf("[%d] %s", rank, c.names[rank/2]))
		}
		assert.ElementsMatch(t, want, strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n"))
	})

	// PMI tells each rank its place on its host.
	t.Run("where", func(t *testing.T) {
		r := runSpmdrun(t, nil, nil, multiHostArgs(c, "-n", "6", pmirank, "where")...)
		require.Equal(t, 0, r.code, r.stderr)
		for rank := range 6 {
			assert.Contains(t, r.stdout, fmt.Sprintf("rank %d local %d/2 mapping (vector,(0,3,2))\n", rank, rank%2))
		}
	})

	// Lines written in pieces arrive whole and tagged through the proxies.
	t.Run("whole lines", func(t *testing.T) {
		r := runSpmdrun(t, nil, nil, multiHostArgs(c, "-n", "6", "--tag-output", pmirank, "partial", "3")...)
		require.Equal(t, 0, r.code, r.stderr)
		for rank := range 6 {
			for i := range 3 {
				assert.Contains(t, r.stdout, fmt.Sprintf("[%d] line %d from rank %d end\n", rank, i, rank))
			}
			assert.Contains(t, r.stdout, fmt.Sprintf("[%d] last words of rank %d\n", rank, rank))
		}
		assertTagged(t, r.stdout)
	})

	// The ring: shared memory within each host, TCP across the bridge.
	t.Run("ring", func(t *testing.T) {
		ring := buildRing(t)
		r := runSpmdrun(t, nil, nil, multiHostArgs(c, "-n", "6", "--tag-output", ring, "-laps", "200", "-bytes", "100000")...)
		require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
		assert.Regexp(t, `^\[0\] token counter 1200 after 200 laps of 6 ranks \(want 1200\), 100000 bytes payload intact, `, r.stdout)
		assertTagged(t, r.stdout)
		assertTagged(t, r.stderr)
	})

	// Profile and trace: the ranks on other hosts reach spmdrun's
	// collector through SPMD_COLLECTOR, which their proxies pass on.
	t.Run("profile and trace", func(t *testing.T) {
		ring := buildRing(t)
		dir := t.TempDir()
		r := runSpmdrun(t, nil, nil, multiHostArgs(c, "-n", "6", "--profile", dir, "--trace", dir, ring, "-laps", "20")...)
		require.Equal(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
		p := readProfile(t, dir)
		assert.Len(t, p.Ranks, 6)
		assert.Empty(t, p.MissingRanks)
		assert.Contains(t, r.stderr, "spmd profile: 6 ranks on 3 hosts")
		tc := checkTraceFile(t, dir)
		assert.Equal(t, []int{0, 1, 2, 3, 4, 5}, tc.Pids)
		assert.Equal(t, 6*20, tc.Flows, "an arrow per hop of the token")
		assert.Empty(t, tc.Problems)
	})
}

// assertTagged asserts that s is whole lines, each tagged "[rank] " or
// spmdrun's own.
func assertTagged(t *testing.T, s string) {
	t.Helper()
	if s == "" {
		return
	}
	assert.True(t, strings.HasSuffix(s, "\n"), "last line not whole: %q", s)
	tagged := regexp.MustCompile(`^(\[[0-5]\] |spmdrun: )`)
	for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		assert.Regexp(t, tagged, l)
	}
}

// TestMultiHostKilledRank kills one rank on host 2: the job ends at once,
// saying which rank, and leaves nothing behind on any host.
func TestMultiHostKilledRank(t *testing.T) {
	c := readCluster(t, netnsCluster(t))
	ring := buildRing(t)
	job := startMultiHost(t, c, ring, "-laps", "1000000000")
	job.waitRanks(t, ring)
	shmBefore := rootShm(t)

	// Let the ring run past its wire-up before one rank dies.
	time.Sleep(time.Second)
	victim := -1
	for _, p := range procsOf(t, ring) {
		if p.netns == netnsIno(t, c.names[1]) && p.rank == 2 {
			victim = p.pid
		}
	}
	require.NotEqual(t, -1, victim, "rank 2 not found on host 2")
	require.NoError(t, syscall.Kill(victim, syscall.SIGKILL))

	r := job.wait(t, 5*time.Second)
	assert.Equal(t, 137, r.code, r.stderr)
	lines := notices(r.stderr)
	require.Len(t, lines, 1, r.stderr)
	assert.Regexp(t, `\brank 2\b.*SIGKILL`, lines[0])
	assertNothingLeft(t, c, ring, shmBefore)
}

// TestMultiHostLostProxy kills the proxy on host 3: the job ends at once,
// naming the host, and leaves nothing behind on any host.
func TestMultiHostLostProxy(t *testing.T) {
	c := readCluster(t, netnsCluster(t))
	ring := buildRing(t)
	job := startMultiHost(t, c, ring, "-laps", "1000000000")
	job.waitRanks(t, ring)
	shmBefore := rootShm(t)
	time.Sleep(time.Second)

	var proxies []int
	for _, p := range procsOf(t, spmdrun) {
		if p.netns == netnsIno(t, c.names[2]) && p.args[0] == spmdrun && slices.Contains(p.args, "--proxy") {
			proxies = append(proxies, p.pid)
		}
	}
	require.NotEmpty(t, proxies, "no spmdrun --proxy found on host 3")
	for _, pid := range proxies {
		require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	}

	r := job.wait(t, 5*time.Second)
	assert.NotEqual(t, 0, r.code, r.stderr)
	lines := notices(r.stderr)
	require.NotEmpty(t, lines, r.stderr)
	named := false
	for _, l := range lines {
		named = named || strings.Contains(l, c.hosts[2])
	}
	assert.True(t, named, "no line of spmdrun names host %s:\n%s", c.hosts[2], r.stderr)
	assertNothingLeft(t, c, ring, shmBefore)
}

// multiHostJob is a spmdrun running in the background.
type multiHostJob struct {
	cmd    *exec.Cmd
	done   chan struct{}
	err    error
	stdout bytes.Buffer
	stderr bytes.Buffer
	n      int
}

// startMultiHost starts spmdrun with six ranks of program on cluster c, in
// a process group of its own that t's cleanup kills.
func startMultiHost(t *testing.T, c cluster, program string, args ...string) *multiHostJob {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testLimit)
	j := &multiHostJob{done: make(chan struct{}), n: 6}
	j.cmd = exec.CommandContext(ctx, spmdrun, multiHostArgs(c, append([]string{"-n", strconv.Itoa(j.n), program}, args...)...)...)
	j.cmd.Env = append(os.Environ(), "SPMD_SCHEDULER=none")
	j.cmd.Stdout, j.cmd.Stderr = &j.stdout, &j.stderr
	j.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	j.cmd.Cancel = func() error { return syscall.Kill(-j.cmd.Process.Pid, syscall.SIGKILL) }
	j.cmd.WaitDelay = 5 * time.Second
	require.NoError(t, j.cmd.Start())
	go func() {
		j.err = j.cmd.Wait()
		close(j.done)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-j.cmd.Process.Pid, syscall.SIGKILL)
		<-j.done
		cancel()
	})
	return j
}

// waitRanks waits (bounded) until all the job's ranks of program run.
func (j *multiHostJob) waitRanks(t *testing.T, program string) {
	t.Helper()
	deadline := time.Now().Add(testLimit)
	for {
		ranks := 0
		for _, p := range procsOf(t, program) {
			if p.rank >= 0 {
				ranks++
			}
		}
		if ranks == j.n {
			return
		}
		select {
		case <-j.done:
			t.Fatalf("spmdrun ended before its ranks started (%v):\nstdout:\n%s\nstderr:\n%s", j.err, j.stdout.String(), j.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d ranks started", ranks, j.n)
		}
	}
}

// wait waits up to limit for spmdrun to exit and returns how it ended.
func (j *multiHostJob) wait(t *testing.T, limit time.Duration) spmdrunResult {
	t.Helper()
	start := time.Now()
	select {
	case <-j.done:
	case <-time.After(limit):
		t.Fatalf("spmdrun did not end within %v:\nstderr:\n%s", limit, j.stderr.String())
	}
	r := spmdrunResult{stdout: j.stdout.String(), stderr: j.stderr.String(), elapsed: time.Since(start)}
	var ee *exec.ExitError
	if errors.As(j.err, &ee) {
		r.code = ee.ExitCode()
	} else {
		require.NoError(t, j.err)
	}
	return r
}

// proc is a live process found through /proc.
type proc struct {
	pid   int
	args  []string
	netns uint64 // inode of its network namespace
	rank  int    // PMI_RANK from its environment, -1 if none
}

// procsOf returns the live processes whose command line mentions path (as
// the program or an argument), in any namespace: the hosts share this
// machine's process ids. Zombies have no command line and are left out.
func procsOf(t *testing.T, path string) []proc {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	var ps []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || !bytes.Contains(cmdline, []byte(path)) {
			continue
		}
		p := proc{pid: pid, args: strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00"), rank: -1}
		if link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid)); err == nil {
			_, _ = fmt.Sscanf(link, "net:[%d]", &p.netns)
		}
		if p.args[0] == path {
			environ, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
			for _, kv := range strings.Split(string(environ), "\x00") {
				if v, ok := strings.CutPrefix(kv, "PMI_RANK="); ok {
					p.rank, _ = strconv.Atoi(v)
				}
			}
		}
		ps = append(ps, p)
	}
	return ps
}

// rootShm lists the spmd segments in the root namespace's /dev/shm.
func rootShm(t *testing.T) map[string]bool {
	t.Helper()
	names, err := filepath.Glob("/dev/shm/spmd-*")
	require.NoError(t, err)
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// assertNothingLeft asserts that no process of the job (a rank of program,
// a proxy, an ssh) runs in any namespace, and that no spmd segment is left
// in any host's /dev/shm (each host's starts empty) or new in the root's.
func assertNothingLeft(t *testing.T, c cluster, program string, shmBefore map[string]bool) {
	t.Helper()
	// spmdrun has exited; what it ended may take a moment to be gone.
	assert.Eventually(t, func() bool {
		return len(procsOf(t, program)) == 0 && len(procsOf(t, spmdrun)) == 0
	}, 2*time.Second, 20*time.Millisecond, "processes of the job outlived it")
	for _, p := range append(procsOf(t, program), procsOf(t, spmdrun)...) {
		t.Errorf("left running: pid %d: %s", p.pid, strings.Join(p.args, " "))
	}
	for i, h := range c.hosts {
		assert.Empty(t, c.sshTo(t, h, "ls /dev/shm | grep '^spmd-' || true"), "segments left on host %d", i+1)
	}
	for n := range rootShm(t) {
		assert.True(t, shmBefore[n], "segment left in the root namespace: %s", n)
	}
}
