package tcp

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spmd-go/spmd/comm/internal/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type accepted struct {
	peer int
	c    *net.TCPConn
}

func listen(t *testing.T, cookie string) (*Listener, chan accepted, *logBuf) {
	t.Helper()
	got := make(chan accepted, 4)
	logs := &logBuf{}
	l, err := Listen("127.0.0.1:0", []byte(cookie), 0, 4, func(p int, c *net.TCPConn) { got <- accepted{p, c} }, logs.logf)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	return l, got, logs
}

type logBuf struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBuf) logf(f string, a ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, f)
}

func (b *logBuf) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.lines)
}

func TestHandshake(t *testing.T) {
	l, got, _ := listen(t, "cookie")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, l.Addr().String(), []byte("cookie"), 3, 0)
	require.NoError(t, err)
	defer c.Close()
	a := <-got
	defer a.c.Close()
	assert.Equal(t, 3, a.peer)
	_, err = c.Write([]byte("hi"))
	require.NoError(t, err)
	buf := make([]byte, 2)
	_, err = a.c.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "hi", string(buf))
}

func TestWrongCookieRejected(t *testing.T) {
	l, got, logs := listen(t, "cookie")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := Dial(ctx, l.Addr().String(), []byte("guess"), 1, 0)
	require.Error(t, err)
	require.Eventually(t, func() bool { return logs.count() == 1 }, 5*time.Second, time.Millisecond)
	assert.Empty(t, got)
	// The listener still serves honest ranks.
	c, err := Dial(ctx, l.Addr().String(), []byte("cookie"), 1, 0)
	require.NoError(t, err)
	c.Close()
	(<-got).c.Close()
}

func TestGarbageDropped(t *testing.T) {
	l, got, logs := listen(t, "cookie")
	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	_, _ = c.Write([]byte(strings.Repeat("GET / HTTP/1.1\r\n", 20)))
	require.Eventually(t, func() bool { return logs.count() == 1 }, 5*time.Second, time.Millisecond)
	c.Close()
	assert.Empty(t, got)
}

func TestDialWrongRank(t *testing.T) {
	l, _, logs := listen(t, "cookie")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := Dial(ctx, l.Addr().String(), []byte("cookie"), 1, 2)
	require.Error(t, err, "the listener is rank 0, not 2")
	require.Eventually(t, func() bool { return logs.count() == 1 }, 5*time.Second, time.Millisecond)
}

func TestDialRefusedIsFinal(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = Dial(ctx, addr, []byte("c"), 0, 1)
	require.ErrorIs(t, err, ErrRefused)
	require.Less(t, time.Since(start), 100*time.Millisecond, "a refused dial is final")
}

// TestCloseCutsSilentStrangers: a process that connects and never speaks
// must not hold Close for the handshake timeout.
func TestCloseCutsSilentStrangers(t *testing.T) {
	l, _, _ := listen(t, "cookie")
	c, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	buf := make([]byte, wire.ChallengeSize)
	_, err = io.ReadFull(c, buf) // the listener is now inside the handshake
	require.NoError(t, err)
	start := time.Now()
	require.NoError(t, l.Close())
	assert.Less(t, time.Since(start), HandshakeTimeout/2)
}
