package sysmon

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMonitorThread(t *testing.T) {
	for _, tc := range []struct {
		name      string
		pid, self int
		tids      []int
		want      int // 0: not found
	}{
		{"second oldest", 100, 100, []int{100, 101, 102, 105}, 101},
		{"any order", 100, 102, []int{105, 102, 101, 100}, 101},
		{"gap", 100, 100, []int{100, 140, 200}, 140},
		{"one thread", 100, 100, []int{100}, 0},
		{"none", 100, 100, nil, 0},
		{"wrapped", 100, 100, []int{7, 100, 101}, 0},
		{"main thread missing", 100, 100, []int{101, 102}, 0},
		{"caller is second", 100, 101, []int{100, 101, 102}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := monitorThread(tc.pid, tc.self, tc.tids)
			if tc.want == 0 {
				require.ErrorIs(t, err, ErrNotFound)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
