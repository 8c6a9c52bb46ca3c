// Package sysmon keeps the Go runtime's monitor thread from taking cores
// from a rank's work.
//
// Every Go process runs a monitor thread, sysmon, outside the scheduler's
// processors. It preempts goroutines that have run too long, takes
// processors back from threads blocked in system calls, and polls the
// network when nobody else has for a while. Its sleep between rounds
// starts at 20 µs whenever the process turns busy after blocking, and
// doubles (up to 10 ms) only after 50 rounds that found nothing to do
// (the constants are the runtime's, in runtime/proc.go). A rank that
// polls for its messages never blocks, so each of its phases of work
// begins with a few milliseconds of wake-ups every 20 µs; on a host whose
// every core runs a polling rank, each wake-up preempts a rank, and the
// peer waiting for that rank's answer waits longer too. Open MPI's ranks
// have no such thread; this is the noise that made spmd's small-message
// round trips on two ranks of a two-core host bimodal
// (bench/results/2026-12-06-sysmon).
//
// Idle moves sysmon to Linux's SCHED_IDLE class, which runs a thread only
// when its core has nothing else to run: the monitor's chores then wait
// for a free core, and on a host with a core per rank a core is free as
// soon as a rank blocks. Where ranks outnumber cores no core is ever free
// for long, so the caller leaves the monitor alone there.
//
// The runtime does not say which thread is sysmon. It is the second
// thread a Go process makes, started by the runtime before any package
// initializer runs, and Linux numbers a process's threads in the order it
// makes them, so it is the thread with the second-lowest id, unless
// thread ids wrapped around meanwhile, which Idle detects and declines.
package sysmon
