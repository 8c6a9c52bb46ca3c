package jobnames

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestShmPrefix pins the derivation: an spmdrun cleans up after ranks that
// may have been built from another version of this module.
func TestShmPrefix(t *testing.T) {
	cookie := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	assert.Equal(t, "spmd-be9ac4697c11c02a-", ShmPrefix(cookie))
	assert.NotEqual(t, ShmPrefix(cookie), ShmPrefix(cookie[:15]))
}
