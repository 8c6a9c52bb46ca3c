package pmi

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Limits of the PMI-1 wire protocol. The key, value and KVS-name maxima are
// the numbers Hydra and Slurm announce in their get_maxes reply; a Server
// announces and enforces the same ones so that a program that works under
// spmdrun also works under mpiexec or srun.
const (
	// MaxLineLen is the longest request line a Server reads, its newline
	// included. A Client keeps every line it sends strictly shorter,
	// because Slurm reads each PMI-1 request with a single read() into a
	// buffer of this size.
	MaxLineLen = 1024
	// KVSNameMax is the longest KVS name (kvsname_max).
	KVSNameMax = 256
	// KeyLenMax is the longest KVS key (keylen_max).
	KeyLenMax = 64
	// ValLenMax is the longest KVS value (vallen_max).
	ValLenMax = 1024
)

// maxReplyLen bounds a reply line read by a Client. It is larger than
// MaxLineLen because a get_result reply carries a value of up to vallen_max
// bytes plus the reply's own keys, and servers do not cap that at 1024.
const maxReplyLen = 8192

// errLineTooLong is returned by readLine when no newline arrives within the
// reader's buffer; the stream cannot be resynchronised after it.
var errLineTooLong = fmt.Errorf("%w: line too long", ErrProtocol)

// arg is one key=value token of a line.
type arg struct {
	key, val string
}

// message is one parsed PMI-1 line: `cmd=<cmd>` followed by key=value
// tokens, in wire order.
type message struct {
	cmd  string
	args []arg
}

// get returns the value of the first token named key.
func (m *message) get(key string) (string, bool) {
	for _, a := range m.args {
		if a.key == key {
			return a.val, true
		}
	}
	return "", false
}

// getInt returns the integer value of key; ok is false when key is absent.
func (m *message) getInt(key string) (n int, ok bool, err error) {
	v, ok := m.get(key)
	if !ok {
		return 0, false, nil
	}
	n, err = strconv.Atoi(v)
	if err != nil {
		return 0, true, fmt.Errorf("%w: %s=%q is not an integer", ErrProtocol, key, v)
	}
	return n, true, nil
}

// rc returns the reply's return code. A missing rc means success: old
// servers (and MPICH's own client) treat it that way.
func (m *message) rc() (int, error) {
	n, _, err := m.getInt("rc")
	return n, err
}

// isKeyByte reports whether b may appear in a token's key or in a command
// name. It is the character set of MPICH's own parser (alphanumerics, '_',
// '-', '/'), so anything we accept MPICH accepts too.
func isKeyByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
		b == '_' || b == '-' || b == '/'
}

// validName reports whether s is a non-empty command name or token key.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isKeyByte(s[i]) {
			return false
		}
	}
	return true
}

// validValue reports whether every byte of s is printable ASCII other than
// space (33..126). The wire has no escapes that Slurm understands, so such
// values are the only ones that survive every PMI-1 server.
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '!' || s[i] > '~' {
			return false
		}
	}
	return true
}

// parseLine parses one line, without its newline, into a message. It is the
// only code that interprets bytes from a peer.
//
// Accepted syntax, as MPICH and Slurm emit it: the line starts with "cmd=";
// tokens are separated by one or more spaces; a token is key=value, where
// the key uses isKeyByte characters and the value runs to the next space
// and may contain '=' or any other printable byte, or a bare key, which is
// read as an empty value. Backslashes are kept verbatim: MPICH's encoder
// never escapes, so unescaping would alter values it sent. Every byte must
// be printable ASCII or space.
func parseLine(line []byte) (message, error) {
	for i, b := range line {
		if b < ' ' || b > '~' {
			return message{}, fmt.Errorf("%w: non-printable byte %#02x at offset %d", ErrProtocol, b, i)
		}
	}
	s := string(line)
	if !strings.HasPrefix(s, "cmd=") {
		if strings.HasPrefix(s, "mcmd=") {
			return message{}, fmt.Errorf("%w: multi-line mcmd requests are not supported", ErrProtocol)
		}
		return message{}, fmt.Errorf("%w: line does not start with cmd=", ErrProtocol)
	}
	var m message
	for i, tok := range strings.Fields(s) {
		key, val, _ := strings.Cut(tok, "=")
		if !validName(key) {
			return message{}, fmt.Errorf("%w: invalid key in token %d", ErrProtocol, i)
		}
		if i == 0 {
			if !validName(val) {
				return message{}, fmt.Errorf("%w: invalid command name", ErrProtocol)
			}
			m.cmd = val
			continue
		}
		m.args = append(m.args, arg{key: key, val: val})
	}
	return m, nil
}

