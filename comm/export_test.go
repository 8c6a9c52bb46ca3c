package comm

// UnexpectedBytes exposes the eager bytes a rank holds unexpected, so tests
// can check that memory stays within the credit window.
func UnexpectedBytes(c *Comm) int { return c.w.eng.Stats().UnexpectedBytes }

// EagerWindow exposes the configured window.
func EagerWindow(c *Comm) int { return c.w.cfg.EagerWindow }

// PendingRendezvous exposes open rendezvous operations.
func PendingRendezvous(c *Comm) (sends, recvs int) { return c.w.rdv.pending() }
