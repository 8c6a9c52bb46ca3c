package profdata

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// Stopping a job early. A job that the launcher ends before its ranks
// reach Finalize (spmdrun --timeout) would otherwise leave no profile or
// trace at all. So each rank keeps a second connection open from Init to
// Finalize, on which it waits (Client.Watch); when the launcher decides to
// end the job it calls Collector.Stop, which sends the reason on every such
// connection and waits a bounded time for the ranks' partial uploads, and
// only then does the launcher end the ranks.

// Watch opens a connection of its own to the collector and waits on it
// until the collector says that the job stops (Collector.Stop), returning
// the reason, or until ctx ends, returning an error that wraps ctx's. A
// rank runs it on a goroutine from Init to Finalize; on a stop it uploads
// what it has so far with Send, Partial set to the reason.
func (c *Client) Watch(ctx context.Context) (string, error) {
	c.mu.Lock()
	w := &Client{addr: c.addr, cookie: c.cookie, rank: c.rank}
	c.mu.Unlock()
	dctx, cancel := context.WithTimeout(ctx, IOTimeout)
	err := w.connect(dctx)
	cancel()
	if err != nil {
		return "", err
	}
	conn := w.conn
	defer conn.Close()
	if err := writeFrame(conn, kindWatch, nil); err != nil {
		return "", w.fail(err)
	}
	// The stop may come at any time, or never: no deadline, but ctx's end
	// closes the connection.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := conn.Conn.SetReadDeadline(time.Time{}); err != nil {
		return "", w.fail(err)
	}
	_, body, err := readSmallFrame(conn.Conn, kindStop)
	if ctx.Err() != nil {
		return "", fmt.Errorf("profdata: watch: %w", ctx.Err())
	}
	if err != nil {
		return "", fmt.Errorf("profdata: collector %s, rank %d: watch: %w", w.addr, w.rank, err)
	}
	return string(body), nil
}

// watch serves rank's watch connection: it keeps it until the rank closes
// it or the collector closes, and sends the stop on it (at once if Stop has
// been called already). A second watch from a rank replaces the first.
func (c *Collector) watch(conn *timedConn, rank int) error {
	c.mu.Lock()
	if old := c.watchers[rank]; old != nil {
		old.Close()
	}
	c.watchers[rank] = conn
	reason := c.stopping
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		if c.watchers[rank] == conn {
			delete(c.watchers, rank)
		}
		c.mu.Unlock()
	}()
	if reason != "" {
		if err := writeFrame(conn, kindStop, []byte(reason)); err != nil {
			return err
		}
		c.mu.Lock()
		c.told[rank] = true
		c.mu.Unlock()
		select {
		case c.watched <- struct{}{}:
		default:
		}
	}
	// The rank sends nothing more on this connection: wait for its end.
	if err := conn.Conn.SetReadDeadline(time.Time{}); err != nil {
		return err
	}
	var b [1]byte
	_, err := conn.Conn.Read(b[:])
	switch {
	case err == nil:
		return fmt.Errorf("%w: a frame on a watch connection", ErrProtocol)
	case errors.Is(err, io.EOF):
		return nil
	}
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil
	}
	return err
}

// Stop tells every rank that watches (Client.Watch) that the job stops,
// and why (reason, at most 1 KiB, which their data's Partial then
// carries), and waits until each rank told has uploaded its data, or
// until wait has passed. Ranks that start watching meanwhile are told at
// once, and waited for too. It returns the ranks that were told and had
// not uploaded by then. Call it once.
func (c *Collector) Stop(reason string, wait time.Duration) []int {
	reason = truncate(reason, maxRefuseBody)
	deadline := time.Now().Add(wait)
	c.mu.Lock()
	c.stopping = reason
	conns := make(map[int]*timedConn, len(c.watchers))
	for rank, conn := range c.watchers {
		conns[rank] = conn
	}
	c.mu.Unlock()
	for rank, conn := range conns {
		if err := writeFrame(conn, kindStop, []byte(reason)); err != nil {
			c.logf("profile collector: rank %d: stop: %v", rank, err)
			continue
		}
		c.mu.Lock()
		c.told[rank] = true
		c.mu.Unlock()
	}
	for {
		var late []int
		c.mu.Lock()
		for r := range c.told {
			if c.data[r] == nil {
				late = append(late, r)
			}
		}
		c.mu.Unlock()
		slices.Sort(late)
		left := time.Until(deadline)
		if len(late) == 0 || left <= 0 {
			return late
		}
		t := time.NewTimer(left)
		select {
		case <-c.stored:
		case <-c.watched:
		case <-t.C:
		}
		t.Stop()
	}
}

// Watching returns the ranks that watch now, in order.
func (c *Collector) Watching() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	ranks := make([]int, 0, len(c.watchers))
	for r := range c.watchers {
		ranks = append(ranks, r)
	}
	slices.Sort(ranks)
	return ranks
}
