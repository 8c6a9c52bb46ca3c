package sweep

import "math/rand/v2"

// Kind says what a run is for.
type Kind string

const (
	// Timed runs are the study's measurements.
	Timed Kind = "timed"
	// Warmup runs are discarded.
	Warmup Kind = "warmup"
	// Reference runs time a weak point's grown problem on one rank.
	Reference Kind = "reference"
)

// Item is one planned run: the point p, what the run is for, and which
// repeat of that point and kind it is (from 0).
type Item struct {
	P      int
	Kind   Kind
	Repeat int
}

// Rounds returns rounds of items: in each, every p of np once with the
// given kind, in an order drawn from rng; repeat numbers start at first.
// Shuffling each round, rather than the whole study, keeps the repeats of
// a point spread evenly over the study's time.
func Rounds(np []int, kind Kind, first, rounds int, rng *rand.Rand) []Item {
	var out []Item
	for r := range rounds {
		round := make([]Item, len(np))
		for i, p := range np {
			round[i] = Item{P: p, Kind: kind, Repeat: first + r}
		}
		rng.Shuffle(len(round), func(i, j int) { round[i], round[j] = round[j], round[i] })
		out = append(out, round...)
	}
	return out
}

// Plan returns the study's first runs: Warmup rounds, then Repeat rounds
// of timed runs, each round also holding the weak-mode reference runs when
// they are asked for (p = 1 needs none: its timed run is its reference).
// Rounds with a CI target follow as the study goes (see Run).
func Plan(c Config, rng *rand.Rand) []Item {
	items := Rounds(c.NP, Warmup, 0, c.Warmup, rng)
	refs := referencePoints(c)
	for r := range c.Repeat {
		round := append(Rounds(c.NP, Timed, r, 1, rng), Rounds(refs, Reference, r, 1, rng)...)
		rng.Shuffle(len(round), func(i, j int) { round[i], round[j] = round[j], round[i] })
		items = append(items, round...)
	}
	return items
}

// referencePoints are the points that get reference runs.
func referencePoints(c Config) []int {
	if c.Mode != Weak || !c.SerialReference {
		return nil
	}
	var out []int
	for _, p := range c.NP {
		if p > 1 {
			out = append(out, p)
		}
	}
	return out
}
