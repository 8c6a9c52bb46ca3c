package launcher

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/launcher/sched"
)

// TestRanksToldOfLoss: when a rank exits, every other rank reads one loss
// notice at once, on this host from the launcher and on another from its
// proxy; the job ends with the lost rank's code, blamed on it, although
// the told ranks are ended after it, or fail themselves.
func TestRanksToldOfLoss(t *testing.T) {
	for _, tc := range []struct {
		name   string
		remote bool
		then   string // what told ranks do: "hang" until ended, or "exit" 1
	}{{"local", false, "hang"}, {"local, told ranks exit", false, "exit"}, {"through a proxy", true, "hang"}} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 4
			j, out, errb := newJob(n, "told", "1", "3", tc.then)
			if tc.remote {
				// Ranks 0 and 1 here, 2 and 3 on a pretend host, served by
				// a real proxy that a shell starts here.
				m, err := sched.Map([]sched.Host{{Name: "localhost", Slots: 2}, {Name: "remote.invalid", Slots: 2}}, n, sched.BySlot, 0)
				require.NoError(t, err)
				j.N, j.Mapping = 0, m
				j.Launcher = &RemoteLauncher{Cookie: "env", ProxyPath: proxyProgram(t), Command: []string{"sh", "-c", `exec "$@" --name remote.invalid`, "sh"}}
			}
			told := out.watch(" told: ", n-1)
			done := make(chan result, 1)
			go func() { done <- run(t, j) }()
			select {
			case <-told:
			case <-time.After(testLimit):
				t.Fatalf("the ranks were not all told:\n%s\n%s", out.String(), errb.String())
			}
			r := <-done
			assert.Equal(t, 3, r.code, r.stderr)
			for _, rank := range []int{0, 2, 3} {
				assert.Contains(t, r.stdout, fmt.Sprintf("rank %d told: lost 1 exited with code 3\n", rank))
			}
			assert.NotContains(t, r.stdout, "rank 1 told")
			lines := noticeLines(r.stderr)
			require.Len(t, lines, 1, r.stderr)
			assert.Regexp(t, `^spmdrun: rank 1 \(pid \d+.*\) exited with code 3(; ending the job)?$`, lines[0])
		})
	}
}
