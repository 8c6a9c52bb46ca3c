package comm

// The calls that make or free a communicator (Split, Dup, CartCreate,
// CartSub, Free) count as operations of their own: each begins with one
// line that, when the communicator is profiled, defers commCall with the
// call's start. A call that makes its communicator through another of them
// (CartCreate through Split) uses the other's unexported body, so that
// the program's one call counts once.

// commCall records a call of op, one of the calls that make or free a
// communicator, on c, which began at start. Their messages go over c's
// collective view, which is never profiled, so each counts as one call.
func (p *profiler) commCall(op opID, c *Comm, start int64) {
	e := profCall{op: uint16(op), start: start, peer: -1, tag: AnyTag, ctx: c.ctx}
	p.record(&e)
}
