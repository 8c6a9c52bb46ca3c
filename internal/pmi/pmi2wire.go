package pmi

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// PMI-2 wire framing. After the PMI-1-style init line, every message is a
// decimal length in a field of lenFieldWidth ASCII bytes, then that many
// bytes of payload: `cmd=<name>;key=value;key=value;`. MPICH pads the length
// on the left ("%6u"), Slurm on the right ("%-6d"); both are read.
const (
	// lenFieldWidth is the width of a PMI-2 message's length field.
	lenFieldWidth = 6
	// MaxFrameLen bounds the payload of a PMI-2 reply that the client
	// accepts. A longer announced length is a protocol error: the bytes
	// are never read, so a hostile or broken server cannot make the client
	// allocate more. A reply carries at most one value of ValLenMax bytes
	// (a job attribute such as PMI_process_mapping may be somewhat longer)
	// plus a few short keys, so this is ample.
	MaxFrameLen = 64 << 10
)

// readFrame reads one PMI-2 message from br and returns its payload. The
// slice is freshly allocated. A payload longer than limit is not read and
// yields ErrProtocol; the stream is then out of step. A stream that ends
// before the first byte yields io.EOF; one that ends inside the message
// yields an error wrapping io.ErrUnexpectedEOF.
func readFrame(br *bufio.Reader, limit int) ([]byte, error) {
	var field [lenFieldWidth]byte
	if n, err := io.ReadFull(br, field[:]); err != nil {
		if errors.Is(err, io.EOF) && n == 0 {
			return nil, io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("pmi: stream ended inside a PMI-2 length field (%d of %d bytes): %w", n, lenFieldWidth, err)
		}
		return nil, err
	}
	n, err := parseLenField(field[:])
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("%w: PMI-2 message of %d bytes exceeds the limit of %d", ErrProtocol, n, limit)
	}
	payload := make([]byte, n)
	if got, err := io.ReadFull(br, payload); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("pmi: stream ended inside a PMI-2 message (%d of %d bytes): %w", got, n, err)
	}
	return payload, nil
}

// parseLenField parses a PMI-2 length field: decimal digits with spaces on
// either side ("    42" or "42    "). An empty message (length 0) is an
// error: no command fits in it.
func parseLenField(field []byte) (int, error) {
	lo, hi := 0, len(field)
	for lo < hi && field[lo] == ' ' {
		lo++
	}
	for hi > lo && field[hi-1] == ' ' {
		hi--
	}
	digits := field[lo:hi]
	if len(digits) == 0 {
		return 0, fmt.Errorf("%w: blank PMI-2 length field", ErrProtocol)
	}
	n := 0
	for _, b := range digits {
		if b < '0' || b > '9' {
			return 0, fmt.Errorf("%w: PMI-2 length field %q is not a decimal number", ErrProtocol, field)
		}
		n = n*10 + int(b-'0') // at most six digits: no overflow
	}
	if n == 0 {
		return 0, fmt.Errorf("%w: PMI-2 message of length 0", ErrProtocol)
	}
	return n, nil
}

// parseFrame parses a PMI-2 payload into a message. It is the only code
// that interprets PMI-2 bytes from a peer.
//
// Accepted syntax: the payload starts with "cmd=<name>"; then key=value
// pairs follow, each ended by ';' (the last one's ';' may be missing). A
// key uses isKeyByte characters; a value runs to the next single ';' and
// may be empty. ";;" inside a value stands for one ';' (the escape of the
// original PMI-2 wire protocol, which MPICH's first PMI-2 client and server
// wrote). Every byte must be printable ASCII or space: values may contain
// spaces, which the PMI-2 wire, unlike PMI-1, does not use as a separator.
func parseFrame(payload []byte) (message, error) {
	for i, b := range payload {
		if b < ' ' || b > '~' {
			return message{}, fmt.Errorf("%w: non-printable byte %#02x at offset %d of a PMI-2 message", ErrProtocol, b, i)
		}
	}
	var m message
	for i, first := 0, true; i < len(payload); first = false {
		eq := i
		for eq < len(payload) && isKeyByte(payload[eq]) {
			eq++
		}
		key := string(payload[i:eq])
		if key == "" || eq == len(payload) || payload[eq] != '=' {
			return message{}, fmt.Errorf("%w: PMI-2 message: expected key=value at offset %d", ErrProtocol, i)
		}
		val, next := scanValue(payload, eq+1)
		i = next
		if first {
			if key != "cmd" || !validName(val) {
				return message{}, fmt.Errorf("%w: PMI-2 message does not start with cmd=<name>", ErrProtocol)
			}
			m.cmd = val
			continue
		}
		m.args = append(m.args, arg{key: key, val: val})
	}
	if m.cmd == "" {
		return message{}, fmt.Errorf("%w: empty PMI-2 message", ErrProtocol)
	}
	return m, nil
}

