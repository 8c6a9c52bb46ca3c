package shm

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ReadRemote copies len(dst) bytes from address addr in process pid into
// dst with one process_vm_readv per piece of at most 4 MiB:
// Linux cross-memory attach, a single copy from the sender's buffer to the
// receiver's.
//
// The calls bypass Go's syscall bookkeeping (RawSyscall): a copy is CPU
// work that returns in well under a millisecond, and declaring it a
// blocking system call lets the runtime's monitor hand this thread's P to
// another thread once the call has lasted a moment, waking it for nothing
// — with more ranks than cores, the woken threads took the cores from the
// ranks doing the work (allgather of 1 MiB on 4 ranks on 2 cores ran
// faster raw, with a spread that is the kernel's placement of the ranks;
// bench/results/2026-11-21-coll-shm-tuned). The pieces bound how long the
// P stays held.
func ReadRemote(pid int, addr uintptr, dst []byte) error {
	return moveRemote(unix.SYS_PROCESS_VM_READV, "process_vm_readv", pid, addr, dst)
}

// WriteRemote copies src into process pid's memory at address addr, as
// ReadRemote does the other way (process_vm_writev): the sender of a
// message then copies part of it while the receiver copies the rest. The
// peer must allow it as it allows ReadRemote (the kernel checks the same
// ptrace access for both).
func WriteRemote(pid int, addr uintptr, src []byte) error {
	return moveRemote(unix.SYS_PROCESS_VM_WRITEV, "process_vm_writev", pid, addr, src)
}

// moveRemote copies between local and the memory at addr in process pid
// with system call trap (process_vm_readv or process_vm_writev), in pieces
// of at most rawReadMax.
func moveRemote(trap uintptr, name string, pid int, addr uintptr, local []byte) error {
	for len(local) > 0 {
		k := min(len(local), rawReadMax)
		lv := unix.Iovec{Base: &local[0]}
		lv.SetLen(k)
		rv := unix.RemoteIovec{Base: addr, Len: k}
		r, _, errno := unix.RawSyscall6(trap, uintptr(pid),
			uintptr(unsafe.Pointer(&lv)), 1, uintptr(unsafe.Pointer(&rv)), 1, 0)
		n := int(r)
		if errno != 0 {
			return fmt.Errorf("shm: %s with pid %d: %w", name, pid, errno)
		}
		if n <= 0 {
			return fmt.Errorf("shm: %s with pid %d moved nothing", name, pid)
		}
		local = local[n:]
		addr += uintptr(n)
	}
	return nil
}

// rawReadMax is the largest piece ReadRemote and WriteRemote copy in one call: a fraction
// of a millisecond at the rates process_vm_readv reaches (the 16 MiB rows
// of bench/results/2026-11-21-pt2pt-shm).
const rawReadMax = 4 << 20

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
