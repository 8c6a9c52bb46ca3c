// Package profdata is the data one rank of a profiled or traced job hands
// to whoever assembles the job's profile and trace: its per-operation
// counters, its communication row, its message-size histograms, its
// bounded trace, and the clock samples that place its timestamps on the
// collector's clock.
//
// A rank fills a RankData as it runs (package comm) and sends it at
// Finalize, encoded with Encode, to the collector named in its
// environment (spmdrun's --profile and --trace), or writes it to
// DIR/rank-N.spmdprof when no collector runs (SPMD_PROFILE=DIR under
// another launcher). The launcher decodes every rank's data with Decode
// and writes profile.json, profile.txt and trace.json.gz.
//
// # Environment
//
// A launcher that profiles or traces a job gives every rank (on every
// host) these variables:
//
//	SPMD_COLLECTOR=host:port  the collector (Listen) to Dial; several, comma-separated, are tried in order
//	SPMD_PROFILE=DIR          profile: count every call, send the counters at Finalize
//	SPMD_TRACE=DIR            trace: also record each call as an event
//	SPMD_TRACE_LIMIT=N        keep at most N events (default DefaultTraceLimit)
//	SPMD_CLOCK_SKEW=D         tests only: shift the rank's clock by D ("+3s")
//
// With SPMD_COLLECTOR, a rank dials it with the job's cookie (SPMD_COOKIE),
// measures its clock against the collector's at Init and at Finalize
// (Client.Clock) and uploads its data at Finalize (Client.Send). Without
// it (under srun or mpiexec) the rank writes DIR/rank-N.spmdprof with
// WriteFile, and `spmdrun --merge-profile DIR` assembles the files later;
// no clock is measured then, so traces from several hosts keep their
// hosts' clock differences.
//
// # Collector protocol
//
// One TCP connection per rank carries length-prefixed frames. The
// collector opens with a random challenge; the rank answers with its rank
// and an HMAC-SHA256 over the challenge keyed with the cookie, and the
// collector proves the cookie in turn. Then the rank sends clock pings,
// each answered with the collector's clock, and at most one data upload,
// answered with an acknowledgement once stored. Every read and write is
// bounded by IOTimeout, every frame length by its kind, and a second
// upload from a rank is refused, unless the first was partial.
//
// A second connection per rank, opened with a watch frame, stays silent
// until the launcher stops the job early (Collector.Stop, when spmdrun's
// --timeout fires): the collector then sends a stop frame with the
// reason, and the rank uploads what it has so far, marked Partial, on its
// first connection. A later upload at Finalize replaces a partial one.
//
// Times inside a RankData are the rank's own clock: Unix nanoseconds as
// its time.Now gives them (shifted by SPMD_CLOCK_SKEW in tests). The
// Clock samples relate that clock to the collector's.
package profdata

// Version is the format version Encode writes and Decode accepts.
const Version = 1

// HistBuckets is the number of message-size buckets: bucket 0 counts
// empty messages, bucket b ≥ 1 counts sizes in [2^(b-1), 2^b), and the
// last bucket everything from 2^(HistBuckets-2) up.
const HistBuckets = 40

// RankData is everything one rank reports.
type RankData struct {
	Version int    `json:"version"`
	Rank    int    `json:"rank"`
	Size    int    `json:"size"` // ranks in the world
	Host    string `json:"host"`
	Pid     int    `json:"pid"`
	// InitNs and FinalizeNs bound the rank's application span: when Init
	// returned and when Finalize was called (rank clock).
	InitNs     int64 `json:"init_ns"`
	FinalizeNs int64 `json:"finalize_ns"`
	// SpmdNs is the time spent inside spmd calls between them; nested
	// calls (a Wait inside a collective) are counted once, by the outer.
	SpmdNs int64 `json:"spmd_ns"`
	// Ops holds the counters per operation, keyed by the Go name of the
	// call ("Send", "Allreduce", …).
	Ops map[string]*OpStats `json:"ops"`
	// Regions holds the user's phases (comm.Region), keyed by name.
	Regions map[string]*RegionStats `json:"regions,omitempty"`
	// SentBytes[d] and SentMsgs[d]: point-to-point payload bytes and
	// messages this rank sent to world rank d, collectives' internal
	// messages included.
	SentBytes []uint64 `json:"sent_bytes"`
	SentMsgs  []uint64 `json:"sent_msgs"`
	// Trace is the rank's events in the order they ended, when tracing;
	// TraceDropped counts those that did not fit in its buffer.
	Trace        []Event `json:"trace,omitempty"`
	TraceLimit   int     `json:"trace_limit,omitempty"`
	TraceDropped uint64  `json:"trace_dropped,omitempty"`
	// Clock holds the offset samples measured against the collector at
	// Init and at Finalize (see Clock).
	Clock []ClockSample `json:"clock,omitempty"`
	// Partial, when not empty, says why the data stops short of Finalize
	// ("stopped by --timeout after 3s"): the rank handed over what it had
	// when the collector told it that the job stops (Client.Watch), and
	// FinalizeNs is that moment. Calls still under way then are not in it.
	Partial string `json:"partial,omitempty"`
}

// OpStats counts one operation's calls on one rank.
type OpStats struct {
	Calls uint64 `json:"calls"`
	Ns    int64  `json:"ns"`     // total time inside the call
	MaxNs int64  `json:"max_ns"` // longest single call
	Bytes uint64 `json:"bytes"`  // payload bytes the call moved or was asked to
	// Hist counts the calls by payload size (see HistBuckets).
	Hist [HistBuckets]uint64 `json:"hist"`
}

// RegionStats times one user region on one rank.
type RegionStats struct {
	Calls  uint64 `json:"calls"`
	Ns     int64  `json:"ns"`      // wall time inside the region
	SpmdNs int64  `json:"spmd_ns"` // of which inside spmd calls
}

// Event is one traced slice: an spmd call or a user region.
type Event struct {
	Name    string `json:"name"`     // "Send", "Allreduce", or the region's name
	Region  bool   `json:"region"`   // a user region, not an spmd call
	StartNs int64  `json:"start_ns"` // rank clock
	EndNs   int64  `json:"end_ns"`
	Peer    int    `json:"peer"` // world rank of the peer, -1 if none or any
	Tag     int    `json:"tag"`
	Bytes   int64  `json:"bytes"`
	Comm    uint32 `json:"comm"`          // communicator context id
	Alg     string `json:"alg,omitempty"` // a collective's algorithm
	// SendSeq / RecvSeq name the point-to-point messages this slice sent
	// or received, for flow arrows: a message is identified by (sender,
	// receiver, seq), seq counting every message the sender's link to the
	// receiver carried, from 1. 0: none.
	SendSeq uint64 `json:"send_seq,omitempty"`
	RecvSeq uint64 `json:"recv_seq,omitempty"`
}

// ClockSample is one offset measurement: at collector time CollectorNs
// the rank's clock read CollectorNs+OffsetNs, known to within RTTNs/2.
// The assembler keeps, at each end, the sample with the smallest RTTNs
// and interpolates the offset linearly between them.
type ClockSample struct {
	CollectorNs int64 `json:"collector_ns"`
	OffsetNs    int64 `json:"offset_ns"`
	RTTNs       int64 `json:"rtt_ns"`
	AtFinalize  bool  `json:"at_finalize"`
}
