package jobnames

import (
	"crypto/sha256"
	"encoding/hex"
)

// ShmPrefix returns the name prefix of a job's shared-memory segments,
// "spmd-<16 hex digits>-"; a pair's segment is the prefix followed by
// "<dialler>-<listener>-<n>". The digits are derived from the job's secret cookie, so that every
// rank, and the launcher cleaning up after a crash, computes the same
// prefix without being told, while jobs with different cookies never
// share a name.
func ShmPrefix(cookie []byte) string {
	sum := sha256.Sum256(append([]byte("spmd-shm:"), cookie...))
	return "spmd-" + hex.EncodeToString(sum[:8]) + "-"
}
