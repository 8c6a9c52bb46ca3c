package shm

import (
	"bytes"
	"crypto/rand"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wiredPair returns the writer and reader of one ring of a segment mapped
// twice, as two processes would, wired as comm wires them: each end's
// requests to wake the other go through a channel to a goroutine that
// calls the other end's Wake (comm's liveness connection and its reader).
// requests counts them.
func wiredPair(t *testing.T, size int) (*Writer, *Reader, *atomic.Int32) {
	t.Helper()
	s, peer := newSegment(t, 1, size)
	w, err := peer.Writer(0)
	require.NoError(t, err)
	r, err := s.Reader(0)
	require.NoError(t, err)
	var requests atomic.Int32
	toReader, toWriter := make(chan struct{}, 64), make(chan struct{}, 64)
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	w.Wire(func() { requests.Add(1); toReader <- struct{}{} }, false)
	r.Wire(func() { requests.Add(1); toWriter <- struct{}{} }, false)
	go func() {
		for {
			select {
			case <-toReader:
				r.Wake()
			case <-toWriter:
				w.Wake()
			case <-done:
				return
			}
		}
	}()
	return w, r, &requests
}

// TestWiredStream: wired ends carry a stream through a ring much smaller
// than it, the writer sleeping on a full ring and the reader on an empty
// one, and every byte arrives in order.
func TestWiredStream(t *testing.T) {
	w, r, requests := wiredPair(t, 1024)
	data := make([]byte, 1<<20)
	_, _ = rand.Read(data)
	go func() {
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 700)
			if err := w.WriteFrame(rest[:n], nil); err != nil {
				panic(err)
			}
			rest = rest[n:]
			if len(rest)%(64<<10) == 0 {
				time.Sleep(2 * time.Millisecond) // long enough for the reader to sleep
			}
		}
		w.Close()
	}()
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got), "stream corrupted")
	assert.Positive(t, requests.Load(), "nobody slept: the test did not reach the bells")
}

// TestWiredSleeperLeavesP: a goroutine asleep on a wired ring end is
// parked by Go's scheduler, which leaves its P to the others, rather than
// in a system call: asleep in a futex, it kept the P, and with GOMAXPROCS
// at 1 the process's other goroutines and timers waited for the Go
// runtime's monitor to take the P back, up to milliseconds.
func TestWiredSleeperLeavesP(t *testing.T) {
	for _, wired := range []bool{true, false} {
		s, peer := newSegment(t, 1, 4096)
		w, _ := peer.Writer(0)
		r, _ := s.Reader(0)
		if wired {
			w.Wire(func() { r.Wake() }, false)
			r.Wire(func() { w.Wake() }, false)
		}
		var stop atomic.Int32
		done := make(chan error, 1)
		go func() { done <- r.WaitReady(&stop) }()
		state := sleeperState(t, r)
		if wired {
			assert.Contains(t, []string{"select", "chan receive"}, state, "wired sleeper")
		} else {
			assert.Equal(t, "syscall", state, "unwired sleeper (the test's control)")
		}
		_, err := w.Write([]byte{1})
		require.NoError(t, err)
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(5 * time.Second):
			t.Fatal("the sleeper did not wake")
		}
	}
}

// sleeperState returns the scheduler state of the goroutine asleep in r's
// WaitReady, as a goroutine dump shows it ("syscall", "select", ...).
func sleeperState(t *testing.T, r *Reader) string {
	t.Helper()
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if atomic.LoadUint32(r.r.reader.sleeping) == 0 {
			continue
		}
		dump := string(buf[:runtime.Stack(buf, true)])
		for _, g := range strings.Split(dump, "\n\n") {
			if !strings.Contains(g, "shm.(*Reader).WaitReady") || !strings.Contains(g, "sleepUntil") {
				continue
			}
			head := g[:strings.Index(g, "\n")] // goroutine N [state]:
			state := head[strings.Index(head, "[")+1 : strings.Index(head, "]")]
			if i := strings.Index(state, ","); i >= 0 {
				state = state[:i] // "select, 2 minutes"
			}
			if state != "runnable" && state != "running" {
				return state
			}
		}
	}
	t.Fatal("no goroutine asleep in WaitReady")
	return ""
}

// TestNudge: a wired sleeper whose wake request is lost (or held up) is
// woken by Nudge once what it waits for is there, and not before.
func TestNudge(t *testing.T) {
	s, peer := newSegment(t, 1, 1024)
	w, _ := peer.Writer(0)
	r, _ := s.Reader(0)
	w.Wire(func() {}, false) // requests go nowhere
	r.Wire(func() {}, false)
	var stop atomic.Int32
	woke := make(chan error, 1)
	go func() { woke <- r.WaitReady(&stop) }()
	for atomic.LoadUint32(r.r.reader.sleeping) == 0 {
		runtime.Gosched()
	}
	r.Nudge()
	select {
	case <-woke:
		t.Fatal("Nudge woke a reader with nothing to read")
	case <-time.After(10 * time.Millisecond):
	}
	_, err := w.Write([]byte("x"))
	require.NoError(t, err)
	r.Nudge()
	select {
	case err := <-woke:
		require.NoError(t, err)
	case <-time.After(sleepSlice / 2):
		t.Fatal("Nudge did not wake the reader")
	}

	// A writer asleep on a full ring: woken once the reader made room.
	_, err = r.Read(make([]byte, 1))
	require.NoError(t, err)
	frame := make([]byte, 200)
	for w.TryWriteFrame(frame, nil) {
	}
	wrote := make(chan error, 1)
	go func() { _, err := w.Write(frame); wrote <- err }()
	for atomic.LoadUint32(w.r.writer.sleeping) == 0 {
		runtime.Gosched()
	}
	w.Nudge()
	select {
	case <-wrote:
		t.Fatal("Nudge woke a writer with no room")
	case <-time.After(10 * time.Millisecond):
	}
	_, err = r.Read(make([]byte, len(frame)))
	require.NoError(t, err)
	w.Nudge()
	select {
	case err := <-wrote:
		require.NoError(t, err)
	case <-time.After(sleepSlice / 2):
		t.Fatal("Nudge did not wake the writer")
	}
}

// TestKillWakesWiredSleepers: Kill wakes wired sleepers at once, as it
// does those on a futex.
func TestKillWakesWiredSleepers(t *testing.T) {
	s, peer := newSegment(t, 2, 1024)
	r, _ := s.Reader(0)
	w, _ := peer.Writer(1)
	r.Wire(func() {}, false)
	w.Wire(func() {}, false)
	_, _ = w.Write(make([]byte, 1024-sealBytes))
	errs := make(chan error, 2)
	go func() { _, err := r.Read(make([]byte, 1)); errs <- err }()
	go func() { _, err := w.Write([]byte{1}); errs <- err }()
	for atomic.LoadUint32(r.r.reader.sleeping) == 0 || atomic.LoadUint32(w.r.writer.sleeping) == 0 {
		runtime.Gosched()
	}
	killBoth(t, r, w, errs, sleepSlice/2)
}
