package jobnames

import (
	"math"
	"strconv"
	"strings"
)

// Key prefixes that the launcher watches for (see the package doc).
const (
	// CardKeyPrefix starts the key of a rank's business card.
	CardKeyPrefix = "spmd-card-"
	// BlockedKeyPrefix starts the key of a rank's blocked-operations report.
	BlockedKeyPrefix = "spmd-blocked-"
	// LostKeyPrefix starts the key of a rank's report of a dead peer.
	LostKeyPrefix = "spmd-lost-"
)

// SpanKeyPrefix starts the key under which a rank reports, as Finalize
// begins, when its Init returned and its Finalize began:
// "spmd-span-<rank>" = "<init>:<fin>", Unix nanoseconds by its clock.
const SpanKeyPrefix = "spmd-span-"

// SpanKey returns rank's span key, "spmd-span-<rank>".
func SpanKey(rank int) string { return SpanKeyPrefix + strconv.Itoa(rank) }

// CookieKey is the key under which rank 0 publishes the job's cookie, as
// hex, when the launcher did not give one.
const CookieKey = "spmd-cookie"

// CardKey returns the key of rank's business card, "spmd-card-<rank>".
func CardKey(rank int) string { return CardKeyPrefix + strconv.Itoa(rank) }

// LostKey returns the key under which rank reports a dead peer,
// "spmd-lost-<rank>".
func LostKey(rank int) string { return LostKeyPrefix + strconv.Itoa(rank) }

// BlockedKey returns the key of rank's seq-th blocked-operations report,
// "spmd-blocked-<rank>-<seq>". A rank reports more than once in a run, and
// PMI keys are written once, so each report has a key of its own.
func BlockedKey(rank, seq int) string {
	return BlockedKeyPrefix + strconv.Itoa(rank) + "-" + strconv.Itoa(seq)
}

// ParseBlockedKey splits a key that BlockedKey made into its rank and
// sequence number. ok is false for any other key, and for numbers that are
// not plain non-negative decimals within int32's range.
func ParseBlockedKey(key string) (rank, seq int, ok bool) {
	rest, ok := strings.CutPrefix(key, BlockedKeyPrefix)
	if !ok {
		return 0, 0, false
	}
	r, s, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, 0, false
	}
	rank, okR := parseInt32(r)
	seq, okS := parseInt32(s)
	if !okR || !okS {
		return 0, 0, false
	}
	return rank, seq, true
}

// parseInt32 parses one or more ASCII digits with a value of at most
// math.MaxInt32.
func parseInt32(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > math.MaxInt32 {
		return 0, false
	}
	return int(n), true
}
