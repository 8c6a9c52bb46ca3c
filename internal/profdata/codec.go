package profdata

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrFormat is wrapped by every error Decode returns for malformed data.
var ErrFormat = errors.New("profdata: malformed rank data")

// maxEncoded bounds what Decode reads: a trace at its largest default
// limit fits several times over.
const maxEncoded = 1 << 30

// Encode writes d to w.
func Encode(w io.Writer, d *RankData) error {
	d.Version = Version
	if err := json.NewEncoder(w).Encode(d); err != nil {
		return fmt.Errorf("profdata: encode rank %d: %w", d.Rank, err)
	}
	return nil
}

// Decode reads one RankData written by Encode and checks that it is
// consistent: a known version, a rank within the world, communication
// rows of the world's size, events that end no earlier than they start.
func Decode(r io.Reader) (*RankData, error) {
	var d RankData
	dec := json.NewDecoder(io.LimitReader(r, maxEncoded))
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if err := d.check(); err != nil {
		return nil, err
	}
	return &d, nil
}

func (d *RankData) check() error {
	switch {
	case d.Version != Version:
		return fmt.Errorf("%w: version %d, want %d", ErrFormat, d.Version, Version)
	case d.Size < 1 || d.Rank < 0 || d.Rank >= d.Size:
		return fmt.Errorf("%w: rank %d of %d", ErrFormat, d.Rank, d.Size)
	case len(d.SentBytes) != d.Size || len(d.SentMsgs) != d.Size:
		return fmt.Errorf("%w: rank %d: communication rows of %d and %d entries, want %d",
			ErrFormat, d.Rank, len(d.SentBytes), len(d.SentMsgs), d.Size)
	case d.FinalizeNs < d.InitNs || d.SpmdNs < 0:
		return fmt.Errorf("%w: rank %d: span %d..%d, %d ns in spmd", ErrFormat, d.Rank, d.InitNs, d.FinalizeNs, d.SpmdNs)
	}
	for name, op := range d.Ops {
		if op == nil || op.Ns < 0 || op.MaxNs < 0 {
			return fmt.Errorf("%w: rank %d: operation %q", ErrFormat, d.Rank, name)
		}
	}
	for name, rg := range d.Regions {
		if rg == nil || rg.Ns < 0 || rg.SpmdNs < 0 {
			return fmt.Errorf("%w: rank %d: region %q", ErrFormat, d.Rank, name)
		}
	}
	for i, e := range d.Trace {
		if e.EndNs < e.StartNs || e.Peer < -1 || e.Peer >= d.Size {
			return fmt.Errorf("%w: rank %d: event %d (%s)", ErrFormat, d.Rank, i, e.Name)
		}
	}
	return nil
}
