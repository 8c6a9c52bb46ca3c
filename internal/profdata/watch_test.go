package profdata

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// watching starts rank's Watch on cl and returns where its outcome goes.
func watching(cl *Client, ctx context.Context) <-chan watchResult {
	ch := make(chan watchResult, 1)
	go func() {
		reason, err := cl.Watch(ctx)
		ch <- watchResult{reason, err}
	}()
	return ch
}

type watchResult struct {
	reason string
	err    error
}

// waitWatchers waits until the collector holds n watch connections.
func waitWatchers(t *testing.T, c *Collector, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := len(c.Watching())
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d watchers, want %d", got, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestProfileStopCollectsPartialData plays a timed-out job of three ranks: ranks
// 0 and 1 watch and upload partial data when told, rank 2 watches and
// never uploads. Stop returns once the two have, naming rank 2 as late
// after its wait; a later final upload replaces a partial one, a partial
// one never replaces a final one.
func TestProfileStopCollectsPartialData(t *testing.T) {
	const size = 3
	c := listen(t, size, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clients := make([]*Client, size)
	results := make([]<-chan watchResult, size)
	for r := range size {
		cl, err := dial(t, c, testCookie, r)
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		clients[r] = cl
		results[r] = watching(cl, ctx)
	}
	waitWatchers(t, c, size)
	for r := range 2 {
		go func() {
			res := <-results[r]
			if res.err != nil {
				t.Errorf("rank %d: watch: %v", r, res.err)
				return
			}
			d := rankData(r, size)
			d.Partial = res.reason
			if err := clients[r].Send(d); err != nil {
				t.Errorf("rank %d: partial upload: %v", r, err)
			}
		}()
	}
	const reason = "stopped by --timeout after 3s"
	start := time.Now()
	late := c.Stop(reason, 2*time.Second)
	if !slices.Equal(late, []int{2}) {
		t.Errorf("late ranks %v, want [2]", late)
	}
	if took := time.Since(start); took < 2*time.Second {
		t.Errorf("Stop returned after %v without rank 2's data", took)
	}
	if res := <-results[2]; res.reason != reason || res.err != nil {
		t.Errorf("rank 2 was told %q, %v", res.reason, res.err)
	}
	data := c.Data()
	for r := range 2 {
		if data[r] == nil || data[r].Partial != reason {
			t.Fatalf("rank %d: %+v", r, data[r])
		}
	}
	if data[2] != nil {
		t.Errorf("rank 2 sent nothing, yet %+v", data[2])
	}
	// Rank 0 reaches Finalize after all: its whole data replaces the part.
	if err := clients[0].Send(rankData(0, size)); err != nil {
		t.Fatal(err)
	}
	if d := c.Data()[0]; d.Partial != "" {
		t.Errorf("rank 0's final upload did not replace its partial one: %+v", d)
	}
	// Rank 2 uploads its whole data; a partial one after it is refused.
	if err := clients[2].Send(rankData(2, size)); err != nil {
		t.Fatal(err)
	}
	d := rankData(2, size)
	d.Partial = reason
	if err := clients[2].Send(d); !errors.Is(err, ErrRefused) {
		t.Errorf("partial upload after the final one: %v, want ErrRefused", err)
	}
}

// TestProfileStopWithoutWatchers returns at once, and a rank that starts
// watching afterwards is told at once.
func TestProfileStopWithoutWatchers(t *testing.T) {
	c := listen(t, 2, nil)
	start := time.Now()
	if late := c.Stop("why", time.Minute); len(late) != 0 {
		t.Errorf("late %v", late)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Stop with nobody watching took %v", took)
	}
	cl, err := dial(t, c, testCookie, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if reason, err := cl.Watch(ctx); reason != "why" || err != nil {
		t.Errorf("watch after Stop: %q, %v", reason, err)
	}
}

// TestProfileWatchEndsWithItsContext: a rank that reaches Finalize cancels its
// watch, which returns the context's error, and the collector drops the
// connection.
func TestProfileWatchEndsWithItsContext(t *testing.T) {
	c := listen(t, 1, nil)
	cl, err := dial(t, c, testCookie, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithCancel(context.Background())
	res := watching(cl, ctx)
	waitWatchers(t, c, 1)
	cancel()
	select {
	case r := <-res:
		if !errors.Is(r.err, context.Canceled) {
			t.Errorf("watch after cancel: %q, %v", r.reason, r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watch did not end with its context")
	}
	waitWatchers(t, c, 0)
}
