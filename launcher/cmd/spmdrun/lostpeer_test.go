package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testprogBuild struct {
	once sync.Once
	err  error
}

// buildTestprog returns the path of examples/internal/testprogs/name, built
// (with the others these tests use, once) next to spmdrun, in the directory
// TestMain removes: the path is unique to this test binary.
func buildTestprog(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Dir(spmdrun)
	testprogBuild.once.Do(func() {
		out, err := exec.Command("go", "build", "-o", dir+"/",
			"../../../examples/internal/testprogs/lostpeer", "../../../examples/internal/testprogs/churn").CombinedOutput()
		if err != nil {
			testprogBuild.err = fmt.Errorf("go build testprogs: %w\n%s", err, out)
		}
	})
	require.NoError(t, testprogBuild.err)
	return filepath.Join(dir, name)
}

// lostPeerTimes reads the victim's exit and rank 0's failure from the
// output of examples/internal/testprogs/lostpeer.
var (
	victimExitRE = regexp.MustCompile(`(?m)^victim exits at (\d+)$`)
	rank0FailRE  = regexp.MustCompile(`(?m)^rank 0: receive failed at (\d+): (.*)$`)
)

// A rank dies that rank 0 never talked to, while rank 0 waits in an
// AnySource receive: the receive fails, naming the dead rank, within a
// second (the launcher tells rank 0; without that, rank 0 would wait until
// the launcher ends it and print nothing), and the job ends with the dead
// rank's code, blamed on it.
func TestSpmdrunLostPeerFailsAnySource(t *testing.T) {
	lostpeer := buildTestprog(t, "lostpeer")
	r := runSpmdrun(t, nil, nil, "-n", "4", lostpeer, "-code", "3")
	assertLostPeer(t, r, 3, true)
}

// assertLostPeer checks a lostpeer job whose victim is rank victim. With
// blame, the job must also end with the victim's code, blamed on it.
func assertLostPeer(t *testing.T, r spmdrunResult, victim int, blame bool) {
	t.Helper()
	if blame {
		require.Equal(t, 3, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	} else {
		require.NotEqual(t, 0, r.code, "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
	exit := victimExitRE.FindStringSubmatch(r.stdout)
	fail := rank0FailRE.FindStringSubmatch(r.stdout)
	require.NotNil(t, exit, "the victim did not print its exit:\n%s", r.stdout)
	require.NotNil(t, fail, "rank 0's receive did not fail (it was ended instead):\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	assert.Regexp(t, fmt.Sprintf(`^comm: rank %d lost: `, victim), fail[2])
	t0, _ := strconv.ParseInt(exit[1], 10, 64)
	t1, _ := strconv.ParseInt(fail[1], 10, 64)
	took := time.Duration(t1 - t0)
	t.Logf("rank 0's receive failed %v after the victim exited: %s", took, fail[2])
	assert.Less(t, took, time.Second, "rank 0 learned of the loss too late")
	lines := notices(r.stderr)
	require.Len(t, lines, 1, r.stderr)
	want := fmt.Sprintf(`^spmdrun: rank %d \(pid \d+.*\) exited with code 3$`, victim)
	if blame {
		assert.Regexp(t, want, lines[0])
	} else if r.code != 3 {
		t.Logf("the job was blamed on another rank (%s): across hosts the launcher orders exits by "+
			"the proxies' reports, which a loaded machine delays unevenly", lines[0])
	}
}
