package profile_test

import (
	"fmt"
	"time"

	"github.com/spmd-go/spmd/internal/profdata"
	"github.com/spmd-go/spmd/launcher/profile"
)

// A rank whose clock runs 3 s ahead of the launcher's and gains 1 ms per
// 100 s: the launcher measured it at the start (the second ping-pong had
// the shorter round trip) and at the end, and the map puts the rank's
// times back on the launcher's clock.
func ExampleNewClockMap() {
	const s = int64(time.Second)
	samples := []profdata.ClockSample{
		{CollectorNs: 10 * s, OffsetNs: 3*s + 40_000, RTTNs: 90_000},
		{CollectorNs: 10*s + 100_000, OffsetNs: 3 * s, RTTNs: 20_000},
		{CollectorNs: 110 * s, OffsetNs: 3*s + 1_000_000, RTTNs: 30_000, AtFinalize: true},
	}
	m := profile.NewClockMap(samples)
	for _, launcherTime := range []int64{10 * s, 60 * s, 110 * s} {
		rankTime := launcherTime + 3*s + (launcherTime-10*s)/100_000
		fmt.Printf("rank time %.6f s is launcher time %.6f s\n", float64(rankTime)/1e9, float64(m.Map(rankTime))/1e9)
	}
	fmt.Printf("known to ±%v\n", time.Duration(m.UncertaintyNs))
	// Output:
	// rank time 13.000000 s is launcher time 10.000000 s
	// rank time 63.000500 s is launcher time 60.000000 s
	// rank time 113.001000 s is launcher time 110.000000 s
	// known to ±15µs
}
