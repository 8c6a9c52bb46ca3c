package comm_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/stretchr/testify/require"
)

// transports are the ways ranks of a test job can reach each other; run
// runs every test under each. "mixed" puts even and odd ranks on two
// pretend hosts: shared memory within each, TCP between them.
var transports = []struct {
	name string
	cfg  comm.Config
	host func(rank int) string
	want func(me, peer int) string
}{
	{"tcp", comm.Config{Transport: "tcp"}, nil, func(int, int) string { return "tcp" }},
	{"shm", comm.Config{Transport: "shm"}, nil, func(int, int) string { return "shm+cma" }},
	{"shm-nocma", comm.Config{Transport: "shm", NoCMA: true}, nil, func(int, int) string { return "shm" }},
	{"mixed", comm.Config{}, func(r int) string { return fmt.Sprint("host", r%2) },
		func(me, peer int) string {
			if me%2 == peer%2 {
				return "shm+cma"
			}
			return "tcp"
		}},
}

// run runs f on n in-process ranks over each transport, with a bound,
// failing the test on error. After f it checks that every link f made
// (links are made on first use) is of the transport's kind.
func run(t *testing.T, n int, f func(c *comm.Comm) error, opts ...commtest.Option) {
	t.Helper()
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			all := append([]commtest.Option{commtest.Timeout(60 * time.Second), commtest.Config(tr.cfg)}, opts...)
			if tr.host != nil {
				all = append(all, commtest.Hosts(tr.host))
			}
			require.NoError(t, commtest.Run(n, func(c *comm.Comm) error {
				if err := f(c); err != nil {
					return err
				}
				for r := range c.Size() {
					want := tr.want(c.Rank(), r)
					if r == c.Rank() {
						want = "self"
					}
					if got := comm.LinkKind(c, r); got != want && got != "none" {
						return fmt.Errorf("link to rank %d is %s, want %s", r, got, want)
					}
				}
				return nil
			}, all...))
		})
	}
}

// pattern fills a slice with values that depend on seed and index, so a
// misplaced or stale byte shows.
func pattern(n int, seed int) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = int64(seed)*1_000_003 + int64(i)*7919
	}
	return s
}

func check(cond bool, format string, args ...any) error {
	if !cond {
		return fmt.Errorf(format, args...)
	}
	return nil
}

func checkPattern(got []int64, seed int) error {
	want := pattern(len(got), seed)
	for i := range got {
		if got[i] != want[i] {
			return fmt.Errorf("element %d of %d: got %d, want %d (seed %d)", i, len(got), got[i], want[i], seed)
		}
	}
	return nil
}
