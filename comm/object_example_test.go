package comm_test

import (
	"fmt"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// SendObj sends what mpi4py's send would pickle: here a []byte, which goes
// as its bytes, and a struct, which goes through gob. The struct's type is
// described to rank 0 with the first message only; the later ones carry
// values alone. RecvObj receives into a variable of the type sent, which
// a loop can reuse: the []byte then needs no new memory.
func ExampleSendObj() {
	type reading struct {
		Sensor string
		Values []float64
	}
	err := commtest.Run(2, func(c *comm.Comm) error {
		if c.Rank() == 1 {
			if err := comm.SendObj(c, []byte("raw bytes"), 0, 0); err != nil {
				return err
			}
			for i := range 3 {
				r := reading{Sensor: fmt.Sprint("t", i), Values: []float64{float64(i), 0.5}}
				if err := comm.SendObj(c, r, 0, 1); err != nil {
					return err
				}
			}
			return nil
		}
		var b []byte
		if _, err := comm.RecvObj(c, &b, 1, 0); err != nil {
			return err
		}
		fmt.Printf("%s\n", b)
		var r reading
		for range 3 {
			if _, err := comm.RecvObj(c, &r, 1, 1); err != nil {
				return err
			}
			fmt.Println(r.Sensor, r.Values)
		}
		// Another type than the one sent is an error, not a panic.
		if err := comm.SendObj(c, 2.5, 0, 2); err != nil {
			return err
		}
		var s string
		_, err := comm.RecvObj(c, &s, 0, 2)
		fmt.Println(err)
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// raw bytes
	// t0 [0 0.5]
	// t1 [1 0.5]
	// t2 [2 0.5]
	// comm: decode message from rank 0 tag 2 into *string: object message cannot be decoded: object of another type: a float64 into *string
}
