package shm

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func newSegment(t *testing.T, rings, size int) (*Segment, *Segment) {
	t.Helper()
	name := fmt.Sprintf("spmd-test-%d-%s", os.Getpid(), t.Name())
	name = filepath.Base(name)
	s, err := Create(name, rings, size)
	require.NoError(t, err)
	peer, err := Open(name) // a second mapping, as another process would have
	require.NoError(t, err)
	require.NoError(t, s.Unlink())
	t.Cleanup(func() { s.Close(); peer.Close() })
	return s, peer
}

func TestSegmentCreateOpen(t *testing.T) {
	s, peer := newSegment(t, 3, 4096)
	assert.Equal(t, 3, peer.rings)
	assert.Equal(t, 4096, peer.ringSize)
	_, err := os.Stat(filepath.Join(Dir, s.Name()))
	assert.ErrorIs(t, err, os.ErrNotExist, "unlinked after mapping")
	_, err = s.Reader(3)
	assert.ErrorIs(t, err, ErrSegment)
	_, err = Create("spmd-test-bad", 1, 1000)
	assert.ErrorIs(t, err, ErrSegment, "ring size must be a power of two")
}

func TestOpenRejectsGarbage(t *testing.T) {
	name := fmt.Sprintf("spmd-test-garbage-%d", os.Getpid())
	path := filepath.Join(Dir, name)
	require.NoError(t, os.WriteFile(path, bytes.Repeat([]byte{0xff}, 8192), 0o600))
	defer os.Remove(path)
	_, err := Open(name)
	assert.ErrorIs(t, err, ErrSegment)
}

// putFrame writes a and b as one frame: in place through ReserveFrame
// when inPlace and the ring takes the frame there (reported), else with
// WriteFrame.
func putFrame(w *Writer, a, b []byte, inPlace bool) (bool, error) {
	if inPlace {
		f, err := w.ReserveFrame(len(a) + len(b))
		if err != nil {
			return false, err
		}
		if f != nil {
			copy(f[copy(f, a):], b)
			w.CommitFrame()
			return true, nil
		}
	}
	return false, w.WriteFrame(a, b)
}

// TestRingStream pushes 8 MiB of random bytes through a 4 KiB ring in
// odd-sized frames (some larger than the ring, so streamed), every other
// one written in place (ReserveFrame), and reads, so that every
// wrap-around case occurs and frames start, lap after lap, where random
// data lay before (the seals must read zero there); it checks every byte.
func TestRingStream(t *testing.T) {
	s, peer := newSegment(t, 1, 4096)
	w, err := peer.Writer(0)
	require.NoError(t, err)
	r, err := s.Reader(0)
	require.NoError(t, err)
	data := make([]byte, 8<<20)
	_, _ = rand.Read(data)
	inPlace := make(chan int, 1)
	go func() {
		rest, reserved := data, 0
		for i := 1; len(rest) > 0; i++ {
			n := min(len(rest), (i*977)%9000+1)
			hdr := rest[:min(n, 48)]
			ok, err := putFrame(w, hdr, rest[len(hdr):n], i%2 == 0)
			if err != nil {
				panic(err)
			}
			if ok {
				reserved++
			}
			rest = rest[n:]
		}
		w.Close()
		inPlace <- reserved
	}()
	got := make([]byte, 0, len(data))
	buf := make([]byte, 3001)
	for {
		n, err := r.Read(buf[:1+len(got)%3000])
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	assert.True(t, bytes.Equal(data, got), "stream corrupted")
	assert.Positive(t, <-inPlace, "no frame went in place")
}

// TestReserveFrame: ReserveFrame gives the frame's bytes in place only
// for a whole frame that does not wrap around the ring's end; otherwise
// it reserves nothing and WriteFrame takes the frame.
func TestReserveFrame(t *testing.T) {
	s, peer := newSegment(t, 1, 1024)
	w, _ := peer.Writer(0)
	r, _ := s.Reader(0)
	for _, n := range []int{0, -1, 1024/4 - sealBytes + 1, 5000} {
		f, err := w.ReserveFrame(n)
		require.NoError(t, err)
		assert.Nil(t, f, "%d bytes", n)
	}
	// 121-byte frames start every 192 bytes, so that some of them wrap
	// around the ring's end (a model of the positions says which).
	const n = 121
	buf := make([]byte, n)
	at, wrapped := 0, 0
	for i := range 20 {
		want := bytes.Repeat([]byte{byte(i)}, n)
		f, err := w.ReserveFrame(n)
		require.NoError(t, err)
		if pos := (at + sealBytes) % 1024; pos+n > 1024 {
			assert.Nil(t, f, "frame %d wraps", i)
			require.NoError(t, w.WriteFrame(want, nil))
			wrapped++
		} else {
			require.Len(t, f, n, "frame %d", i)
			copy(f, want)
			w.CommitFrame()
		}
		at = int(alignUp(uint64(at + sealBytes + n)))
		_, err = io.ReadFull(r, buf)
		require.NoError(t, err)
		assert.Equal(t, want, buf, "frame %d", i)
	}
	assert.Positive(t, wrapped)
	w.Kill()
	f, err := w.ReserveFrame(8)
	assert.Nil(t, f)
	assert.NoError(t, err)
	assert.ErrorIs(t, w.WriteFrame([]byte("x"), nil), ErrClosed)
}

func TestRingDiscard(t *testing.T) {
	s, peer := newSegment(t, 1, 1024)
	w, _ := peer.Writer(0)
	r, _ := s.Reader(0)
	go func() { _, _ = w.Write(bytes.Repeat([]byte("x"), 5000)); _, _ = w.Write([]byte("end")); w.Close() }()
	n, err := r.Discard(5000)
	require.NoError(t, err)
	assert.Equal(t, 5000, n)
	rest, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, "end", string(rest))
}

