package wire

import (
	"encoding/binary"
	"fmt"
)

// Pair set-up. Connections are made on first use, by whichever rank of a
// pair first has a frame for the other, so both may dial at once. After
// the cookie handshake the dialer sends an Offer; the listener answers
// with a Verdict: it takes the connection, or declines it because it is
// dialling the same peer itself and its own connection wins (the one
// dialled by the lower rank), and, when the offer named a shared-memory
// segment, whether it mapped it and can read the dialer's memory. When the
// listener took the connection and mapped the segment, the dialer ends the
// exchange with a Confirm saying whether it can read the listener's memory.
// Frames follow only after that, so a declined connection never carries one.
const (
	OfferSize   = 4 + 4 + 8 + SegmentNameSize // magic, version, flags, pid, name
	VerdictSize = 4 + 4 + 8                   // magic, version, flags, probe address
	ConfirmSize = 4 + 4                       // magic, version, flags
	// SegmentNameSize is the room for a segment's name in an Offer,
	// padded with zero bytes.
	SegmentNameSize = 64
)

// Offer flags.
const (
	// OfferShm: the dialer created the pair's shared-memory segment named
	// in the offer.
	OfferShm uint16 = 1 << iota
)

// Verdict flags.
const (
	// Accepted: the listener takes this connection for the pair.
	Accepted uint16 = 1 << iota
	// ShmMapped: the listener mapped the offered segment; the pair talks
	// through it.
	ShmMapped
	// ReadsPeer: the sender of the Verdict (or of a Confirm) may copy from
	// the other's memory (process_vm_readv).
	ReadsPeer
)

// Offer is the dialer's first word after the handshake.
type Offer struct {
	Flags uint16
	Pid   int64  // the dialer's process id
	Name  string // the segment's name when Flags has OfferShm
}

// Verdict is the listener's answer to an Offer.
type Verdict struct {
	Flags uint16
	// ProbeAddr is where, in the listener's process, its mapping of the
	// segment holds the segment's probe value: the dialer reads it there to
	// learn whether it may read the listener's memory.
	ProbeAddr uint64
}

// Confirm is the dialer's last word of the set-up, sent only when the
// Verdict has both Accepted and ShmMapped.
type Confirm struct {
	Flags uint16 // ReadsPeer or 0
}

func putPairHead(b []byte, flags uint16) {
	binary.LittleEndian.PutUint16(b, Magic)
	b[2], b[3] = Version, 'p'
	binary.LittleEndian.PutUint16(b[4:], flags)
	b[6], b[7] = 0, 0
}

func pairHead(b []byte, size int, what string) (uint16, error) {
	if len(b) != size {
		return 0, fmt.Errorf("%w: %s of %d bytes", ErrMalformed, what, len(b))
	}
	if binary.LittleEndian.Uint16(b) != Magic || b[2] != Version || b[3] != 'p' || b[6] != 0 || b[7] != 0 {
		return 0, fmt.Errorf("%w: %s from an incompatible peer", ErrMalformed, what)
	}
	return binary.LittleEndian.Uint16(b[4:]), nil
}

// Encode writes o into b (OfferSize bytes). The name must fit in
// SegmentNameSize bytes and be a valid segment name (ValidSegmentName).
func (o *Offer) Encode(b []byte) error {
	_ = b[OfferSize-1]
	if o.Flags&OfferShm != 0 && !ValidSegmentName(o.Name) || o.Flags&OfferShm == 0 && o.Name != "" {
		return fmt.Errorf("%w: offer of segment %q", ErrMalformed, o.Name)
	}
	putPairHead(b, o.Flags)
	binary.LittleEndian.PutUint64(b[8:], uint64(o.Pid))
	clear(b[16:OfferSize])
	copy(b[16:], o.Name)
	return nil
}

// Decode parses b into o: unknown flags, a process id out of range, or a
// segment name that is not ValidSegmentName (exactly when OfferShm is
// set) are errors.
func (o *Offer) Decode(b []byte) error {
	flags, err := pairHead(b, OfferSize, "offer")
	if err != nil {
		return err
	}
	if flags&^OfferShm != 0 {
		return fmt.Errorf("%w: offer flags %#x", ErrMalformed, flags)
	}
	pid := int64(binary.LittleEndian.Uint64(b[8:]))
	if pid <= 0 || pid > 1<<31-1 {
		return fmt.Errorf("%w: offer from process %d", ErrMalformed, pid)
	}
	raw := b[16:OfferSize]
	n := 0
	for n < len(raw) && raw[n] != 0 {
		n++
	}
	for _, c := range raw[n:] {
		if c != 0 {
			return fmt.Errorf("%w: offer's segment name is not zero-padded", ErrMalformed)
		}
	}
	name := string(raw[:n])
	if (flags&OfferShm != 0) != (name != "") || name != "" && !ValidSegmentName(name) {
		return fmt.Errorf("%w: offer of segment %q with flags %#x", ErrMalformed, name, flags)
	}
	*o = Offer{Flags: flags, Pid: pid, Name: name}
	return nil
}

// ValidSegmentName reports whether s can name a pair's segment: 1 to
// SegmentNameSize bytes of letters, digits and '-', so that it is a plain
// file name in the shared-memory directory, never a path.
func ValidSegmentName(s string) bool {
	if s == "" || len(s) > SegmentNameSize {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Encode writes v into b (VerdictSize bytes).
func (v *Verdict) Encode(b []byte) {
	_ = b[VerdictSize-1]
	putPairHead(b, v.Flags)
	binary.LittleEndian.PutUint64(b[8:], v.ProbeAddr)
}

// Decode parses b into v. Flags other than Accepted, ShmMapped and
// ReadsPeer, or ShmMapped or ReadsPeer without Accepted, or ReadsPeer
// without ShmMapped, are errors.
func (v *Verdict) Decode(b []byte) error {
	flags, err := pairHead(b, VerdictSize, "verdict")
	if err != nil {
		return err
	}
	if flags&^(Accepted|ShmMapped|ReadsPeer) != 0 ||
		flags&Accepted == 0 && flags != 0 || flags&ReadsPeer != 0 && flags&ShmMapped == 0 {
		return fmt.Errorf("%w: verdict flags %#x", ErrMalformed, flags)
	}
	*v = Verdict{Flags: flags, ProbeAddr: binary.LittleEndian.Uint64(b[8:])}
	return nil
}

// Encode writes c into b (ConfirmSize bytes).
func (c *Confirm) Encode(b []byte) {
	_ = b[ConfirmSize-1]
	putPairHead(b, c.Flags)
}

// Decode parses b into c; flags other than ReadsPeer are errors.
func (c *Confirm) Decode(b []byte) error {
	flags, err := pairHead(b, ConfirmSize, "confirm")
	if err != nil {
		return err
	}
	if flags&^ReadsPeer != 0 {
		return fmt.Errorf("%w: confirm flags %#x", ErrMalformed, flags)
	}
	c.Flags = flags
	return nil
}
