package comm

import "testing"

// TestShmEagerFor: an eighth of the ring, within [4 KiB, 32 KiB], never
// above the general eager limit.
func TestShmEagerFor(t *testing.T) {
	for _, tc := range []struct{ ring, eager, want int }{
		{256 << 10, DefaultEagerLimit, 32 << 10},
		{1 << 20, DefaultEagerLimit, 32 << 10},
		{128 << 10, DefaultEagerLimit, 16 << 10},
		{64 << 10, DefaultEagerLimit, 8 << 10},
		{16 << 10, DefaultEagerLimit, 4 << 10},
		{4 << 10, DefaultEagerLimit, 4 << 10},
		{256 << 10, 1 << 10, 1 << 10},
	} {
		if got := shmEagerFor(tc.ring, tc.eager); got != tc.want {
			t.Errorf("shmEagerFor(%d, %d) = %d, want %d", tc.ring, tc.eager, got, tc.want)
		}
	}
}
