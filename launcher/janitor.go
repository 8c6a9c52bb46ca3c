package launcher

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// The janitor covers the one path on which a launcher cannot clean up
// after its ranks: its own SIGKILL. spmdrun and every proxy remove the
// job's shared-memory segments on their host when the ranks there have
// ended (removeShm), on every path they survive. If one of them is killed
// outright, its ranks die too (parent-death signal), and segments that a
// rank had created but not yet unlinked (it unlinks them once its peers
// have mapped them) would stay in /dev/shm until the host reboots.
//
// So before starting its first rank the launcher starts a janitor: a
// shell, in a session of its own, that reads a pipe until end of file and
// then removes the host's segments of the job. The launcher and every rank
// it starts hold the pipe's write end (the ranks as an inherited
// descriptor they never use), so the read ends exactly when the last of
// them is gone, however they ended; nothing can create a segment after
// that. On its normal paths the launcher has already removed the segments
// itself; it then tells the janitor so, closes its end and waits a moment
// for it, so that no process of the job outlives the launcher.

// janitorScript reads standard input to its end, then removes the files
// whose names start with $1; a line "done" (the launcher's, when it has
// cleaned up after every rank itself) ends it at once.
const janitorScript = `while read -r line; do [ "$line" = done ] && exit 0; done; rm -f -- "$1"*`

// janitorWait bounds how long the launcher waits for the janitor after
// closing its end of the pipe.
const janitorWait = time.Second

// janitor is a started janitor process.
type janitor struct {
	cmd  *exec.Cmd
	hold *os.File // the pipe's write end; ranks get it as descriptor 5
	done chan struct{}
}

// startJanitor starts the janitor for the segments of the job whose cookie
// is cookieHex; nil, nil when the cookie names no segments.
func startJanitor(cookieHex string) (*janitor, error) {
	prefix, ok := shmPrefix(cookieHex)
	if !ok {
		return nil, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("janitor pipe: %w", err)
	}
	cmd := exec.Command("/bin/sh", "-c", janitorScript, "spmd-janitor", filepath.Join(shmDir, prefix))
	cmd.Stdin = r
	// A session of its own: a signal to the launcher's process group or
	// terminal (^C) must not end it before it has done its work.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	_ = r.Close()
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("starting the shared-memory janitor: %w", err)
	}
	j := &janitor{cmd: cmd, hold: w, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(j.done)
	}()
	return j, nil
}

// file is the write end for the ranks; nil for a nil janitor.
func (j *janitor) file() *os.File {
	if j == nil {
		return nil
	}
	return j.hold
}

// release closes the launcher's end and waits, bounded, for the janitor
// to finish. With cleaned (every rank has been reaped and the launcher has
// removed the segments itself) the janitor is told so and ends at once;
// otherwise it ends, and cleans up, once every rank has ended. A process a
// rank started outside its process group may still hold the pipe; the
// janitor then stays until that process ends. release is a no-op for a nil
// janitor.
func (j *janitor) release(cleaned bool, logf func(string, ...any)) {
	if j == nil {
		return
	}
	if cleaned {
		_, _ = j.hold.Write([]byte("done\n"))
	}
	_ = j.hold.Close()
	t := time.NewTimer(janitorWait)
	defer t.Stop()
	select {
	case <-j.done:
	case <-t.C:
		logf("shared-memory janitor (pid %d) still waits for processes that hold its pipe; it stays until they end", j.cmd.Process.Pid)
	}
}
