package shm

import (
	"bytes"
	"crypto/rand"
	"io"
	"runtime"
	"slices"
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
	w.Wire(func() { requests.Add(1); toReader <- struct{}{} })
	r.Wire(func() { requests.Add(1); toWriter <- struct{}{} })
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

// TestWiredSleeperLeavesP: with one P, two goroutines that answer each
// other through two rings, each asleep on its ring end until the other
// writes, take turns at once when the ends are wired. Asleep in a futex,
// each kept the only P, and the other waited for the Go runtime to take
// it back (up to a monitor tick of milliseconds) before it could answer.
func TestWiredSleeperLeavesP(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	med := pingPongAsleep(t, true, 300)
	t.Logf("median round trip %v", med)
	if raceEnabled {
		return // the bound below is for the runtime at full speed
	}
	// Wired, a round trip is a few goroutine switches on one thread.
	// Asleep in futexes, the two goroutines' threads took turns through
	// the kernel and the runtime's hand-over of the P: several times as
	// long in the median, and up to milliseconds at worst.
	assert.Less(t, med, 5*time.Microsecond, "a sleeper held the P")
}

// pingPongAsleep runs rounds round trips between two goroutines through
// two rings whose readers wait with WaitReady (which sleeps at once), and
// returns the median time a round trip took.
func pingPongAsleep(t *testing.T, wired bool, rounds int) time.Duration {
	s, peer := newSegment(t, 2, 1024)
	var ends [2]struct {
		w *Writer
		r *Reader
	}
	ends[0].w, _ = s.Writer(0)
	ends[1].r, _ = peer.Reader(0)
	ends[1].w, _ = peer.Writer(1)
	ends[0].r, _ = s.Reader(1)
	if wired {
		for i := range ends {
			other := &ends[1-i]
			ends[i].w.Wire(func() { go other.r.Wake() })
			ends[i].r.Wire(func() { go other.w.Wake() })
		}
	}
	var stop atomic.Int32
	turn := func(i int, first bool) error {
		e := &ends[i]
		if !first {
			if err := e.r.WaitReady(&stop); err != nil {
				return err
			}
			if _, err := e.r.Read(make([]byte, 1)); err != nil {
				return err
			}
		}
		_, err := e.w.Write([]byte{byte(i)})
		return err
	}
	done := make(chan error, 1)
	took := make([]time.Duration, rounds)
	go func() {
		for range rounds {
			if err := turn(1, false); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	start := time.Now()
	for k := range rounds {
		require.NoError(t, turn(0, k == 0))
		took[k] = time.Since(start)
		start = time.Now()
	}
	require.NoError(t, ends[0].r.WaitReady(&stop))
	require.NoError(t, <-done)
	slices.Sort(took)
	return took[rounds/2]
}

// TestNudge: a wired sleeper whose wake request is lost (or held up) is
// woken by Nudge once what it waits for is there, and not before.
func TestNudge(t *testing.T) {
	s, peer := newSegment(t, 1, 1024)
	w, _ := peer.Writer(0)
	r, _ := s.Reader(0)
	w.Wire(func() {}) // requests go nowhere
	r.Wire(func() {})
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
	r.Wire(func() {})
	w.Wire(func() {})
	_, _ = w.Write(make([]byte, 1024-sealBytes))
	errs := make(chan error, 2)
	go func() { _, err := r.Read(make([]byte, 1)); errs <- err }()
	go func() { _, err := w.Write([]byte{1}); errs <- err }()
	for atomic.LoadUint32(r.r.reader.sleeping) == 0 || atomic.LoadUint32(w.r.writer.sleeping) == 0 {
		runtime.Gosched()
	}
	start := time.Now()
	r.Kill()
	w.Kill()
	for range 2 {
		select {
		case err := <-errs:
			assert.ErrorIs(t, err, ErrClosed)
		case <-time.After(5 * time.Second):
			t.Fatal("a killed ring end did not return")
		}
	}
	assert.Less(t, time.Since(start), sleepSlice/2)
}
