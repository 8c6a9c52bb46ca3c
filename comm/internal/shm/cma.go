package shm

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ReadRemote copies len(dst) bytes from address addr in process pid into
// dst with one process_vm_readv per kernel-sized piece: Linux cross-memory
// attach, a single copy from the sender's buffer to the receiver's.
func ReadRemote(pid int, addr uintptr, dst []byte) error {
	for len(dst) > 0 {
		local := []unix.Iovec{{Base: &dst[0]}}
		local[0].SetLen(len(dst))
		remote := []unix.RemoteIovec{{Base: addr, Len: len(dst)}}
		n, err := unix.ProcessVMReadv(pid, local, remote, 0)
		if err != nil {
			return fmt.Errorf("shm: process_vm_readv from pid %d: %w", pid, err)
		}
		if n <= 0 {
			return fmt.Errorf("shm: process_vm_readv from pid %d read nothing", pid)
		}
		dst = dst[n:]
		addr += uintptr(n)
	}
	return nil
}

// CanReadRemote reports whether this process may read pid's memory: it
// reads the 8-byte probe at addr and compares it with want (what the peer's
// segment header holds). Ptrace policy (Yama), seccomp in containers or a
// non-dumpable peer refuse it; the transport then moves large messages
// through the ring instead.
func CanReadRemote(pid int, addr uintptr, want uint64) bool {
	var got [8]byte
	if err := ReadRemote(pid, addr, got[:]); err != nil {
		return false
	}
	return binary.LittleEndian.Uint64(got[:]) == want
}

// Addr returns the address of b's first byte, to publish to a peer that
// will read it with ReadRemote. b must stay live and unmoved until then
// (Go's heap does not move objects).
func Addr(b []byte) uintptr {
	if len(b) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&b[0]))
}
