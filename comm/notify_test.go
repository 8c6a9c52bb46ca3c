package comm_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// runTold runs two ranks over TCP; rank 0 runs f. Rank 0 is told that rank
// 1, which is alive and silent, is lost, so the ranks lose each other and
// their Finalize fails: Run's error is not checked, beyond its ending in
// time.
func runTold(t *testing.T, f func(c *comm.Comm)) (logs []string) {
	t.Helper()
	var mu sync.Mutex
	logf := func(format string, args ...any) {
		mu.Lock()
		logs = append(logs, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	err := commtest.Run(2, func(c *comm.Comm) error {
		if c.Rank() == 0 {
			f(c)
		}
		return nil
	}, commtest.Config(comm.Config{Transport: "tcp"}), commtest.Timeout(20*time.Second), commtest.Logf(logf))
	if err != nil {
		require.NotContains(t, err.Error(), "did not finish", "ranks hung after the notice")
	}
	mu.Lock()
	defer mu.Unlock()
	return logs
}

// wantLauncherLoss asserts that err is rank's loss as the launcher told it.
func wantLauncherLoss(t *testing.T, err error, rank int, cause string) {
	t.Helper()
	var pl *comm.PeerLostError
	require.ErrorAs(t, err, &pl)
	assert.Equal(t, rank, pl.Rank)
	var lr *comm.LauncherReportError
	require.ErrorAs(t, err, &lr)
	assert.Equal(t, cause, lr.Cause)
	assert.ErrorIs(t, err, comm.ErrPeerLost)
	assert.EqualError(t, pl, fmt.Sprintf("comm: rank %d lost: launcher reports: %s", rank, cause))
}

// A notice fails an AnySource receive that no message from the lost rank
// would have matched yet, at once; lines of other kinds, malformed ones and
// ones that name no peer are skipped.
func TestLauncherNoticeFailsAnySource(t *testing.T) {
	logs := runTold(t, func(c *comm.Comm) {
		pr, pw := io.Pipe()
		defer pw.Close()
		comm.ReadNotices(c, pr)
		buf := make([]int64, 1)
		req, err := comm.Irecv(c, buf, comm.AnySource, 7)
		require.NoError(t, err)
		_, err = io.WriteString(pw, "hello 1 x\nlost one x\nlost 0 this rank\nlost 2 no such rank\n"+
			"lost 9 "+strings.Repeat("x", 600)+"\n")
		require.NoError(t, err)
		time.Sleep(50 * time.Millisecond)
		done, _, err := req.Test()
		require.NoError(t, err)
		require.False(t, done, "a skipped line failed the receive")

		start := time.Now()
		_, err = io.WriteString(pw, "lost 1 killed by signal SIGKILL\n")
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err = req.WaitContext(ctx)
		require.False(t, errors.Is(err, context.DeadlineExceeded), "the notice did not fail the receive")
		wantLauncherLoss(t, err, 1, "killed by signal SIGKILL")
		assert.Less(t, time.Since(start), time.Second)

		// Later operations that depend on the rank fail as well.
		err = comm.Send(c, buf, 1, 7)
		wantLauncherLoss(t, err, 1, "killed by signal SIGKILL")
	})
	all := strings.Join(logs, "\n")
	assert.Contains(t, all, `launcher notice "lost one x\n": lossnote: malformed loss notice`)
	assert.Contains(t, all, `launcher notice "lost 0 this rank\n" names no peer`)
	assert.Contains(t, all, `launcher notice "lost 2 no such rank\n" names no peer`)
	assert.Contains(t, all, "launcher notice longer than")
	assert.NotContains(t, all, "hello")
}

// Notices that arrive before Join has made the links are held, and act
// when it has.
func TestLauncherNoticeHeldUntilJoined(t *testing.T) {
	runTold(t, func(c *comm.Comm) {
		comm.HoldNotices(c)
		buf := make([]int64, 1)
		req, err := comm.Irecv(c, buf, comm.AnySource, 7)
		require.NoError(t, err)
		comm.NoticeLost(c, 1, "exited with code 3")
		done, _, err := req.Test()
		require.NoError(t, err)
		require.False(t, done, "a held notice acted")
		comm.JoinNotices(c)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err = req.WaitContext(ctx)
		wantLauncherLoss(t, err, 1, "exited with code 3")
	})
}
