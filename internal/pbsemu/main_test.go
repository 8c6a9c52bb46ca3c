package pbsemu

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"testing"
)

// ran records which kinds of process tests ran, for the line `make test`
// prints (SPMD_PBSEMU_REPORT names the file it goes to).
var ran struct {
	mu        sync.Mutex
	local     bool
	netns     bool
	netnsSkip string
}

func noteLocal() {
	ran.mu.Lock()
	ran.local = true
	ran.mu.Unlock()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if ns.dir != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		out, err := exec.CommandContext(ctx, netnsScript, "down", ns.dir).CombinedOutput()
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "netns-cluster.sh down %s: %v: %s\n", ns.dir, err, out)
			code = 1
		}
		os.RemoveAll(ns.dir)
	}
	if bins.dir != "" {
		os.RemoveAll(bins.dir)
	}
	if f := os.Getenv("SPMD_PBSEMU_REPORT"); f != "" {
		if err := os.WriteFile(f, []byte(report(code)+"\n"), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// report is the line `make test` prints about the emulated PBS's tests.
func report(code int) string {
	ran.mu.Lock()
	defer ran.mu.Unlock()
	const head = "PBS (emulated OpenPBS/Torque): "
	var s string
	switch {
	case skipAll() != "":
		s = head + "skipped: " + skipAll()
	case !ran.local && !ran.netns:
		s = head + "skipped: no process test of the emulation was selected"
	case ran.netns:
		s = head + "ran (qsub/qstat/qdel/pbsdsh/pbs_tmrsh with moms on this host; spmdsubmit pbs and torque jobs through spmdrun on 2 namespace hosts)"
	default:
		s = head + "ran (qsub/qstat/qdel/pbsdsh/pbs_tmrsh with moms on this host)"
		if ran.netnsSkip != "" {
			s += "; skipped spmdrun on namespace hosts: " + ran.netnsSkip
		}
	}
	if code != 0 {
		s += " — some tests FAILED"
	}
	return s
}

// skipAll says why no process test of the emulation runs here, or "".
func skipAll() string {
	if os.Getenv("SPMD_NO_PBS") == "1" {
		return "SPMD_NO_PBS=1 is set"
	}
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		return "no /proc: the emulated PBS needs Linux"
	}
	if _, err := exec.LookPath("go"); err != nil {
		return "go not found on PATH (the tests build pbsemu)"
	}
	return ""
}

// netnsSkip says why the namespace-host tests cannot run here, or "".
func netnsSkip() string {
	if os.Getenv("SPMD_NO_NETNS") == "1" {
		return "SPMD_NO_NETNS=1 is set"
	}
	if os.Geteuid() != 0 {
		return "not root (network namespaces need root)"
	}
	for _, c := range []string{"ip", "nsenter", "unshare", "ssh", "ssh-keygen", "flock", "hostname", "sshd"} {
		if _, err := lookPathSbin(c); err != nil {
			return c + " not found (scripts/netns-cluster.sh needs iproute2, util-linux and openssh; scripts/setup-test.sh installs them, as root)"
		}
	}
	return ""
}

func lookPathSbin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/sbin"} {
		if fi, err := os.Stat(d + "/" + name); err == nil && fi.Mode()&0o111 != 0 {
			return d + "/" + name, nil
		}
	}
	return "", exec.ErrNotFound
}

// hostsLine parses "KEY=a b" or KEY="a b" out of cluster.env text.
func envField(env, key string) []string {
	for _, l := range strings.Split(env, "\n") {
		if v, ok := strings.CutPrefix(l, key+"="); ok {
			return strings.Fields(strings.Trim(v, `"`))
		}
	}
	return nil
}
