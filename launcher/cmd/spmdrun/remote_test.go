package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run jobs on "hosts" whose names are not this machine's, so
// that spmdrun starts a proxy for each, through a stand-in for ssh that
// runs the command line here. Everything but the network between hosts is
// real: the proxies, their connection back, the relayed PMI, the output,
// signals and failures. The netns tests (multihost_test.go) add real
// interfaces and sshd.

// fakeCluster writes a hostfile of two remote hosts with slots each and
// the stand-in launcher, and returns the spmdrun arguments that use them.
func fakeCluster(t *testing.T, slots int, hosts ...string) []string {
	t.Helper()
	dir := t.TempDir()
	launcher := filepath.Join(dir, "fakessh")
	// Like sshd: drop the host, give the line to a shell.
	require.NoError(t, os.WriteFile(launcher, []byte("#!/bin/sh\nshift\nexec sh -c \"$*\"\n"), 0o755))
	var hf strings.Builder
	for _, h := range hosts {
		fmt.Fprintf(&hf, "%s slots=%d\n", h, slots)
	}
	hostfile := filepath.Join(dir, "hosts")
	require.NoError(t, os.WriteFile(hostfile, []byte(hf.String()), 0o644))
	return []string{"--hostfile", hostfile, "--launcher", launcher, "--grace", "1s"}
}

func TestRemoteRanksShareTheKeyValueSpace(t *testing.T) {
	args := append(fakeCluster(t, 2, "nodeA", "nodeB"), "-n", "5", "--tag-output", pmirank, "ok")
	r := runSpmdrun(t, nil, nil, args...)
	require.Equal(t, 0, r.code, r.stderr)
	for rank := range 5 {
		assert.Contains(t, r.stdout, fmt.Sprintf("[%d] rank %d of 5 saw 5 cards\n", rank, rank))
	}
}

func TestRemoteRanksGetTheirPlacement(t *testing.T) {
	args := append(fakeCluster(t, 2, "nodeA", "nodeB"), "-n", "4", pmirank, "where")
	r := runSpmdrun(t, nil, nil, args...)
	require.Equal(t, 0, r.code, r.stderr)
	for _, want := range []string{"rank 0 local 0/2", "rank 1 local 1/2", "rank 2 local 0/2", "rank 3 local 1/2"} {
		assert.Contains(t, r.stdout, want+" mapping (vector,(0,2,2))")
	}
}

// TestRemoteRanksAreBound: a proxy binds its host's ranks as spmdrun binds
// its own: --bind-to core puts each host's ranks on its CPUs in blocks of
// consecutive ranks, and auto does when a host's ranks are a multiple of
// its CPUs.
func TestRemoteRanksAreBound(t *testing.T) {
	cpus := allowedCPUs(t)
	script := cpuReport
	perHost := 2 * len(cpus)
	for _, policy := range []string{"core", "auto"} {
		args := append(fakeCluster(t, perHost, "nodeA", "nodeB"), "--bind-to", policy, "--tag-output",
			"-n", strconv.Itoa(2*perHost), "sh", "-c", script)
		r := runSpmdrun(t, nil, nil, args...)
		require.Equal(t, 0, r.code, r.stderr)
		for rank := range 2 * perHost {
			local := rank % perHost
			assert.Contains(t, r.stdout, fmt.Sprintf("[%d] Cpus_allowed_list:%d\n", rank, cpus[local/2]), policy)
			assert.Contains(t, r.stdout, fmt.Sprintf("[%d] cpus=%d\n", rank, len(cpus)), policy)
		}
	}
}

func TestRemoteRankFailureNamesRankAndHost(t *testing.T) {
	args := append(fakeCluster(t, 2, "nodeA", "nodeB"), "-n", "4", pmirank, "exit", "3", "7")
	r := runSpmdrun(t, nil, nil, args...)
	assert.Equal(t, 7, r.code, r.stderr)
	require.Len(t, notices(r.stderr), 1, r.stderr)
	assert.Regexp(t, `^spmdrun: rank 3 \(pid \d+ on nodeB\) exited with code 7; ending the job$`, notices(r.stderr)[0])
	assert.Less(t, r.elapsed, 5*time.Second)
}

func TestRemoteKilledRank(t *testing.T) {
	args := append(fakeCluster(t, 2, "nodeA", "nodeB"), "-n", "4", pmirank, "kill", "2")
	r := runSpmdrun(t, nil, nil, args...)
	assert.Equal(t, 137, r.code, r.stderr)
	assert.Contains(t, r.stderr, "rank 2 (pid ")
	assert.Contains(t, r.stderr, "on nodeB) killed by signal SIGKILL")
}

