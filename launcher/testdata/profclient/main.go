// Command profclient is a test rank for spmdrun's --profile and --trace:
// without using comm, it plays a profiled rank's part through
// internal/profdata, so that the launcher's side is tested on its own. It
// reads PMI_RANK, PMI_SIZE, SPMD_COOKIE and the profile variables, and
// behaves as its first argument says:
//
//	ok        measure the clock at start and end, then send data (counters,
//	          one message to the next rank and one from the previous, both
//	          traced) to SPMD_COLLECTOR
//	die R     as ok, but rank R exits 3 without sending
//	hang R    as ok, but rank R never reaches its end: it waits for the
//	          collector's stop (Client.Watch), then sends its data marked
//	          partial and waits to be ended
//	files     write the data to SPMD_PROFILE/rank-N.spmdprof (no collector)
//
// SPMD_CLOCK_SKEW=D shifts the rank's clock by D, as comm does;
// PROFCLIENT_SKEW=R=D,... shifts only the ranks named.
package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spmd-go/spmd/internal/profdata"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "profclient:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	rank, _ := strconv.Atoi(os.Getenv("PMI_RANK"))
	size, _ := strconv.Atoi(os.Getenv("PMI_SIZE"))
	size = max(size, 1)
	var skew time.Duration
	if s := os.Getenv(profdata.EnvClockSkew); s != "" {
		var err error
		if skew, err = time.ParseDuration(s); err != nil {
			return err
		}
	}
	for _, rd := range strings.Split(os.Getenv("PROFCLIENT_SKEW"), ",") {
		r, dur, ok := strings.Cut(rd, "=")
		if ok && r == strconv.Itoa(rank) {
			var err error
			if skew, err = time.ParseDuration(dur); err != nil {
				return err
			}
		}
	}
	now := func() int64 { return time.Now().Add(skew).UnixNano() }
	mode := "ok"
	if len(args) > 0 {
		mode = args[0]
	}
	d := &profdata.RankData{Rank: rank, Size: size, Pid: os.Getpid(), InitNs: now(),
		SentBytes: make([]uint64, size), SentMsgs: make([]uint64, size),
		Ops: map[string]*profdata.OpStats{}}
	d.Host, _ = os.Hostname()
	if mode == "files" {
		fill(d, now)
		return profdata.WriteFile(os.Getenv(profdata.EnvProfile), d)
	}
	cookie, err := hex.DecodeString(os.Getenv("SPMD_COOKIE"))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := profdata.Dial(ctx, os.Getenv(profdata.EnvCollector), cookie, rank)
	if err != nil {
		return err
	}
	defer c.Close()
	start, err := c.Clock(5, false, now)
	if err != nil {
		return err
	}
	fill(d, now)
	if mode == "hang" && len(args) > 1 && args[1] == strconv.Itoa(rank) {
		return hang(c, d, start, now)
	}
	end, err := c.Clock(5, true, now)
	if err != nil {
		return err
	}
	d.Clock = append(start, end...)
	if mode == "die" && len(args) > 1 && args[1] == strconv.Itoa(rank) {
		os.Exit(3)
	}
	return c.Send(d)
}

// fill records a Barrier and one message to the next rank and from the
// previous one, with times that a real exchange could have.
func fill(d *profdata.RankData, now func() int64) {
	next, prev := (d.Rank+1)%d.Size, (d.Rank+d.Size-1)%d.Size
	t0 := now()
	time.Sleep(20 * time.Millisecond)
	d.Trace = append(d.Trace,
		profdata.Event{Name: "Send", StartNs: t0, EndNs: t0 + 1000, Peer: next, Tag: 7, Bytes: 64, SendSeq: 1},
		// The receive waits long enough for any sender's send to have begun.
		profdata.Event{Name: "Recv", StartNs: t0, EndNs: now(), Peer: prev, Tag: 7, Bytes: 64, RecvSeq: 1},
	)
	d.Ops["Send"] = &profdata.OpStats{Calls: 1, Ns: 1000, MaxNs: 1000, Bytes: 64}
	d.Ops["Recv"] = &profdata.OpStats{Calls: 1, Ns: d.Trace[1].EndNs - t0, MaxNs: d.Trace[1].EndNs - t0, Bytes: 64}
	d.Ops["Send"].Hist[7] = 1
	d.Ops["Recv"].Hist[7] = 1
	d.SentBytes[next], d.SentMsgs[next] = 64, 1
	d.SpmdNs = 1000 + d.Ops["Recv"].Ns
	d.TraceLimit = 100
	d.FinalizeNs = now()
}

// hang plays a rank stuck in the job when spmdrun's --timeout fires.
func hang(c *profdata.Client, d *profdata.RankData, start []profdata.ClockSample, now func() int64) error {
	reason, err := c.Watch(context.Background())
	if err != nil {
		return err
	}
	d.Partial = reason
	d.FinalizeNs = now()
	end, err := c.Clock(5, true, now)
	if err != nil {
		return err
	}
	d.Clock = append(start, end...)
	if err := c.Send(d); err != nil {
		return err
	}
	select {} // until the launcher ends the job
}