// TestKillWakesSleepers: a reader asleep on an empty ring and a writer
// asleep on a full one both return ErrClosed promptly when killed.
func TestKillWakesSleepers(t *testing.T) {
	s, peer := newSegment(t, 2, 1024)
	r, _ := s.Reader(0)
	w, _ := peer.Writer(1)
	_, _ = w.Write(make([]byte, 1024-sealBytes)) // ring 1 is now full and nobody reads it
	errs := make(chan error, 2)
	go func() { _, err := r.Read(make([]byte, 1)); errs <- err }()
	go func() { _, err := w.Write([]byte{1}); errs <- err }()
	time.Sleep(2 * sleepSlice) // let both reach the futex (the result does not depend on it)
	killBoth(t, r, w, errs, 2*sleepSlice)
}

// killBoth kills r and w, whose blocked Read and Write report on errs,
// and checks that both return ErrClosed within bound.
func killBoth(t *testing.T, r *Reader, w *Writer, errs <-chan error, bound time.Duration) {
	t.Helper()
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
	assert.Less(t, time.Since(start), bound)
}

func TestReadRemoteSelf(t *testing.T) {
	s, _ := newSegment(t, 1, 1024)
	addr, want := s.ProbeAddr()
	assert.True(t, CanReadRemote(os.Getpid(), addr, want))
	raddr, rwant := s.RemoteProbe()
	assert.Equal(t, addr, raddr)
	assert.Equal(t, want, rwant)
	assert.False(t, CanReadRemote(os.Getpid(), addr, want+1))
	src := make([]byte, 3<<20)
	_, _ = rand.Read(src)
	dst := make([]byte, len(src))
	require.NoError(t, ReadRemote(os.Getpid(), Addr(src), dst))
	assert.True(t, bytes.Equal(src, dst))
	assert.Error(t, ReadRemote(1<<30, Addr(src), dst[:8]), "no such process")
}

func TestRemoveJob(t *testing.T) {
	prefix := fmt.Sprintf("spmd-test-job-%d-", os.Getpid())
	for i := range 3 {
		s, err := Create(fmt.Sprint(prefix, i), 1, 1024)
		require.NoError(t, err)
		s.Close()
	}
	require.NoError(t, RemoveJob(prefix))
	left, _ := filepath.Glob(filepath.Join(Dir, prefix+"*"))
	assert.Empty(t, left)
}

func BenchmarkRingPingPong(b *testing.B) {
	name := fmt.Sprintf("spmd-bench-%d-%d", os.Getpid(), b.N)
	s, err := Create(name, 2, 64<<10)
	require.NoError(b, err)
	peer, err := Open(name)
	require.NoError(b, err)
	require.NoError(b, s.Unlink())
	done := make(chan struct{})
	defer func() { <-done; s.Close(); peer.Close() }()
	aw, _ := s.Writer(0)
	ar, _ := s.Reader(1)
	bw, _ := peer.Writer(1)
	br, _ := peer.Reader(0)
	msg := make([]byte, 56)
	go func() {
		defer close(done)
		buf := make([]byte, 56)
		for {
			if _, err := io.ReadFull(br, buf); err != nil {
				return
			}
			if _, err := bw.Write(buf); err != nil {
				return
			}
		}
	}()
	buf := make([]byte, 56)
	for b.Loop() {
		_, _ = aw.Write(msg)
		_, _ = io.ReadFull(ar, buf)
	}
	aw.Close()
}

