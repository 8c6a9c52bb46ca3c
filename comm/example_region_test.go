package comm_test

import (
	"fmt"
	"log"
	"os"

	"github.com/spmd-go/spmd/collective"
	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/spmd-go/spmd/internal/profdata"
)

// Mark the phases of a program with Region: here a profiled run of two
// ranks, each with a "halo" exchange inside a "step", and what the
// profile then says about the step on rank 0. (A program launched by
// spmdrun --profile DIR gets its configuration from the environment; this
// example sets it directly.)
func ExampleRegion() {
	dir, err := os.MkdirTemp("", "profile")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cfg := comm.Config{Profile: comm.ProfileConfig{Dir: dir}}
	err = commtest.Run(2, func(w *comm.Comm) error {
		for range 10 {
			if err := step(w); err != nil {
				return err
			}
		}
		return nil
	}, commtest.Config(cfg))
	if err != nil {
		log.Fatal(err)
	}
	data, err := profdata.ReadDir(dir)
	if err != nil {
		log.Fatal(err)
	}
	rank0 := data[0]
	st := rank0.Regions["step"]
	fmt.Println("steps:", st.Calls, "halos:", rank0.Regions["halo"].Calls)
	fmt.Println("Sendrecv calls:", rank0.Ops["Sendrecv"].Calls, "Allreduce calls:", rank0.Ops["Allreduce"].Calls)
	fmt.Println("spmd time within the step:", st.SpmdNs <= st.Ns)
	// Output:
	// steps: 10 halos: 10
	// Sendrecv calls: 10 Allreduce calls: 10
	// spmd time within the step: true
}

// step is one step of a program: a halo exchange, then a reduction.
func step(w *comm.Comm) error {
	defer comm.Region(w, "step")()
	other := 1 - w.Rank()
	halo := func() error {
		defer comm.Region(w, "halo")()
		_, err := comm.Sendrecv(w, []float64{1}, other, 0, make([]float64, 1), other, 0)
		return err
	}
	if err := halo(); err != nil {
		return err
	}
	return collective.Allreduce(w, []float64{1}, make([]float64, 1), collective.Sum)
}
