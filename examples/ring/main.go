// Command ring passes a token around a ring of ranks and checks that it
// counted every visit.
//
// Usage:
//
//	spmdrun -n 4 ring [-laps 10] [-bytes 0]
//
// The token is an int64 counter followed by an optional payload of -bytes
// bytes. Rank 0 starts it; each rank r receives it from rank r-1, adds 1 and
// hands it to rank r+1, and the last rank hands it back to rank 0, which
// starts the next lap. After -laps laps every rank has added 1 per visit, so
// rank 0 must hold laps×size; it prints
//
//	token counter 40 after 10 laps of 4 ranks (want 40), 8 bytes payload intact, 21.5µs per hop
//
// and exits with status 1 if the counter or the payload is wrong. Every rank
// also checks the counter it receives against the value its position in the
// ring implies, so a lost, duplicated or reordered message is caught where it
// happens.
//
// Rank 0 sends and receives with comm.Sendrecv, which is what makes a ring
// of one rank (run without spmdrun) work: it passes the token to itself.
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/spmd-go/spmd/comm"
)

// tokenTag is the tag of every token message.
const tokenTag = 1

// counterSize is the length of the counter at the head of a token.
const counterSize = 8

func main() {
	laps := flag.Int("laps", 10, "number of `laps` the token makes around the ring")
	nbytes := flag.Int("bytes", 0, "payload `size` in bytes carried with the token")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: spmdrun -n N ring [-laps L] [-bytes B]\n\nPasses a counter around the ring of ranks L times; rank 0 checks it equals L×N.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("ring: ")
	switch {
	case flag.NArg() > 0:
		flag.Usage()
		os.Exit(2)
	case *laps < 0:
		log.Printf("-laps must not be negative, got %d", *laps)
		os.Exit(2)
	case *nbytes < 0:
		log.Printf("-bytes must not be negative, got %d", *nbytes)
		os.Exit(2)
	}

	w, err := comm.Init()
	if err != nil {
		log.Fatalf("init: %v", err)
	}
	log.SetPrefix(fmt.Sprintf("ring: rank %d: ", w.Rank()))

	start := time.Now()
	token, err := runRing(w, *laps, *nbytes)
	if err != nil {
		log.Fatal(err) // the launcher ends the other ranks
	}
	elapsed := time.Since(start)

	// Rank 0 verifies and reports; the others have nothing to add. Every
	// rank finalizes before a failed check turns into an exit status, so
	// that the job ends cleanly either way.
	var checkErr error
	if w.Rank() == 0 {
		checkErr = report(w.Size(), *laps, token, elapsed)
	}
	if err := w.Finalize(); err != nil {
		log.Fatal(err)
	}
	if checkErr != nil {
		log.Print(checkErr)
		os.Exit(1)
	}
}

// runRing moves the token laps times around the ring and returns, at rank 0,
// the token as it came back from the last lap (nil at the other ranks).
func runRing(w *comm.Comm, laps, nbytes int) ([]byte, error) {
	rank, size := w.Rank(), w.Size()
	right := (rank + 1) % size
	left := (rank - 1 + size) % size
	n := counterSize + nbytes

	if rank != 0 {
		// Receive, count the visit, pass it on.
		buf := make([]byte, n)
		for lap := range laps {
			st, err := comm.Recv(w, buf, left, tokenTag)
			if err != nil {
				return nil, fmt.Errorf("lap %d: receive from rank %d: %w", lap, left, err)
			}
			if st.Bytes != n {
				return nil, fmt.Errorf("lap %d: token from rank %d has %d bytes, want %d", lap, left, st.Bytes, n)
			}
			got := counter(buf)
			if want := int64(lap*size + rank); got != want {
				return nil, fmt.Errorf("lap %d: token from rank %d counts %d, want %d", lap, left, got, want)
			}
			setCounter(buf, got+1)
			if err := comm.Send(w, buf, right, tokenTag); err != nil {
				return nil, fmt.Errorf("lap %d: send to rank %d: %w", lap, right, err)
			}
		}
		return nil, nil
	}

	// Rank 0 starts each lap and receives the token back at its end. The
	// send and the receive use different buffers (a send buffer must not
	// change until the send completes); they swap roles every lap.
	out, in := make([]byte, n), make([]byte, n)
	fillPayload(out[counterSize:])
	for lap := range laps {
		setCounter(out, counter(out)+1)
		st, err := comm.Sendrecv(w, out, right, tokenTag, in, left, tokenTag)
		if err != nil {
			return nil, fmt.Errorf("lap %d: pass token to rank %d and back from rank %d: %w", lap, right, left, err)
		}
		if st.Bytes != n {
			return nil, fmt.Errorf("lap %d: token from rank %d has %d bytes, want %d", lap, left, st.Bytes, n)
		}
		out, in = in, out
	}
	return out, nil
}

// report prints rank 0's summary and returns an error if the token is not
// what laps×size visits should have made of it.
func report(size, laps int, token []byte, elapsed time.Duration) error {
	got, want := counter(token), int64(laps)*int64(size)
	payload := token[counterSize:]
	expect := make([]byte, len(payload))
	fillPayload(expect)
	intact := bytes.Equal(payload, expect)

	state := "intact"
	if !intact {
		state = "CORRUPTED"
	}
	perHop := "n/a"
	if hops := laps * size; hops > 0 {
		perHop = (elapsed / time.Duration(hops)).String()
	}
	fmt.Printf("token counter %d after %d laps of %d rank%s (want %d), %d bytes payload %s, %s per hop\n",
		got, laps, size, plural(size), want, len(payload), state, perHop)

	var errs []error
	if got != want {
		errs = append(errs, fmt.Errorf("token counter is %d, want %d", got, want))
	}
	if !intact {
		errs = append(errs, errors.New("token payload changed on its way around the ring"))
	}
	return errors.Join(errs...)
}

// counter reads the token's counter.
func counter(token []byte) int64 {
	return int64(binary.LittleEndian.Uint64(token[:counterSize]))
}

// setCounter writes the token's counter.
func setCounter(token []byte, v int64) {
	binary.LittleEndian.PutUint64(token[:counterSize], uint64(v))
}

// fillPayload writes the recognisable pattern the payload starts with.
func fillPayload(p []byte) {
	for i := range p {
		p[i] = byte(i*131 + 7)
	}
}

// plural is the suffix that makes "rank" agree with n.
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
