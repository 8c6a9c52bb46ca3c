package wire

import (
	"errors"
	"strings"
	"testing"
)

func TestPairMessagesRoundTrip(t *testing.T) {
	for _, o := range []Offer{
		{Pid: 1},
		{Flags: OfferShm, Pid: 1<<31 - 1, Name: "spmd-0123456789abcdef-3-12"},
		{Flags: OfferShm, Pid: 42, Name: strings.Repeat("a", SegmentNameSize)},
	} {
		b := make([]byte, OfferSize)
		if err := o.Encode(b); err != nil {
			t.Fatalf("encode %+v: %v", o, err)
		}
		var got Offer
		if err := got.Decode(b); err != nil || got != o {
			t.Fatalf("offer %+v came back as %+v, %v", o, got, err)
		}
	}
	for _, v := range []Verdict{{}, {Flags: Accepted}, {Flags: Accepted | ShmMapped, ProbeAddr: 0xc000123456}, {Flags: Accepted | ShmMapped | ReadsPeer, ProbeAddr: 1}} {
		b := make([]byte, VerdictSize)
		v.Encode(b)
		var got Verdict
		if err := got.Decode(b); err != nil || got != v {
			t.Fatalf("verdict %+v came back as %+v, %v", v, got, err)
		}
	}
	for _, c := range []Confirm{{}, {Flags: ReadsPeer}} {
		b := make([]byte, ConfirmSize)
		c.Encode(b)
		var got Confirm
		if err := got.Decode(b); err != nil || got != c {
			t.Fatalf("confirm %+v came back as %+v, %v", c, got, err)
		}
	}
}

func TestPairMessagesRejectBadInput(t *testing.T) {
	b := make([]byte, OfferSize)
	for _, o := range []Offer{
		{Flags: OfferShm, Pid: 1, Name: "../etc/passwd"},
		{Flags: OfferShm, Pid: 1, Name: ""},
		{Pid: 1, Name: "named-without-flag"},
		{Flags: OfferShm, Pid: 1, Name: strings.Repeat("a", SegmentNameSize+1)},
	} {
		if err := o.Encode(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("encode %+v: %v, want ErrMalformed", o, err)
		}
	}
	good := make([]byte, OfferSize)
	if err := (&Offer{Flags: OfferShm, Pid: 7, Name: "seg-1"}).Encode(good); err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	for name, bad := range map[string][]byte{
		"short":        good[:OfferSize-1],
		"magic":        mutate(func(b []byte) { b[0] ^= 1 }),
		"kind":         mutate(func(b []byte) { b[3] = 'x' }),
		"flags":        mutate(func(b []byte) { b[4] |= 2 }),
		"pid zero":     mutate(func(b []byte) { clear(b[8:16]) }),
		"pid huge":     mutate(func(b []byte) { b[15] = 1 }),
		"slash":        mutate(func(b []byte) { b[16] = '/' }),
		"not padded":   mutate(func(b []byte) { b[OfferSize-1] = 'x' }),
		"name no flag": mutate(func(b []byte) { b[4] = 0 }),
	} {
		var o Offer
		if err := o.Decode(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: decoded %+v, %v; want ErrMalformed", name, o, err)
		}
	}
	for _, flags := range []uint16{ShmMapped, ReadsPeer, Accepted | ReadsPeer, 8} {
		b := make([]byte, VerdictSize)
		putPairHead(b, flags)
		var v Verdict
		if err := v.Decode(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("verdict flags %#x: %v, want ErrMalformed", flags, err)
		}
	}
	c := make([]byte, ConfirmSize)
	putPairHead(c, Accepted)
	if err := new(Confirm).Decode(c); !errors.Is(err, ErrMalformed) {
		t.Errorf("confirm with Accepted: %v, want ErrMalformed", err)
	}
}

func FuzzDecodePair(f *testing.F) {
	o := make([]byte, OfferSize)
	_ = (&Offer{Flags: OfferShm, Pid: 99, Name: "spmd-00ff-1-2"}).Encode(o)
	f.Add(o)
	v := make([]byte, VerdictSize)
	(&Verdict{Flags: Accepted | ShmMapped | ReadsPeer, ProbeAddr: 4096}).Encode(v)
	f.Add(v)
	c := make([]byte, ConfirmSize)
	(&Confirm{Flags: ReadsPeer}).Encode(c)
	f.Add(c)
	f.Fuzz(func(t *testing.T, b []byte) {
		var o Offer
		if o.Decode(b) == nil {
			if o.Name != "" && !ValidSegmentName(o.Name) {
				t.Fatalf("accepted segment name %q", o.Name)
			}
			out := make([]byte, OfferSize)
			if err := o.Encode(out); err != nil || string(out) != string(b) {
				t.Fatalf("offer %+v re-encodes differently (%v)", o, err)
			}
		}
		var v Verdict
		if v.Decode(b) == nil {
			out := make([]byte, VerdictSize)
			v.Encode(out)
			if string(out) != string(b) {
				t.Fatalf("verdict %+v re-encodes differently", v)
			}
		}
		var c Confirm
		if c.Decode(b) == nil && c.Flags&^ReadsPeer != 0 {
			t.Fatalf("confirm flags %#x accepted", c.Flags)
		}
	})
}
