package pbsemu

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run spmdsubmit's pbs and torque scripts on two hosts of
// scripts/netns-cluster.sh (network namespaces with their own host names,
// addresses and /dev/shm), each with a mom entered into its namespaces:
// spmdrun inside the job finds the allocation from PBS_NODEFILE with no
// flags and starts its proxies with pbs_tmrsh (OpenPBS) or pbsdsh -u
// (Torque), which the moms' logs show.

// netnsScript is scripts/netns-cluster.sh, from this package's directory.
const netnsScript = "../../scripts/netns-cluster.sh"

// ns is the two-host cluster, made once per test binary and taken down by
// TestMain.
var ns struct {
	once  sync.Once
	dir   string
	names []string // host names
	pids  []int    // each host's sshd: a process in its namespaces
	err   error
}

// nsHosts returns the cluster's hosts, starting it the first time; it
// skips t when this machine cannot make one.
func nsHosts(t *testing.T) []emuHost {
	t.Helper()
	skipUnlessLinux(t)
	if why := netnsSkip(); why != "" {
		ran.mu.Lock()
		ran.netnsSkip = why
		ran.mu.Unlock()
		t.Skip("namespace hosts: " + why)
	}
	ns.once.Do(func() {
		dir, err := os.MkdirTemp("", "pbsemu-netns-")
		if err != nil {
			ns.err = err
			return
		}
		ns.dir = dir
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, netnsScript, "up", dir, "2").CombinedOutput()
		if err != nil {
			ns.err = &upError{string(out), err}
			return
		}
		env, err := os.ReadFile(filepath.Join(dir, "cluster.env"))
		if err != nil {
			ns.err = err
			return
		}
		ns.names = envField(string(env), "HOSTNAMES")
		for i := range ns.names {
			b, err := os.ReadFile(filepath.Join(dir, "sshd-h"+strconv.Itoa(i+1)+".pid"))
			if err != nil {
				ns.err = err
				return
			}
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				ns.err = err
				return
			}
			ns.pids = append(ns.pids, pid)
		}
	})
	require.NoError(t, ns.err, "netns-cluster.sh up")
	require.Len(t, ns.names, 2)
	ran.mu.Lock()
	ran.netns = true
	ran.mu.Unlock()
	return []emuHost{{ns.names[0], ns.pids[0]}, {ns.names[1], ns.pids[1]}}
}

type upError struct {
	out string
	err error
}

func (e *upError) Error() string { return e.err.Error() + ": " + e.out }

// spmdJob writes spmdsubmit's script for format (pbs or torque) running
// args on 2 nodes × 2 ranks into the submit directory and returns its
// file name.
func (e *emu) spmdJob(bin, format string, args ...string) string {
	e.t.Helper()
	cmd := exec.Command(filepath.Join(bin, "spmdsubmit"), append([]string{"-N", "2", "-ppn", "2", "-o", e.submit, format}, args...)...)
	out, err := cmd.CombinedOutput()
	require.NoError(e.t, err, "spmdsubmit: %s", out)
	return filepath.Base(strings.TrimSpace(string(out)))
}

var helloLine = regexp.MustCompile(`(?m)^hello from rank (\d) of 4 on (\S+) \(pid \d+\)$`)

