//go:build !linux

package sysmon

import (
	"errors"
	"fmt"
)

// Idle is only implemented on Linux.
func Idle() (int, error) {
	return 0, fmt.Errorf("sysmon: no idle scheduling class here: %w", errors.ErrUnsupported)
}
