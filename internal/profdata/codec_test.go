package profdata

import (
	"bytes"
	"errors"
	"testing"
)

func sample() *RankData {
	return &RankData{
		Rank: 1, Size: 2, Host: "h", InitNs: 10, FinalizeNs: 110, SpmdNs: 40,
		Ops:       map[string]*OpStats{"Send": {Calls: 2, Ns: 30, MaxNs: 20, Bytes: 16}},
		SentBytes: []uint64{16, 0}, SentMsgs: []uint64{2, 0},
		Trace: []Event{{Name: "Send", StartNs: 20, EndNs: 30, Peer: 0, SendSeq: 1}},
	}
}

func TestRoundTrip(t *testing.T) {
	var b bytes.Buffer
	if err := Encode(&b, sample()); err != nil {
		t.Fatal(err)
	}
	d, err := Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if d.Ops["Send"].Calls != 2 || d.Trace[0].SendSeq != 1 || d.Version != Version {
		t.Fatalf("decoded %+v", d)
	}
}

func TestDecodeRejects(t *testing.T) {
	for name, mutate := range map[string]func(*RankData){
		"rank out of world": func(d *RankData) { d.Rank = 2 },
		"short row":         func(d *RankData) { d.SentMsgs = d.SentMsgs[:1] },
		"span backwards":    func(d *RankData) { d.FinalizeNs = 0 },
		"event backwards":   func(d *RankData) { d.Trace[0].EndNs = 0 },
		"peer out of world": func(d *RankData) { d.Trace[0].Peer = 5 },
		"nil op":            func(d *RankData) { d.Ops["Recv"] = nil },
	} {
		d := sample()
		mutate(d)
		var b bytes.Buffer
		if err := Encode(&b, d); err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(&b); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: Decode = %v, want ErrFormat", name, err)
		}
	}
	if _, err := Decode(bytes.NewReader([]byte("{"))); !errors.Is(err, ErrFormat) {
		t.Errorf("truncated: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	var b bytes.Buffer
	_ = Encode(&b, sample())
	f.Add(b.Bytes())
	f.Add([]byte(`{"version":1,"rank":0,"size":1,"sent_bytes":[0],"sent_msgs":[0]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Encode(&out, d); err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(&out); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
	})
}