// scanValue reads a value that starts at p[i], undoing ";;" escapes, and
// returns it with the offset after its terminating ';' (or len(p)).
func scanValue(p []byte, i int) (string, int) {
	start := i
	var unescaped []byte // allocated only if the value has an escape
	for i < len(p) {
		if p[i] != ';' {
			i++
			continue
		}
		if i+1 < len(p) && p[i+1] == ';' {
			unescaped = append(unescaped, p[start:i+1]...)
			i += 2
			start = i
			continue
		}
		break
	}
	val := string(append(unescaped, p[start:i]...))
	if i < len(p) {
		i++ // the terminating ';'
	}
	return val, i
}

// appendFrame appends m's PMI-2 wire form, length field included, to dst.
// Names must be valid (validName) and values printable ASCII or space; a
// ';' in a value is doubled, as the PMI-2 wire protocol specifies. (The
// client never sends a ';' in a value: Slurm's and today's MPICH's parsers
// do not undo the doubling. See pmi2Client.Put.)
func appendFrame(dst []byte, m message) ([]byte, error) {
	if !validName(m.cmd) {
		return dst, fmt.Errorf("pmi: invalid command name %q", m.cmd)
	}
	start := len(dst)
	dst = append(dst, "      cmd="...) // length field, filled in below
	dst = append(dst, m.cmd...)
	dst = append(dst, ';')
	for _, a := range m.args {
		if !validName(a.key) {
			return dst[:start], fmt.Errorf("pmi: invalid key %q", a.key)
		}
		dst = append(dst, a.key...)
		dst = append(dst, '=')
		for i := 0; i < len(a.val); i++ {
			b := a.val[i]
			if b < ' ' || b > '~' {
				return dst[:start], fmt.Errorf("pmi: value of %s is not printable ASCII", a.key)
			}
			if b == ';' {
				dst = append(dst, ';')
			}
			dst = append(dst, b)
		}
		dst = append(dst, ';')
	}
	n := len(dst) - start - lenFieldWidth
	field := strconv.Itoa(n)
	if len(field) > lenFieldWidth {
		return dst[:start], fmt.Errorf("pmi: PMI-2 message of %d bytes does not fit the length field", n)
	}
	// Right-aligned, as MPICH writes it ("%6u").
	copy(dst[start+lenFieldWidth-len(field):], field)
	return dst, nil
}

// encodeFrame returns the PMI-2 message `cmd=<cmd>;k1=v1;k2=v2;...` with
// its length field; kv alternates keys and values.
func encodeFrame(cmd string, kv ...string) ([]byte, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("pmi: encodeFrame: odd number of key/value strings")
	}
	m := message{cmd: cmd, args: make([]arg, 0, len(kv)/2)}
	for i := 0; i < len(kv); i += 2 {
		m.args = append(m.args, arg{key: kv[i], val: kv[i+1]})
	}
	return appendFrame(make([]byte, 0, 64), m)
}

// frameCodec is the PMI-2 wire for a client: requests and replies are
// length-prefixed frames, a reply at most MaxFrameLen bytes, and every
// reply carries rc.
type frameCodec struct{}

func (frameCodec) encode(cmd string, kv []string) ([]byte, error) {
	frame, err := encodeFrame(cmd, kv...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return frame, nil
}

func (frameCodec) read(br *bufio.Reader) ([]byte, error) { return readFrame(br, MaxFrameLen) }

func (frameCodec) parse(p []byte) (message, error) { return parseFrame(p) }

func (frameCodec) needsRC() bool { return true }

// rejected builds the error for a PMI-2 reply with rc != 0. PMI-2 servers
// explain in errmsg; some also use msg.
func (frameCodec) rejected(what string, rc int, m *message) error {
	msg, _ := m.get("errmsg")
	if msg == "" {
		msg, _ = m.get("msg")
	}
	return fmt.Errorf("%w: %s: rc=%d errmsg=%s", ErrRejected, what, rc, msg)
}
