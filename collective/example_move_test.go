package collective_test

import (
	"fmt"

	"github.com/spmd-go/spmd/collective"
	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// Rank 0's buffer reaches every rank.
func ExampleBcast() {
	err := commtest.Run(4, func(c *comm.Comm) error {
		buf := make([]float64, 3)
		if c.Rank() == 0 {
			copy(buf, []float64{1.5, 2.5, 3.5})
		}
		if err := collective.Bcast(c, buf, 0); err != nil {
			return err
		}
		if c.Rank() == 3 {
			fmt.Println(buf)
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: [1.5 2.5 3.5]
}

// In place: the root passes a nil send, its own block already in recv.
func ExampleGather_inPlace() {
	err := commtest.Run(3, func(c *comm.Comm) error {
		me := c.Rank()
		if me != 1 {
			return collective.Gather(c, []int{10 * me, 10*me + 1}, nil, 1)
		}
		recv := make([]int, 6)
		recv[2], recv[3] = 10, 11 // the root's block, at its place
		if err := collective.Gather(c, nil, recv, 1); err != nil {
			return err
		}
		fmt.Println(recv)
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: [0 1 10 11 20 21]
}

// Blocks of different lengths lie back to back in rank order: the
// displacements are the prefix sums of counts.
func ExampleAllgatherv() {
	err := commtest.Run(3, func(c *comm.Comm) error {
		me := c.Rank()
		counts := []int{1, 0, 2} // rank 1 contributes nothing
		send := make([]int, counts[me])
		for i := range send {
			send[i] = 100*me + i
		}
		recv := make([]int, 3)
		if err := collective.Allgatherv(c, send, recv, counts); err != nil {
			return err
		}
		if me == 1 {
			fmt.Println(recv)
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: [0 200 201]
}

// Block i of every rank's send goes to rank i, which stores it in block r
// (r the sender): a transpose of the rank × block matrix.
func ExampleAlltoall() {
	err := commtest.Run(3, func(c *comm.Comm) error {
		me := c.Rank()
		send := []int{10*me + 0, 10*me + 1, 10*me + 2}
		recv := make([]int, 3)
		if err := collective.Alltoall(c, send, recv); err != nil {
			return err
		}
		if me == 2 {
			fmt.Println(recv)
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: [2 12 22]
}

// mpi4py-style object collectives carry any gob-encodable value.
func ExampleAllgatherObj() {
	type info struct {
		Host string
		Rank int
	}
	err := commtest.Run(2, func(c *comm.Comm) error {
		all, err := collective.AllgatherObj(c, info{Host: "node", Rank: c.Rank()})
		if err != nil {
			return err
		}
		if c.Rank() == 0 {
			fmt.Printf("%+v\n", all)
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: [{Host:node Rank:0} {Host:node Rank:1}]
}
