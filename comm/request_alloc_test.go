package comm_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWindowAllocs: a window of small Isends and their WaitAll allocate
// nothing, and a window of Irecvs only the requests that the caller keeps
// (one each), over shared memory and TCP, whatever order the sends and
// receives come in.
func TestWindowAllocs(t *testing.T) {
	const window = 16
	for _, transport := range []comm.Transport{"shm", "tcp"} {
		t.Run(string(transport), func(t *testing.T) {
			require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
				other := 1 - c.Rank()
				buf := make([]byte, 8)
				ack := make([]byte, 4)
				reqs := make([]*comm.Request, window)
				step := func() {
					var err error
					if c.Rank() == 0 {
						for j := range reqs {
							if reqs[j], err = comm.Isend(c, buf, other, 1); err != nil {
								panic(err)
							}
						}
						if err := comm.WaitAll(reqs...); err != nil {
							panic(err)
						}
						if _, err := comm.Recv(c, ack, other, 2); err != nil {
							panic(err)
						}
						return
					}
					for j := range reqs {
						if reqs[j], err = comm.Irecv(c, buf, other, 1); err != nil {
							panic(err)
						}
					}
					for _, r := range reqs {
						if _, err := r.Wait(); err != nil {
							panic(err)
						}
					}
					if err := comm.Send(c, ack, other, 2); err != nil {
						panic(err)
					}
				}
				for range 50 {
					step()
				}
				// Both ranks run AllocsPerRun's loop at once; the count is
				// of the whole process: rank 1's Irecv requests.
				allocs := testing.AllocsPerRun(200, step)
				if allocs > window+0.5 {
					return fmt.Errorf("%.2f allocations per window of %d, want %d (the Irecv requests)", allocs, window, window)
				}
				return nil
			}, commtest.Config(comm.Config{Transport: transport})))
		})
	}
}

// TestSharedSentRequest: the request an eager Isend returns is complete
// at once and stays so, whatever its callers do with it, from many
// goroutines at once (the race detector watches the shared request), and
// a send that cannot complete at once gets a request of its own.
func TestSharedSentRequest(t *testing.T) {
	run(t, 2, func(c *comm.Comm) error {
		other := 1 - c.Rank()
		if c.Rank() == 1 {
			for range 8 * 100 {
				if _, err := comm.Recv(c, make([]byte, 8), other, comm.AnyTag); err != nil {
					return err
				}
			}
			big := make([]byte, 1<<20)
			_, err := comm.Recv(c, big, other, 9)
			return err
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 100 {
					r, err := comm.Isend(c, []byte("12345678"), other, g)
					if err != nil {
						errs <- err
						return
					}
					if done, st, err := r.Test(); !done || st != (comm.Status{}) || err != nil {
						errs <- fmt.Errorf("eager Isend's request: done %v, status %+v, error %v", done, st, err)
						return
					}
					if err := r.Cancel(); err == nil {
						errs <- fmt.Errorf("cancelling a send succeeded")
						return
					}
					if _, err := r.Wait(); err != nil {
						errs <- err
						return
					}
					if err := comm.WaitAll(r, r); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			return err
		}
		a, err := comm.Isend(c, make([]byte, 1<<20), other, 9) // rendezvous: not complete at once
		if err != nil {
			return err
		}
		b, err := comm.Isend(c, []byte{}, comm.ProcNull, 0)
		if err != nil {
			return err
		}
		if a == b {
			return fmt.Errorf("a rendezvous Isend shares the completed sends' request")
		}
		_, err = a.Wait()
		return err
	})
	t.Run("sameRequest", func(t *testing.T) {
		require.NoError(t, commtest.Run(1, func(c *comm.Comm) error {
			a, err := comm.Isend(c, []byte("x"), 0, 1)
			require.NoError(t, err)
			b, err := comm.Isend(c, []byte("y"), 0, 1)
			require.NoError(t, err)
			assert.Same(t, a, b, "two eager sends got requests of their own")
			for _, want := range []string{"x", "y"} {
				got := make([]byte, 1)
				_, err := comm.Recv(c, got, 0, 1)
				require.NoError(t, err)
				assert.Equal(t, want, string(got))
			}
			return nil
		}))
	})
}
