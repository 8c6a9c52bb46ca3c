package shm

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Dir is where segments live.
const Dir = "/dev/shm"

// Segment header layout.
const (
	magic        = 0x31_6d_68_73_64_6d_70_73 // "spmdshm1"
	offMagic     = 0
	offRings     = 8  // u32 number of rings
	offRingSize  = 12 // u32 data bytes per ring
	offProbe     = 16 // u64: a random value peers read with process_vm_readv
	offProbeAddr = 24 // u64: where offProbe lies in the creator's address space
	headerBytes  = 4096
	maxRingBytes = 1 << 30
)

// ErrSegment is wrapped by errors about a segment's contents.
var ErrSegment = errors.New("shm: bad segment")

// Segment is a mapped shared-memory segment holding rings.
type Segment struct {
	name     string
	mem      []byte
	rings    int
	ringSize int
}

// Name returns the segment's name in Dir.
func (s *Segment) Name() string { return s.name }

// Create makes and maps a new segment with n rings of ringSize data bytes
// (a power of two), readable and writable by this user only.
func Create(name string, n, ringSize int) (*Segment, error) {
	if n < 1 || ringSize < 1024 || ringSize > maxRingBytes || bits.OnesCount(uint(ringSize)) != 1 {
		return nil, fmt.Errorf("shm: %d rings of %d bytes: %w", n, ringSize, ErrSegment)
	}
	path := filepath.Join(Dir, name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("shm: create segment: %w", err)
	}
	defer f.Close()
	size := headerBytes + n*(controlBytes+ringSize)
	if err := f.Truncate(int64(size)); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("shm: size segment %s: %w", name, err)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, mapFlags)
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("shm: map segment %s: %w", name, err)
	}
	binary.LittleEndian.PutUint32(mem[offRings:], uint32(n))
	binary.LittleEndian.PutUint32(mem[offRingSize:], uint32(ringSize))
	var probe [8]byte
	_, _ = rand.Read(probe[:])
	copy(mem[offProbe:], probe[:])
	binary.LittleEndian.PutUint64(mem[offProbeAddr:], uint64(uintptr(unsafe.Pointer(&mem[offProbe]))))
	atomic.StoreUint64(u64At(mem, offMagic), magic) // written last: the segment is ready
	return &Segment{name: name, mem: mem, rings: n, ringSize: ringSize}, nil
}

