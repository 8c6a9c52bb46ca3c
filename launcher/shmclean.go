package launcher

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
)

// shmDir is where the ranks' shared-memory segments live.
var shmDir = "/dev/shm"

// shmPrefix is the name prefix of a job's shared-memory segments. It must
// match comm/internal/shm.JobPrefix, which the ranks use: both derive it
// from the job cookie (TestShmPrefixMatchesRanks pins the two to one value).
func shmPrefix(cookieHex string) (string, bool) {
	cookie, err := hex.DecodeString(cookieHex)
	if err != nil || len(cookie) == 0 {
		return "", false
	}
	sum := sha256.Sum256(append([]byte("spmd-shm:"), cookie...))
	return "spmd-" + hex.EncodeToString(sum[:8]) + "-", true
}

// removeShm deletes whatever segments the job's ranks left in /dev/shm.
// Ranks unlink their own as soon as every local peer has mapped it, so
// there is normally nothing; a rank killed during wire-up leaves one.
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
