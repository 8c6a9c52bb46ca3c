//go:build cgo

package h5_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/spmd-go/spmd/h5"
)

// The library h5 is linked with is 1.10 or later, as the package
// documentation says it needs, and says whether it is thread-safe.
func TestLibraryVersion(t *testing.T) {
	v, ts := h5.LibraryVersion()
	t.Logf("HDF5 %s, thread-safe %t", v, ts)
	assert.Regexp(t, `^1\.(1[0-9]|[2-9][0-9])\.\d+$`, v)
	// Debian's build is thread-safe; say so when the header agrees.
	if b, err := os.ReadFile("/usr/include/hdf5/serial/H5pubconf.h"); err == nil && strings.Contains(string(b), "#define H5_HAVE_THREADSAFE 1") {
		assert.True(t, ts)
	}
}
