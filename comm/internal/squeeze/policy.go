package squeeze

// Policy decides, per peer, whether the next message is worth trying to
// compress: after a message that did not shrink it skips the next ones,
// twice as many after every further failure (up to maxSkip), and starts
// over after a success. The zero Policy tries every message.
type Policy struct {
	skip    int // messages still to send without trying
	penalty int // messages to skip after the next failure
}

// maxSkip bounds the run of messages sent without trying, so that data
// that becomes compressible is noticed again.
const maxSkip = 64

// Try reports whether to try compressing the next message, and counts it.
func (p *Policy) Try() bool {
	if p.skip > 0 {
		p.skip--
		return false
	}
	return true
}

// Observe records whether a tried message shrank.
func (p *Policy) Observe(shrank bool) {
	if shrank {
		p.penalty = 0
		return
	}
	p.penalty = min(max(1, 2*p.penalty), maxSkip)
	p.skip = p.penalty
}

// pays reports whether packed bytes are worth sending instead of raw ones:
// they save at least an eighth.
func pays(packed, raw int) bool { return packed <= raw-raw/8 }
