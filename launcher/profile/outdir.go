package profile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// MinFreeBytes is the least free space PrepareDir asks of a directory for
// a profile: its files are small, but a directory on a full disk must be
// refused before the job runs, not after.
const MinFreeBytes = 1 << 20

// TraceBytesPerEvent estimates one traced event's share of trace.json.gz,
// for PrepareDir's space check: about 150 bytes of JSON, compressed.
const TraceBytesPerEvent = 40

// PrepareDir makes sure the job's outputs can be written to dir before the
// job starts: it creates dir if missing, writes and removes a small file
// there, and checks that the file system has at least need bytes free. Its
// errors name the directory and the cause in one line.
func PrepareDir(dir string, need uint64) error {
	if dir == "" {
		return errors.New("empty directory name")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", dir, unwrapPath(err))
	}
	f, err := os.CreateTemp(dir, ".spmdrun-probe-*")
	if err != nil {
		return fmt.Errorf("cannot write to %s: %w", dir, unwrapPath(err))
	}
	name := f.Name()
	_, err = f.Write(make([]byte, 4096))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	os.Remove(name)
	if err != nil {
		return fmt.Errorf("cannot write to %s: %w", dir, unwrapPath(err))
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return nil // no figure to check; the probe wrote
	}
	return checkSpace(dir, uint64(st.Bavail)*uint64(st.Bsize), need)
}

// checkSpace refuses a directory with less than need bytes available.
func checkSpace(dir string, avail, need uint64) error {
	need = max(need, MinFreeBytes)
	if avail < need {
		return fmt.Errorf("%s has %s free, the outputs need about %s: %w", dir, Bytes(avail), Bytes(need), unix.ENOSPC)
	}
	return nil
}

// unwrapPath drops the path an *os.PathError repeats, so that errors read
// "cannot write to DIR: permission denied".
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// writeFileAtomic writes a file through a temporary file in its directory
// and a rename, so that a reader never sees half of it.
func writeFileAtomic(path string, write func(f *os.File) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
