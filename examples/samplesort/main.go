// Command samplesort sorts random 64-bit integers spread over the ranks by
// sample sort with regular sampling (Shi and Schaeffer's PSRS), and checks
// the result.
//
// Usage:
//
//	spmdrun -n 4 samplesort [-n 1000000] [-seed 1]
//
// Each of the p ranks generates -n keys (uniform over all int64 values,
// seeded by -seed and its rank). Sorting them means leaving every rank with
// a sorted run such that every key on rank r is ≤ every key on rank r+1.
// The algorithm, with N = p·n keys in all:
//
//  1. Each rank sorts its keys (n log n) and picks p−1 regular samples, the
//     keys at positions i·n/p for i = 1 … p−1, which cut its run into p
//     nearly equal parts.
//  2. Allgather of the samples: every rank gets the same p(p−1) samples,
//     sorts them and takes every (p−1)-th as the p−1 splitters
//     s₁ ≤ … ≤ s_{p−1}. Being the same on every rank, they need no further
//     agreement.
//  3. Each rank cuts its sorted run at the splitters (binary search): keys in
//     (s_j, s_{j+1}] belong to rank j (s₀ = −∞, s_p = +∞), so equal keys all
//     go to one rank.
//  4. Alltoall of the part sizes, so every rank knows what it will receive;
//     then Alltoallv of the keys themselves, the one step that moves data
//     (about N(p−1)/p keys in all).
//  5. Each rank merges the p sorted runs it received (n log p).
//
// Regular sampling bounds the imbalance: with distinct keys no rank ends
// with much more than 2n keys, and for random keys the largest share is
// within a few per cent of n. The cost per rank is O(n log n) to sort, one
// allgather of p(p−1) keys and one alltoall of p counts (latency-bound,
// O(log p) or O(p) messages), and an alltoallv that moves about n keys in
// and out.
//
// The check, on every rank and combined by collectives: the rank's keys are
// in order; Allgather of each rank's (count, smallest, largest) shows that
// every nonempty rank's smallest key is ≥ the largest key of the nonempty
// ranks before it; Allreduce (Sum) of the counts and of wrapping sums of
// the keys before and after shows that no key was lost or duplicated
// (p·n keys in all, same sum). Rank 0 prints
//
//	samplesort: 4000000 keys on 4 ranks in 0.412 s, largest share 1000742 keys (1.00 × n); sorted: ok
//
// or "sorted: FAILED" with the reason, and then exits with status 1.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spmd-go/spmd/collective"
	"github.com/spmd-go/spmd/comm"
)

