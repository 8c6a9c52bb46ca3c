package launcher

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"

	"github.com/spmd-go/spmd/internal/jobnames"
)

// shmDir is where the ranks' shared-memory segments live.
var shmDir = "/dev/shm"

// shmPrefix is the name prefix of the shared-memory segments of the job
// whose cookie is cookieHex, as the ranks name them; ok is false when
// cookieHex is not a cookie.
func shmPrefix(cookieHex string) (prefix string, ok bool) {
	cookie, err := hex.DecodeString(cookieHex)
	if err != nil || len(cookie) == 0 {
		return "", false
	}
	return jobnames.ShmPrefix(cookie), true
}

// removeShm deletes whatever segments the job's ranks left in /dev/shm.
// The two ranks of a pair unlink their segment while they set it up, so
// there is normally nothing; a rank killed during that set-up leaves one.
func removeShm(cookieHex string) error {
	prefix, ok := shmPrefix(cookieHex)
	if !ok {
		return nil
	}
	left, err := filepath.Glob(filepath.Join(shmDir, prefix+"*"))
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range left {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
