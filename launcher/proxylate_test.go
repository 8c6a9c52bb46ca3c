package launcher

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/launcher/sched"
)

// proxyBuild is spmdrun, built once for the tests that start real proxies.
var proxyBuild struct {
	once sync.Once
	dir  string
	err  error
}

// proxyProgram returns the path of spmdrun built for these tests.
func proxyProgram(t *testing.T) string {
	t.Helper()
	proxyBuild.once.Do(func() {
		if proxyBuild.dir, proxyBuild.err = os.MkdirTemp("", "launcher-spmdrun-"); proxyBuild.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "go", "build", "-o", proxyBuild.dir+"/", "./cmd/spmdrun").CombinedOutput()
		if err != nil {
			proxyBuild.err = fmt.Errorf("go build: %w: %s", err, out)
		}
	})
	require.NoError(t, proxyBuild.err)
	return filepath.Join(proxyBuild.dir, "spmdrun")
}

// TestProxyConnectingAfterTheJob: a launcher that starts a proxy on every
// host, as srun does, may start the one on a host without ranks only
// after a short job has ended. That proxy is told the job is over and
// exits, so the launcher ends by itself: refused instead, the proxy
// retried until its connect timeout, and under Slurm (where killing srun
// does not end its step's tasks) the step held the allocation's CPUs as
// long, making the batch job's next srun wait.
func TestProxyConnectingAfterTheJob(t *testing.T) {
	dir := t.TempDir()
	spmdrun := proxyProgram(t)

	m, err := sched.Map([]sched.Host{{Name: "localhost", Slots: 1}, {Name: "remote.invalid", Slots: 1}}, 2, sched.BySlot, 0)
	require.NoError(t, err)
	j, _, _ := newJob(2, "ok")
	j.Mapping = m
	j.ConnectTimeout = 30 * time.Second
	marker := filepath.Join(dir, "launcher-done")
	// The proxy of remote.invalid at once; the idle one (this host's name,
	// which has no proxy's work) a second later, after the job's end.
	j.Launcher = &RemoteLauncher{Cookie: "env", ProxyPath: spmdrun, Command: []string{"sh", "-c",
		`"$@" --name remote.invalid & sleep 1; "$@"; idle=$?; wait; echo "$idle" > ` + marker, "sh"}}
	r := run(t, j)
	require.Equal(t, 0, r.code, r.stderr)
	b, err := os.ReadFile(marker)
	require.NoError(t, err, "the launcher did not end by itself (killed, or its idle proxy still retrying)\n%s", r.stderr)
	assert.Equal(t, "0\n", string(b), "the idle proxy's exit code")
	assert.Less(t, r.elapsed, drainWait+time.Second)
}

// TestLauncherStillRunningGetsSIGTERM: a launcher still running when the
// job's end has drained (its idle proxy not started yet) gets SIGTERM
// before SIGKILL: srun ends its step on SIGTERM, but killed outright it
// leaves the step's tasks running.
func TestLauncherStillRunningGetsSIGTERM(t *testing.T) {
	dir := t.TempDir()
	spmdrun := proxyProgram(t)

	m, err := sched.Map([]sched.Host{{Name: "localhost", Slots: 1}, {Name: "remote.invalid", Slots: 1}}, 2, sched.BySlot, 0)
	require.NoError(t, err)
	j, _, _ := newJob(2, "ok")
	j.Mapping = m
	marker := filepath.Join(dir, "launcher-signal")
	j.Launcher = &RemoteLauncher{Cookie: "env", ProxyPath: spmdrun, Command: []string{"sh", "-c",
		`trap 'echo TERM > ` + marker + `; exit 143' TERM; "$@" --name remote.invalid & sleep 60 & wait`, "sh"}}
	r := run(t, j)
	require.Equal(t, 0, r.code, r.stderr)
	b, err := os.ReadFile(marker)
	require.NoError(t, err, "the launcher got no SIGTERM\n%s", r.stderr)
	assert.Equal(t, "TERM\n", string(b))
	assert.Less(t, r.elapsed, drainWait+killWait)
}