func TestSpmdsubmitScriptsOnNamespaceHosts(t *testing.T) {
	hosts := nsHosts(t)
	bin := spmdBinaries(t)
	for _, tc := range []struct {
		d      Dialect
		format string
		via    string
	}{
		{OpenPBS, "pbs", "pbs_tmrsh"},
		{Torque, "torque", "pbsdsh"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			e := startEmu(t, tc.d, hosts, bin, false)
			script := e.spmdJob(bin, tc.format, "hello")
			id := e.qsub(script)
			j := e.wait(id)
			seq := strings.TrimSuffix(id, ".emu")
			out := e.output("hello.o" + seq)
			require.Equal(t, 0, *j.ExitStatus, "job output:\n%s", out)
			ms := helloLine.FindAllStringSubmatch(out, -1)
			require.Len(t, ms, 4, "four ranks: %s", out)
			onHost := map[string][]string{}
			for _, m := range ms {
				onHost[m[2]] = append(onHost[m[2]], m[1])
			}
			for h := range onHost {
				sort.Strings(onHost[h])
			}
			assert.Equal(t, map[string][]string{hosts[0].name: {"0", "1"}, hosts[1].name: {"2", "3"}}, onHost,
				"ranks 0-1 on the first host and 2-3 on the second, as PBS_NODEFILE lists them")
			// spmdrun's proxies came from the moms, through pbsdsh or
			// pbs_tmrsh (never ssh), at least on the second host.
			proxy := regexp.MustCompile(`spawn job=` + regexp.QuoteMeta(id) + ` task=\d+ via=` + tc.via + ` pid=\d+ argv=.*spmdrun.*--proxy`)
			assert.Regexp(t, proxy, e.file("mom/"+hosts[1].name+".log"))

			script = e.spmdJob(bin, tc.format, "ring", "-laps", "20")
			id = e.qsub(script)
			j = e.wait(id)
			seq = strings.TrimSuffix(id, ".emu")
			out = e.output("ring.o" + seq)
			require.Equal(t, 0, *j.ExitStatus, "job output:\n%s", out)
			assert.Contains(t, out, "token counter 80 after 20 laps of 4 ranks (want 80)")
		})
	}
}

// rankPids finds the processes of job id named comm and which host
// namespace each is in.
func (e *emu) rankPids(id, comm string, hosts []emuHost) map[int]string {
	out := map[int]string{}
	nsOf := map[string]string{}
	for _, h := range hosts {
		l, _ := os.Readlink("/proc/" + strconv.Itoa(h.pid) + "/ns/net")
		nsOf[l] = h.name
	}
	for _, p := range e.processes(id) {
		pid, name, _ := strings.Cut(p, " ")
		if name != comm {
			continue
		}
		n, _ := strconv.Atoi(pid)
		l, _ := os.Readlink("/proc/" + pid + "/ns/net")
		out[n] = nsOf[l]
	}
	return out
}

func TestKilledRankAndQdelOnNamespaceHosts(t *testing.T) {
	hosts := nsHosts(t)
	bin := spmdBinaries(t)
	for _, tc := range []struct {
		d      Dialect
		format string
	}{
		{OpenPBS, "pbs"},
		{Torque, "torque"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			e := startEmu(t, tc.d, hosts, bin, false)
			script := e.spmdJob(bin, tc.format, "ring", "-laps", "100000000")

			// A rank killed on the second host ends the job, non-zero,
			// with nothing of it left on any host.
			id := e.qsub(script)
			victim := e.waitRanks(id, hosts)[hosts[1].name]
			require.NoError(t, syscall.Kill(victim, syscall.SIGKILL))
			j := e.wait(id)
			assert.NotEqual(t, 0, *j.ExitStatus)
			assert.Empty(t, e.processes(id), "processes of job %s outlive it", id)
			// The job ended because of that rank: spmdrun names it killed,
			// or (killed during wire-up) lost.
			assert.Regexp(t, `killed by signal SIGKILL|rank_[23]_disconnected|rank [23] lost`, e.output("ring.o"+strings.TrimSuffix(id, ".emu")))

			// qdel of a running job ends it within 5 s, everywhere.
			id = e.qsub(script)
			e.waitRanks(id, hosts)
			start := time.Now()
			_, errs, code := e.run("qdel", id)
			require.Equal(t, 0, code, errs)
			e.wait(id)
			assert.Less(t, time.Since(start), 5*time.Second, "qdel must end a running job within 5 s")
			assert.Empty(t, e.processes(id), "processes of job %s outlive it", id)
		})
	}
}

// waitRanks waits until the 4 ring ranks of job id run, 2 on each host,
// and returns one rank's pid per host.
func (e *emu) waitRanks(id string, hosts []emuHost) map[string]int {
	t := e.t
	t.Helper()
	e.waitState(id, "R")
	deadline := time.Now().Add(jobLimit)
	for {
		rs := e.rankPids(id, "ring", hosts)
		per := map[string]int{}
		one := map[string]int{}
		for pid, h := range rs {
			per[h]++
			one[h] = pid
		}
		if per[hosts[0].name] == 2 && per[hosts[1].name] == 2 {
			return one
		}
		require.True(t, time.Now().Before(deadline), "the ranks of job %s did not start: %v", id, rs)
		time.Sleep(50 * time.Millisecond)
	}
}