// TestRingFrames streams frames of every small size, and some larger than
// the ring, through a 4 KiB ring, a writer goroutine against a reader that
// sometimes asks before the frame is there, and checks that each frame
// arrives intact and that no Read returns bytes of two frames.
func TestRingFrames(t *testing.T) {
	s, peer := newSegment(t, 1, 4096)
	w, err := peer.Writer(0)
	require.NoError(t, err)
	r, err := s.Reader(0)
	require.NoError(t, err)
	var sizes []int
	for n := 1; n <= 200; n++ {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, 4000, 4088, 4089, 5000, 9000, 3, 17)
	frame := func(i, n int) []byte {
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(i*31 + j)
		}
		return b
	}
	done := make(chan error, 1)
	go func() {
		for i, n := range sizes {
			f := frame(i, n)
			k := min(n, 48) // a header and a payload, as links write them
			if err := w.WriteFrame(f[:k], f[k:]); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	defer func() { r.Kill(); <-done }() // the writer stops before the unmap
	buf := make([]byte, 20000)
	for i, n := range sizes {
		got := make([]byte, 0, n)
		for len(got) < n {
			m, err := r.Read(buf)
			require.NoError(t, err)
			require.LessOrEqual(t, m, n-len(got), "frame %d: a read crossed into the next frame", i)
			got = append(got, buf[:m]...)
		}
		require.Equal(t, frame(i, n), got, "frame %d (%d bytes)", i, n)
	}
}

// TestRingCorruptSeal: a seal no writer could have written (a whole frame
// longer than the ring) fails the read with ErrCorrupt instead of reading
// past the ring.
func TestRingCorruptSeal(t *testing.T) {
	s, peer := newSegment(t, 1, 1024)
	w, _ := peer.Writer(0)
	r, _ := s.Reader(0)
	require.True(t, w.TryWriteFrame([]byte("ok"), nil))
	got := make([]byte, 2)
	_, err := io.ReadFull(r, got)
	require.NoError(t, err)
	*w.r.seal(64) = sealWhole | 5000
	_, err = r.Read(got)
	assert.ErrorIs(t, err, ErrCorrupt)
	assert.True(t, r.Ready(), "a corrupt ring reads as ready, so that its link fails")
}

// TestPipe: the in-process ring works like a segment's.
func TestPipe(t *testing.T) {
	r, w, err := Pipe(1024)
	require.NoError(t, err)
	assert.False(t, r.Hint())
	_, err = w.Write([]byte("hello"))
	require.NoError(t, err)
	assert.True(t, r.Hint())
	require.NoError(t, w.Close())
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(got))
}

// TestSegmentsArePopulated: every page of a segment is resident in both
// mappings (the creator's and a peer's) from the start, so that the first
// lap of frames around a ring takes no page faults (mapFlags).
func TestSegmentsArePopulated(t *testing.T) {
	s, peer := newSegment(t, 2, 256<<10)
	for _, m := range []*Segment{s, peer} {
		vec := make([]byte, (len(m.mem)+os.Getpagesize()-1)/os.Getpagesize())
		_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m.mem[0])), uintptr(len(m.mem)), uintptr(unsafe.Pointer(&vec[0])))
		require.Zero(t, errno, "mincore")
		for i, v := range vec {
			require.Equal(t, byte(1), v&1, "page %d of %d not resident", i, len(vec))
		}
	}
}

// TestWarmKeepsRingsFresh: warming both mappings of a fresh segment
// leaves every ring byte zero, and frames then go round the ring as
// before, over more than a lap.
func TestWarmKeepsRingsFresh(t *testing.T) {
	s, peer := newSegment(t, 2, 4096)
	s.Warm()
	peer.Warm()
	require.Equal(t, len(s.mem)-headerBytes, bytes.Count(s.mem[headerBytes:], []byte{0}), "non-zero bytes after Warm")
	w, err := peer.Writer(1)
	require.NoError(t, err)
	r, err := s.Reader(1)
	require.NoError(t, err)
	for i := range 3 * 4096 / FrameAlign {
		msg := []byte{byte(i), byte(i >> 8)}
		require.NoError(t, w.WriteFrame(msg, nil))
		got := make([]byte, 2)
		_, err := io.ReadFull(r, got)
		require.NoError(t, err)
		require.Equal(t, msg, got, "frame %d", i)
	}
}
