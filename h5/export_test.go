//go:build cgo

package h5

// SetTestHookWritten lets the tests make a rank's write fail after its
// data is written, to check what a failed write leaves behind.
func SetTestHookWritten(f func(rank int) error) { testHookWritten = f }
