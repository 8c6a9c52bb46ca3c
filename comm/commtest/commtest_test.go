package commtest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// TestTimeoutCarriesFailures: a rank that fails aborts, but a peer that
// never talked to it is not told and waits for it; the timeout's error
// then carries the failed rank's error, which names the cause, besides
// the ranks still running. (TestRingHoldsFewLinks hung so: a rank counted
// a link that a peer's Finalize had just made, failed, and its error was
// lost behind "did not finish".)
func TestTimeoutCarriesFailures(t *testing.T) {
	planted := errors.New("planted failure")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // lets rank 0 go once Run has given up on it
	err := commtest.Run(2, func(c *comm.Comm) error {
		if c.Rank() == 1 {
			return planted
		}
		req, err := comm.Irecv(c, []int{0}, 1, 0)
		if err != nil {
			return err
		}
		_, err = req.WaitContext(ctx)
		return err
	}, commtest.Timeout(2*time.Second))
	if err == nil {
		t.Fatal("Run succeeded; rank 1 failed")
	}
	if !errors.Is(err, planted) {
		t.Errorf("Run's error %q does not carry rank 1's failure", err)
	}
	if !strings.Contains(err.Error(), "ranks [0] did not finish") {
		t.Errorf("Run's error %q does not name rank 0 as still running", err)
	}
}
