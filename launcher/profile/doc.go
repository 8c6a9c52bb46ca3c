// Package profile assembles what the ranks of a profiled or traced job
// report (package internal/profdata) into the files spmdrun writes: the
// profile (profile.json, profile.txt, matrix.png) and the trace
// (trace.json.gz, Chrome's trace-event format, which ui.perfetto.dev and
// chrome://tracing open).
//
// # Clocks
//
// Each rank stamps its events with its own clock. The launcher measures
// every rank's clock against its own at the start and at the end of the
// job: several ping-pongs each time, keeping the one with the shortest
// round trip, whose offset is then known to within half that round trip
// (the method of Score-P). A rank time t maps to launcher time
//
//	t − (o₀ + (o₁ − o₀)·(t − r₀)/(r₁ − r₀))
//
// where o₀ and o₁ are the offsets measured at rank times r₀ and r₁: a
// constant offset corrected for linear drift. With one measurement the
// offset is constant; with none (rank files written without spmdrun) the
// clocks are taken as they are.
//
// Measurements are only as good as their round trips, so after the
// mapping a receive may still appear to end before its send began. The
// assembler then shifts whole ranks by the least constant amounts that
// put every matched message's receive end after its send start (a system
// of difference constraints, solved by Bellman–Ford relaxation), and
// reports shifts larger than a rank's measurement uncertainty.
//
// # Flows
//
// A point-to-point message is identified by its sender, its receiver and
// the sequence number the sender gave it on that link (profdata.Event's
// SendSeq and RecvSeq). The trace draws one flow arrow per message whose
// send and receive were both recorded, from the send's slice to the
// receive's slice.
package profile
