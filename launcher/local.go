package launcher

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/spmd-go/spmd/internal/lossnote"
)

// localSpec is what the local spawner needs to start one rank.
type localSpec struct {
	rank    int
	path    string   // resolved executable
	argv    []string // argv[0] is the program as the user named it
	env     []string
	dir     string
	pmiConn *os.File  // child end of the PMI socket; becomes fd 3
	janitor *os.File  // write end of the host's janitor pipe, held by the rank (fd 5); nil: none
	stdin   io.Reader // nil: /dev/null
	stdout  io.Writer // where the rank's standard output goes
	stderr  io.Writer // where the rank's standard error goes
	output  *sync.WaitGroup
	cpu     int // the CPU to bind the rank to, or -1 (startBound)
}

// Descriptor numbers in every rank: ExtraFiles[i] becomes 3+i.
const (
	// pmiChildFD is the PMI socket.
	pmiChildFD = 3
	// notifyChildFD is the read end of the rank's loss-notification pipe
	// (package lossnote), named by SPMD_NOTIFY_FD. Descriptor 5, when
	// there is one, is the host's janitor pipe (janitor.go), which the
	// rank only holds.
	notifyChildFD = 4
)

// localRank is one started rank on this host.
type localRank struct {
	rank    int
	cmd     *exec.Cmd
	pid     int
	stdinW  *os.File // write end of rank 0's stdin pipe when the launcher copies stdin
	notifyW *os.File // write end of the rank's loss-notification pipe; closed when it exits
	readers []*os.File
}

// startLocal starts one rank as a child process in its own process group,
// killed by the kernel if the launcher dies. (Linux sends the parent-death
// signal when the thread that forked the child exits; Go keeps its threads
// unless a goroutine exits while locked to one, which the launcher never
// does.) Its output is forwarded by
// goroutines counted in spec.output. The caller still owns spec.pmiConn and
// spec.janitor. The rank also gets the read end of a pipe for loss notices
// (see tell), named in its environment by SPMD_NOTIFY_FD.
func startLocal(spec localSpec) (*localRank, error) {
	var parentSide, childSide []*os.File // closed on failure / after start
	closeAll := func(fs []*os.File) {
		for _, f := range fs {
			_ = f.Close()
		}
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("rank %d: stdout pipe: %w", spec.rank, err)
	}
	parentSide, childSide = append(parentSide, outR), append(childSide, outW)
	errR, errW, err := os.Pipe()
	if err != nil {
		closeAll(parentSide)
		closeAll(childSide)
		return nil, fmt.Errorf("rank %d: stderr pipe: %w", spec.rank, err)
	}
	parentSide, childSide = append(parentSide, errR), append(childSide, errW)
	notifyR, notifyW, err := os.Pipe()
	if err != nil {
		closeAll(parentSide)
		closeAll(childSide)
		return nil, fmt.Errorf("rank %d: notification pipe: %w", spec.rank, err)
	}
	parentSide, childSide = append(parentSide, notifyW), append(childSide, notifyR)
	extra := []*os.File{spec.pmiConn, notifyR}
	if spec.janitor != nil {
		extra = append(extra, spec.janitor)
	}

	stdinFile, copyFrom := stdinSource(spec.stdin)
	var stdinW *os.File
	if copyFrom != nil {
		var stdinR *os.File
		stdinR, stdinW, err = os.Pipe()
		if err != nil {
			closeAll(parentSide)
			closeAll(childSide)
			return nil, fmt.Errorf("rank %d: stdin pipe: %w", spec.rank, err)
		}
		stdinFile = stdinR
		parentSide, childSide = append(parentSide, stdinW), append(childSide, stdinR)
	}

	cmd := &exec.Cmd{
		Path:       spec.path,
		Args:       spec.argv,
		Env:        append(spec.env[:len(spec.env):len(spec.env)], lossnote.EnvFD+"="+strconv.Itoa(notifyChildFD)),
		Dir:        spec.dir,
		Stdout:     outW,
		Stderr:     errW,
		ExtraFiles: extra,
		SysProcAttr: &syscall.SysProcAttr{
			Setpgid:   true,            // signals to the group reach the rank's children
			Pdeathsig: syscall.SIGKILL, // no orphans if the launcher is killed
		},
	}
	if stdinFile != nil {
		cmd.Stdin = stdinFile
	}
	err = startBound(cmd, spec.cpu)
	closeAll(childSide)
	if err != nil {
		closeAll(parentSide)
		return nil, fmt.Errorf("rank %d: %w", spec.rank, err)
	}
	r := &localRank{rank: spec.rank, cmd: cmd, pid: cmd.Process.Pid, stdinW: stdinW, notifyW: notifyW, readers: []*os.File{outR, errR}}
	spec.output.Add(2)
	go forward(spec.stdout, outR, spec.output.Done)
	go forward(spec.stderr, errR, spec.output.Done)
	if copyFrom != nil {
		go copyStdin(stdinW, copyFrom)
	}
	return r, nil
}

// wait waits for the rank to exit and releases its stdin. Output pipes stay
// open until drained; see closeReaders.
func (r *localRank) wait() *os.ProcessState {
	_ = r.cmd.Wait() // the state, not the error, says how the rank ended
	if r.stdinW != nil {
		_ = r.stdinW.Close()
	}
	_ = r.notifyW.Close()
	return r.cmd.ProcessState
}

// tell writes a loss notice line (package lossnote) to the rank without
// waiting: a rank that does not read its notices (a program that is not
// an spmd rank) must not stall the launcher, so a line that does not fit
// in the pipe is dropped, with an error. A line is shorter than PIPE_BUF,
// so it is written whole or not at all.
func (r *localRank) tell(line []byte) error {
	rc, err := r.notifyW.SyscallConn()
	if err != nil {
		return fmt.Errorf("rank %d: loss notice: %w", r.rank, err)
	}
	var werr error
	err = rc.Write(func(fd uintptr) bool {
		var n int
		n, werr = unix.Write(int(fd), line)
		if werr == nil && n < len(line) {
			werr = io.ErrShortWrite
		}
		return true // never wait for room
	})
	if err == nil {
		err = werr
	}
	if err != nil {
		return fmt.Errorf("rank %d: loss notice: %w", r.rank, err)
	}
	return nil
}

// closeReaders closes the read ends of the rank's output pipes, ending the
// forwarding goroutines even if a process the rank started still holds the
// write ends.
func (r *localRank) closeReaders() {
	for _, f := range r.readers {
		_ = f.Close()
	}
}

// stdinSource decides how rank 0 gets r. A regular *os.File (file, pipe,
// /dev/null) is inherited directly. Anything else, and a terminal, is copied
// through a pipe by the launcher: a rank runs in its own process group, and a
// background group that reads the terminal would be stopped by SIGTTIN.
func stdinSource(r io.Reader) (file *os.File, copyFrom io.Reader) {
	if r == nil {
		return nil, nil
	}
	if f, ok := r.(*os.File); ok && !isTerminal(f) {
		return f, nil
	}
	return nil, r
}

// copyStdin copies r into the pipe w until either ends. A read blocked on a
// terminal may outlive the job; closing w makes its next write fail.
func copyStdin(w *os.File, r io.Reader) {
	_, _ = io.Copy(w, r) // an error means the rank is gone or stdin failed: either way the rank sees EOF
	_ = w.Close()
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	sc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	tty := false
	_ = sc.Control(func(fd uintptr) {
		_, terr := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		tty = terr == nil
	})
	return tty
}