func TestRemoteAbort(t *testing.T) {
	args := append(fakeCluster(t, 2, "nodeA", "nodeB"), "-n", "4", pmirank, "abort", "3", "5", "bad-input")
	r := runSpmdrun(t, nil, nil, args...)
	assert.Equal(t, 5, r.code, r.stderr)
	assert.Contains(t, r.stderr, "spmdrun: rank 3 (on nodeB) called abort with code 5: bad-input")
}

func TestRemoteRankZeroReadsStdin(t *testing.T) {
	args := append(fakeCluster(t, 2, "nodeA"), "-n", "2", pmirank, "stdin")
	r := runSpmdrun(t, strings.NewReader("x\ny\n"), nil, args...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "got: x\ngot: y\n", r.stdout)
}

func TestRemoteTimeoutReportsRemoteRanks(t *testing.T) {
	args := append(fakeCluster(t, 2, "nodeA", "nodeB"), "-n", "4", "--timeout", "2s", pmirank, "spmd",
		"recv,1,7,0,8,1900", "recv,2,9,0,8,1900", "none", "recv,0,1,0,8,1900")
	r := runSpmdrun(t, nil, nil, args...)
	assert.Equal(t, 124, r.code, r.stderr)
	assert.Regexp(t, `(?m)^  0 +recv +1 +7 `, r.stderr)
	assert.Regexp(t, `(?m)^  1 +recv +2 +9 `, r.stderr)
	assert.Regexp(t, `(?m)^  2 .*not blocked in spmd`, r.stderr)
	assert.Regexp(t, `(?m)^  3 +recv +0 +1 `, r.stderr)
}

func TestRemoteLauncherFailureEndsTheJob(t *testing.T) {
	args := append(fakeCluster(t, 2, "nodeA", "nodeB"), "--launcher", "false", "-n", "4", pmirank, "ok")
	r := runSpmdrun(t, nil, nil, args...)
	assert.Equal(t, 255, r.code, r.stderr)
	assert.Regexp(t, `spmdrun: lost host node[AB]: the command starting its proxy exited with code 1 before the proxy connected; ranks [02]-[13]`, r.stderr)
	assert.Less(t, r.elapsed, 5*time.Second)
}

func TestRemoteLostProxyEndsTheJob(t *testing.T) {
	args := append(fakeCluster(t, 2, "nodeA", "nodeB"), "-n", "4", "-x", "PMIRANK_PIDS=1", pmirank, "hang")
	cmd := exec.Command(spmdrun, args...)
	cmd.Env = append(os.Environ(), "SPMD_SCHEDULER=none")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	var pids []int
	sc := bufio.NewScanner(stderr)
	for len(pids) < 4 && sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "pid="); ok {
			pid, err := strconv.Atoi(v)
			require.NoError(t, err)
			pids = append(pids, pid)
		}
	}
	require.Len(t, pids, 4, "ranks did not start")
	proxy := proxyPid(t, cmd.Process.Pid, "--index 1")
	require.NoError(t, syscall.Kill(proxy, syscall.SIGKILL))
	start := time.Now()
	var rest bytes.Buffer
	for sc.Scan() {
		rest.WriteString(sc.Text() + "\n")
	}
	waitExit(t, cmd, 255)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Contains(t, rest.String(), "spmdrun: lost host nodeB: its proxy closed the connection; ranks 2-3")
	assert.Eventually(t, func() bool {
		for _, pid := range pids {
			if running(pid) {
				return false
			}
		}
		return true
	}, 5*time.Second, 20*time.Millisecond, "ranks outlived their job")
}

// proxyPid finds the proxy that spmdrun (pid root) started with the given
// arguments: a descendant of root whose command line contains them.
func proxyPid(t *testing.T, root int, marker string) int {
	t.Helper()
	var found int
	require.Eventually(t, func() bool {
		// The proxy itself, not the shell that the stand-in for ssh ran it from.
		out, err := exec.Command("pgrep", "-f", "--", "^"+regexp.QuoteMeta(spmdrun)+" --proxy .*"+marker).Output()
		if err != nil {
			return false
		}
		for _, f := range strings.Fields(string(out)) {
			pid, _ := strconv.Atoi(f)
			if descends(pid, root) {
				found = pid
				return true
			}
		}
		return false
	}, 5*time.Second, 20*time.Millisecond, "no proxy %q under spmdrun", marker)
	return found
}

// descends reports whether pid is a descendant of root.
func descends(pid, root int) bool {
	for pid > 1 {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return false
		}
		i := bytes.LastIndexByte(stat, ')')
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 2 {
			return false
		}
		pid, _ = strconv.Atoi(f[1])
		if pid == root {
			return true
		}
	}
	return false
}