// parseRequest parses a request line as parseLine does, except that the
// message= value of an abort runs to the end of the line, spaces included:
// it is free text for people, and clients do send it with spaces.
func parseRequest(line []byte) (message, error) {
	if bytes.HasPrefix(line, []byte("cmd=abort ")) {
		if head, msg, ok := bytes.Cut(line, []byte(" message=")); ok {
			m, err := parseLine(head)
			if err != nil {
				return message{}, err
			}
			for _, b := range msg {
				if b < ' ' || b > '~' {
					return message{}, fmt.Errorf("%w: non-printable byte %#02x in abort message", ErrProtocol, b)
				}
			}
			m.args = append(m.args, arg{key: "message", val: string(msg)})
			return m, nil
		}
	}
	return parseLine(line)
}

// appendMessage appends m's wire form, newline included, to dst. It checks
// that the line will parse back to m: names valid, values space-free.
func appendMessage(dst []byte, m message) ([]byte, error) {
	if !validName(m.cmd) {
		return dst, fmt.Errorf("pmi: invalid command name %q", m.cmd)
	}
	dst = append(dst, "cmd="...)
	dst = append(dst, m.cmd...)
	for _, a := range m.args {
		if !validName(a.key) {
			return dst, fmt.Errorf("pmi: invalid key %q", a.key)
		}
		if !validValue(a.val) {
			return dst, fmt.Errorf("pmi: value of %s is not printable, space-free ASCII", a.key)
		}
		dst = append(dst, ' ')
		dst = append(dst, a.key...)
		dst = append(dst, '=')
		dst = append(dst, a.val...)
	}
	return append(dst, '\n'), nil
}

// encodeLine returns the line `cmd=<cmd> k1=v1 k2=v2 ...\n`; kv alternates
// keys and values.
func encodeLine(cmd string, kv ...string) ([]byte, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("pmi: encodeLine: odd number of key/value strings")
	}
	m := message{cmd: cmd, args: make([]arg, 0, len(kv)/2)}
	for i := 0; i < len(kv); i += 2 {
		m.args = append(m.args, arg{key: kv[i], val: kv[i+1]})
	}
	return appendMessage(make([]byte, 0, 64), m)
}

// readLine returns the next line from br without its newline. The slice is
// valid only until the next read from br. A line that does not fit br's
// buffer yields errLineTooLong, so the bound on memory is the buffer size
// chosen by the caller, never a length sent by the peer. A stream that ends
// mid-line yields io.ErrUnexpectedEOF; a clean end, io.EOF.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	switch {
	case err == nil:
		return line[:len(line)-1], nil
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, fmt.Errorf("%w (more than %d bytes without a newline)", errLineTooLong, br.Size())
	case errors.Is(err, io.EOF) && len(line) == 0:
		return nil, io.EOF
	case errors.Is(err, io.EOF):
		return nil, fmt.Errorf("pmi: stream ended inside a line: %w", io.ErrUnexpectedEOF)
	default:
		return nil, err
	}
}

// lineCodec is the PMI-1 wire for a client: requests are lines below
// MaxLineLen, replies lines of up to the reader's size (maxReplyLen), and
// a reply without rc means success.
type lineCodec struct{}

func (lineCodec) encode(cmd string, kv []string) ([]byte, error) {
	line, err := encodeLine(cmd, kv...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(line) >= MaxLineLen {
		return nil, fmt.Errorf("%w: %s request would be %d bytes; PMI-1 lines must be shorter than %d",
			ErrInvalid, cmd, len(line), MaxLineLen)
	}
	return line, nil
}

func (lineCodec) read(br *bufio.Reader) ([]byte, error) { return readLine(br) }

func (lineCodec) parse(p []byte) (message, error) { return parseLine(p) }

func (lineCodec) needsRC() bool { return false }

// rejected builds the error for a PMI-1 reply with rc != 0. PMI-1 servers
// explain in msg; some use errmsg.
func (lineCodec) rejected(what string, rc int, m *message) error {
	msg, _ := m.get("msg")
	if msg == "" {
		msg, _ = m.get("errmsg")
	}
	return fmt.Errorf("%w: %s: rc=%d msg=%s", ErrRejected, what, rc, msg)
}
