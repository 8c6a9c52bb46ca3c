package launcher

import "time"

// clock is where the supervisor gets the time and its timers (the settle
// window, the grace period, the final wait after SIGKILL, the Timeout, the
// diagnosis round, the proxies' connect limit). Run uses the system's;
// tests give a fake one and advance it by hand, so that the decisions
// those timers drive are tested without sleeping.
type clock interface {
	Now() time.Time
	NewTimer(d time.Duration) timer
}

// timer is a one-shot timer of a clock: C delivers once when it expires.
type timer interface {
	C() <-chan time.Time
	// Stop prevents the timer from firing; false if it already expired or
	// was stopped.
	Stop() bool
}

// systemClock is the clock of package time.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) NewTimer(d time.Duration) timer { return systemTimer{time.NewTimer(d)} }

type systemTimer struct{ t *time.Timer }

func (t systemTimer) C() <-chan time.Time { return t.t.C }
func (t systemTimer) Stop() bool          { return t.t.Stop() }

// timerC is t's channel, or nil (never ready) for no timer.
func timerC(t timer) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C()
}