func main() {
	n := flag.Int("n", 1_000_000, "`keys` per rank")
	seed := flag.Uint64("seed", 1, "`seed` of the keys (each rank mixes in its rank)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: spmdrun -n N samplesort [-n keys] [-seed S]\n\nSorts random int64 keys over the ranks by sample sort and checks the result.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("samplesort: ")
	switch {
	case flag.NArg() > 0:
		flag.Usage()
		os.Exit(2)
	case *n < 1:
		log.Printf("-n must be at least 1, got %d", *n)
		os.Exit(2)
	}

	w, err := comm.Init()
	if err != nil {
		log.Fatalf("init: %v", err)
	}
	log.SetPrefix(fmt.Sprintf("samplesort: rank %d: ", w.Rank()))

	keys := generate(*seed, w.Rank(), *n)
	before := wrappingSum(keys)
	if err := collective.Barrier(w); err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	share, err := sampleSort(w, keys)
	if err != nil {
		log.Fatal(err) // the launcher ends the other ranks
	}
	elapsed := time.Since(start)
	rep, err := check(w, share, before, int64(*n)*int64(w.Size()))
	if err != nil {
		log.Fatal(err)
	}

	// Every rank finalizes before a failed check turns into an exit status,
	// so that the job ends cleanly either way.
	if w.Rank() == 0 {
		verdict := "ok"
		if rep.err != nil {
			verdict = "FAILED: " + strings.ReplaceAll(rep.err.Error(), "\n", "; ")
		}
		fmt.Printf("samplesort: %d keys on %d rank%s in %.3f s, largest share %d keys (%.2f × n); sorted: %s\n",
			rep.total, w.Size(), plural(w.Size()), elapsed.Seconds(), rep.largest, float64(rep.largest)/float64(*n), verdict)
	}
	if err := w.Finalize(); err != nil {
		log.Fatal(err)
	}
	if rep.err != nil {
		os.Exit(1)
	}
}

// generate returns rank's n keys, uniform over all int64 values.
func generate(seed uint64, rank, n int) []int64 {
	rng := rand.New(rand.NewPCG(seed, uint64(rank)))
	keys := make([]int64, n)
	for i := range keys {
		keys[i] = int64(rng.Uint64())
	}
	return keys
}

// sampleSort sorts the keys of all ranks of w (keys is this rank's part, at
// least one key, and is reordered) and returns this rank's share of the
// result, sorted; the shares are in rank order.
func sampleSort(w *comm.Comm, keys []int64) ([]int64, error) {
	p := w.Size()
	slices.Sort(keys)
	if p == 1 {
		return keys, nil
	}

	// Steps 1 and 2: regular samples, gathered everywhere, give the splitters.
	samples := make([]int64, p-1)
	for i := range samples {
		samples[i] = keys[(i+1)*len(keys)/p]
	}
	all := make([]int64, p*(p-1))
	if err := collective.Allgather(w, samples, all); err != nil {
		return nil, fmt.Errorf("allgather the samples: %w", err)
	}
	slices.Sort(all)
	splitters := make([]int64, p-1)
	for i := range splitters {
		splitters[i] = all[(i+1)*(p-1)]
	}

	// Step 3: rank j gets the keys in (splitters[j-1], splitters[j]].
	sendCounts := make([]int, p)
	lo := 0
	for j, s := range splitters {
		hi := upperBound(keys, s)
		sendCounts[j], lo = hi-lo, hi
	}
	sendCounts[p-1] = len(keys) - lo

	// Step 4: sizes first, then the keys.
	recvCounts := make([]int, p)
	if err := collective.Alltoall(w, sendCounts, recvCounts); err != nil {
		return nil, fmt.Errorf("alltoall the part sizes: %w", err)
	}
	total := 0
	for _, c := range recvCounts {
		total += c
	}
	recv := make([]int64, total)
	if err := collective.Alltoallv(w, keys, sendCounts, recv, recvCounts); err != nil {
		return nil, fmt.Errorf("alltoallv the keys: %w", err)
	}

	// Step 5: merge the p sorted runs.
	return mergeRuns(recv, recvCounts), nil
}

// upperBound returns the index of the first key of sorted keys that is
// greater than x (len(keys) if none).
func upperBound(keys []int64, x int64) int {
	i, found := slices.BinarySearch(keys, x)
	if found {
		for i < len(keys) && keys[i] == x {
			i++
		}
	}
	return i
}

// report is the outcome of check, the same on every rank.
type report struct {
	total   int64 // keys on all ranks
	largest int64 // keys on the fullest rank
	err     error // nil if the keys are sorted and complete
}

// errUnsorted is wrapped by report.err when the check fails.
var errUnsorted = errors.New("keys not sorted")

// check verifies that the shares of all ranks are sorted, in rank order,
// and hold want keys whose wrapping sum equals the sum of the keys before
// sorting (before, this rank's part). Errors of the collectives are
// returned; a failed check is in the report.
func check(w *comm.Comm, share []int64, before, want int64) (report, error) {
	var rep report
	// (count, smallest, largest) of every rank, everywhere.
	mine := []int64{int64(len(share)), 0, 0}
	if len(share) > 0 {
		mine[1], mine[2] = share[0], share[len(share)-1]
	}
	bounds := make([]int64, 3*w.Size())
	if err := collective.Allgather(w, mine, bounds); err != nil {
		return rep, fmt.Errorf("allgather the bounds: %w", err)
	}
	// Σ unsorted ranks, Σ keys before, Σ keys after (both wrapping).
	var unsorted int64
	if !slices.IsSorted(share) {
		unsorted = 1
	}
	sums := make([]int64, 3)
	if err := collective.Allreduce(w, []int64{unsorted, before, wrappingSum(share)}, sums, collective.Sum); err != nil {
		return rep, fmt.Errorf("allreduce the sums: %w", err)
	}

	var errs []error
	if sums[0] > 0 {
		errs = append(errs, fmt.Errorf("%d rank(s) hold unsorted keys: %w", sums[0], errUnsorted))
	}
	prev := -1 // the last nonempty rank
	for r := range w.Size() {
		count, lo := bounds[3*r], bounds[3*r+1]
		rep.total += count
		rep.largest = max(rep.largest, count)
		if count == 0 {
			continue
		}
		if prev >= 0 && bounds[3*prev+2] > lo {
			errs = append(errs, fmt.Errorf("rank %d's largest key %d exceeds rank %d's smallest %d: %w",
				prev, bounds[3*prev+2], r, lo, errUnsorted))
		}
		prev = r
	}
	if rep.total != want {
		errs = append(errs, fmt.Errorf("%d keys in all, want %d: %w", rep.total, want, errUnsorted))
	}
	if sums[1] != sums[2] {
		errs = append(errs, fmt.Errorf("the keys' sum changed from %d to %d: %w", sums[1], sums[2], errUnsorted))
	}
	rep.err = errors.Join(errs...)
	return rep, nil
}

// wrappingSum returns the sum of keys modulo 2⁶⁴, a checksum that does not
// depend on their order.
func wrappingSum(keys []int64) int64 {
	var s int64
	for _, k := range keys {
		s += k
	}
	return s
}

// plural is the suffix that makes "rank" agree with n.
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
