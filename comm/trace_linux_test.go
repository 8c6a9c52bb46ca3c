package comm

import (
	"os"
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestTraceBufferMappedAtInit checks that every page of a new trace
// buffer is in memory before the first event (mincore), so that no call
// pays a page fault for the trace.
func TestTraceBufferMappedAtInit(t *testing.T) {
	const limit = 100_000
	tb := newTraceBuffer(limit)
	if len(tb.events) != 0 || cap(tb.events) != limit {
		t.Fatalf("buffer of %d events, room for %d", len(tb.events), cap(tb.events))
	}
	page := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(tb.events[:1])))
	end := start + limit*unsafe.Sizeof(traceEvent{})
	first := start &^ (page - 1)
	n := (end - first + page - 1) / page
	vec := make([]byte, n)
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, first, n*page, uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	runtime.KeepAlive(tb.events)
	missing := 0
	for _, v := range vec {
		if v&1 == 0 {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of the buffer's %d pages are not in memory", missing, n)
	}
}
