package launcher

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLineWriterWholeLines(t *testing.T) {
	var buf bytes.Buffer
	lw := NewSink(&buf).LineWriter("[3] ")
	for _, p := range []string{"a", "b\nc", "", "d\ne\nf", "\n"} {
		n, err := lw.Write([]byte(p))
		require.NoError(t, err)
		assert.Equal(t, len(p), n)
	}
	assert.Equal(t, "[3] ab\n[3] cd\n[3] e\n[3] f\n", buf.String())
	require.NoError(t, lw.Close())
	assert.Equal(t, "[3] ab\n[3] cd\n[3] e\n[3] f\n", buf.String(), "nothing held, nothing flushed")
}

func TestLineWriterPartialLineHeldUntilClose(t *testing.T) {
	var buf bytes.Buffer
	lw := NewSink(&buf).LineWriter("[0] ")
	_, err := lw.Write([]byte("x\nno newline"))
	require.NoError(t, err)
	assert.Equal(t, "[0] x\n", buf.String(), "the partial line is held")
	require.NoError(t, lw.Close())
	assert.Equal(t, "[0] x\n[0] no newline\n", buf.String(), "Close writes it, with a newline")
	require.NoError(t, lw.Close(), "Close twice")
	_, err = lw.Write([]byte("late\n"))
	assert.ErrorIs(t, err, os.ErrClosed)
}

func TestLineWriterEmptyLines(t *testing.T) {
	var buf bytes.Buffer
	lw := NewSink(&buf).LineWriter("> ")
	_, err := lw.Write([]byte("\n\nz\n"))
	require.NoError(t, err)
	assert.Equal(t, "> \n> \n> z\n", buf.String())
}

func TestLineWriterBoundsLongLines(t *testing.T) {
	var buf bytes.Buffer
	lw := NewSink(&buf).LineWriter("[1] ")
	long := strings.Repeat("y", MaxLineBuffer+10)
	_, err := lw.Write([]byte(long[:MaxLineBuffer/2]))
	require.NoError(t, err)
	assert.Zero(t, buf.Len())
	_, err = lw.Write([]byte(long[MaxLineBuffer/2:]))
	require.NoError(t, err)
	require.NoError(t, lw.Close())
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	require.Len(t, lines, 1, "written in one piece once it passed the bound")
	assert.Equal(t, "[1] "+long, lines[0])
}

// checkingWriter fails the test if two writes overlap.
type checkingWriter struct {
	t      *testing.T
	inside atomic.Bool
	mu     sync.Mutex
	buf    bytes.Buffer
}

func (w *checkingWriter) Write(p []byte) (int, error) {
	if !w.inside.CompareAndSwap(false, true) {
		w.t.Error("overlapping writes")
	}
	defer w.inside.Store(false)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func TestLineWritersConcurrent(t *testing.T) {
	const writers, lines = 8, 300
	cw := &checkingWriter{t: t}
	sink := NewSink(cw)
	var wg sync.WaitGroup
	for r := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lw := sink.LineWriter(fmt.Sprintf("[%d] ", r))
			defer lw.Close()
			// Write lines in pieces that cut through lines at varying points.
			var all bytes.Buffer
			for i := range lines {
				fmt.Fprintf(&all, "rank %d line %d %s\n", r, i, strings.Repeat("z", i%17))
			}
			fmt.Fprintf(&all, "rank %d unterminated", r)
			b := all.Bytes()
			for step := 1; len(b) > 0; step = step%13 + 1 {
				n := min(step, len(b))
				_, err := lw.Write(b[:n])
				assert.NoError(t, err)
				b = b[n:]
			}
		}()
	}
	wg.Wait()

	next := make([]int, writers) // next line number expected from each writer
	for _, line := range strings.Split(strings.TrimSuffix(cw.buf.String(), "\n"), "\n") {
		var r, r2 int
		_, err := fmt.Sscanf(line, "[%d] rank %d", &r, &r2)
		require.NoError(t, err, "line %q", line)
		require.Equal(t, r, r2, "prefix and content agree: %q", line)
		if next[r] == lines {
			assert.Equal(t, fmt.Sprintf("[%d] rank %d unterminated", r, r), line)
			next[r]++
			continue
		}
		assert.Equal(t, fmt.Sprintf("[%d] rank %d line %d %s", r, r, next[r], strings.Repeat("z", next[r]%17)), line)
		next[r]++
	}
	for r, n := range next {
		assert.Equal(t, lines+1, n, "writer %d: every line, in order", r)
	}
}

// errWriter fails every write.
type errWriter struct{ writes atomic.Int32 }

func (w *errWriter) Write(p []byte) (int, error) {
	w.writes.Add(1)
	return 0, errors.New("broken")
}

func TestForwardDrainsAfterWriteError(t *testing.T) {
	ew := &errWriter{}
	lw := NewSink(ew).LineWriter("")
	src := strings.NewReader(strings.Repeat("line\n", 100000)) // several reads
	done := make(chan struct{})
	forward(lw, src, func() { close(done) })
	<-done
	assert.Zero(t, src.Len(), "everything was read")
	assert.Equal(t, int32(1), ew.writes.Load(), "no writes after the first error")
	_, err := lw.Write([]byte("x"))
	assert.ErrorIs(t, err, os.ErrClosed, "forward closed the line writer")
}

func TestForwardFlushesPartialLineAtEOF(t *testing.T) {
	var buf bytes.Buffer
	lw := NewSink(&buf).LineWriter("[2] ")
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go forward(lw, pr, func() { close(done) })
	_, _ = pw.Write([]byte("one\ntw"))
	_, _ = pw.Write([]byte("o\nthree"))
	_ = pw.Close()
	<-done
	assert.Equal(t, "[2] one\n[2] two\n[2] three\n", buf.String())
}