// Open maps an existing segment made by Create and checks its header.
func Open(name string) (*Segment, error) {
	f, err := os.OpenFile(filepath.Join(Dir, name), os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("shm: open segment: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("shm: open segment: %w", err)
	}
	size := int(fi.Size())
	if size < headerBytes {
		return nil, fmt.Errorf("shm: segment %s of %d bytes: %w", name, size, ErrSegment)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, mapFlags)
	if err != nil {
		return nil, fmt.Errorf("shm: map segment %s: %w", name, err)
	}
	n := int(binary.LittleEndian.Uint32(mem[offRings:]))
	rs := int(binary.LittleEndian.Uint32(mem[offRingSize:]))
	if atomic.LoadUint64(u64At(mem, offMagic)) != magic || rs < 1024 || rs > maxRingBytes ||
		bits.OnesCount(uint(rs)) != 1 || n < 1 || size != headerBytes+n*(controlBytes+rs) {
		unix.Munmap(mem)
		return nil, fmt.Errorf("shm: segment %s: header does not match its size: %w", name, ErrSegment)
	}
	return &Segment{name: name, mem: mem, rings: n, ringSize: rs}, nil
}

func (s *Segment) ring(i int) (*ring, error) {
	if i < 0 || i >= s.rings {
		return nil, fmt.Errorf("shm: ring %d of %d in %s: %w", i, s.rings, s.name, ErrSegment)
	}
	off := headerBytes + i*(controlBytes+s.ringSize)
	return newRing(s.mem[off : off+controlBytes+s.ringSize]), nil
}

// Reader returns the consumer end of ring i. Only one process may read a ring.
func (s *Segment) Reader(i int) (*Reader, error) {
	r, err := s.ring(i)
	if err != nil {
		return nil, err
	}
	rd := &Reader{r: r, tail: atomic.LoadUint64(r.tail)}
	rd.at = alignUp(rd.tail)
	rd.next.Store(rd.at)
	return rd, nil
}

// mapFlags maps rings shared and populated: every page is faulted in at
// the mapping rather than when the first lap of frames reaches it. Small
// frames take a cache line each, so a 256 KiB ring's first lap is 4096
// frames with a page fault (in each process) every 64 of them, and the
// first few thousand 8-byte Allreduces on 2 ranks took several times as
// long as those after the rings had wrapped; populated, they run at full
// speed from the first call (bench/results/2026-11-21-coll-shm-bound).
const mapFlags = unix.MAP_SHARED | unix.MAP_POPULATE

// Pipe returns the two ends of a ring in this process's own memory: the
// in-process link of a rank to itself, with the same code path as a
// shared-memory link. size is a power of two. The ring lives in an
// anonymous mapping, like a segment's rings, outside the Go heap (the
// reader polls seal words that the writer's copies may also cover, which
// is only safe through the atomics of another process's view); it is
// unmapped once neither end is reachable.
func Pipe(size int) (*Reader, *Writer, error) {
	mem, err := unix.Mmap(-1, 0, controlBytes+size, unix.PROT_READ|unix.PROT_WRITE, mapFlags|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, nil, fmt.Errorf("shm: pipe of %d bytes: %w", size, err)
	}
	r := newRing(mem)
	runtime.AddCleanup(r, func(m []byte) { _ = unix.Munmap(m) }, mem)
	// Both sides are in this process: each wakes the other's bell itself.
	rd, w := &Reader{r: r}, &Writer{r: r}
	rd.Wire(w.Wake, false)
	w.Wire(rd.Wake, false)
	return rd, w, nil
}

// Writer returns the producer end of ring i. Only one process may write a ring.
func (s *Segment) Writer(i int) (*Writer, error) {
	r, err := s.ring(i)
	if err != nil {
		return nil, err
	}
	return &Writer{r: r, head: atomic.LoadUint64(r.head), tail: atomic.LoadUint64(r.tail)}, nil
}

// ProbeAddr returns the address, in this process, of the segment's probe
// value, and the value: a peer that reads the same value at that address
// with process_vm_readv shows that cross-memory attach works.
func (s *Segment) ProbeAddr() (uintptr, uint64) {
	return uintptr(unsafe.Pointer(&s.mem[offProbe])), binary.LittleEndian.Uint64(s.mem[offProbe:])
}

// RemoteProbe returns, for a segment opened from its creator, the probe's
// address in the creator's process and its value: what CanReadRemote needs
// to test cross-memory attach to the creator.
func (s *Segment) RemoteProbe() (uintptr, uint64) {
	return uintptr(binary.LittleEndian.Uint64(s.mem[offProbeAddr:])), binary.LittleEndian.Uint64(s.mem[offProbe:])
}

// Unlink removes the segment's name; mappings stay valid.
func (s *Segment) Unlink() error {
	err := os.Remove(filepath.Join(Dir, s.name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// Close unmaps the segment. Rings taken from it must no longer be used.
func (s *Segment) Close() error {
	if s.mem == nil {
		return nil
	}
	err := unix.Munmap(s.mem)
	s.mem = nil
	return err
}

// RemoveJob removes every segment of a job (names starting with prefix),
// for a launcher cleaning up after ranks that died before unlinking theirs.
func RemoveJob(prefix string) error {
	matches, err := filepath.Glob(filepath.Join(Dir, prefix+"*"))
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range matches {
		if err := os.Remove(m); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Rings returns how many rings the segment holds.
func (s *Segment) Rings() int { return s.rings }

// Size returns the segment's size in bytes.
func (s *Segment) Size() int { return headerBytes + s.rings*(controlBytes+s.ringSize) }

// Warm writes a zero over the zero word at every frame boundary of every
// ring, through this process's mapping. Each process of a pair calls it
// before the other may use the rings (it races with frames otherwise):
// without it, small frames run slower on their first lap round a ring
// than on every later one, for as many frames as the ring holds lines
// (bench/results/2026-12-06-sysmon). Writing each line once from each
// process, as a lap of frames and of the reader's seal clearing does,
// removes that first-lap cost. The rings must be fresh: every frame
// boundary word of a fresh ring is zero, so Warm changes nothing there.
func (s *Segment) Warm() {
	for i := range s.rings {
		r, _ := s.ring(i)
		for off := 0; off < len(r.data); off += FrameAlign {
			*u64At(r.data, off) = 0
		}
	}
}
