package comm

// Wildcards for receives and probes.
const (
	// AnySource matches a message from any rank.
	AnySource = -1
	// AnyTag matches a message with any (non-negative) tag.
	AnyTag = -1
	// Undefined as a Split color leaves the caller out of every new communicator.
	Undefined = -32766
)

// Status describes a received or probed message.
type Status struct {
	Source int // sender's rank in the communicator
	Tag    int
	Bytes  int // bytes received (or, for a probe, the message's length)
}
