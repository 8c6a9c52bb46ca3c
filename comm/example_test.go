package comm_test

import (
	"fmt"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// A ring: every rank passes its rank to the right and receives from the
// left with Sendrecv, which cannot deadlock whatever the message size.
// commtest runs the four ranks in this process; a real program calls
// comm.Init and runs under spmdrun.
func ExampleSendrecv() {
	err := commtest.Run(4, func(c *comm.Comm) error {
		rank, size := c.Rank(), c.Size()
		got := make([]int, 1)
		st, err := comm.Sendrecv(c, []int{rank}, (rank+1)%size, 0, got, (rank-1+size)%size, 0)
		if err != nil {
			return err
		}
		if rank == 0 {
			fmt.Printf("rank 0 received %d from rank %d\n", got[0], st.Source)
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: rank 0 received 3 from rank 3
}

// RecvObj receives any gob-encodable value without knowing its size.
func ExampleRecvObj() {
	err := commtest.Run(2, func(c *comm.Comm) error {
		if c.Rank() == 1 {
			return comm.SendObj(c, map[string]float64{"energy": -1.5}, 0, 0)
		}
		var m map[string]float64
		st, err := comm.RecvObj(c, &m, comm.AnySource, comm.AnyTag)
		if err != nil {
			return err
		}
		fmt.Println(m["energy"], "from rank", st.Source)
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: -1.5 from rank 1
}

// Split makes sub-communicators: here even and odd ranks, each ordered by
// world rank.
func ExampleComm_Split() {
	err := commtest.Run(4, func(c *comm.Comm) error {
		half, err := c.Split(c.Rank()%2, c.Rank())
		if err != nil {
			return err
		}
		if c.Rank() == 3 {
			fmt.Printf("world rank 3 is rank %d of %d among the odd ranks\n", half.Rank(), half.Size())
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: world rank 3 is rank 1 of 2 among the odd ranks
}

// A communicator made in a loop is freed each time round, so that the
// program holds no more state after many rounds than after one.
func ExampleComm_Free() {
	err := commtest.Run(2, func(c *comm.Comm) error {
		for round := range 1000 {
			pair, err := c.Split(0, round%2*c.Rank())
			if err != nil {
				return err
			}
			if err := pair.Free(); err != nil {
				return err
			}
		}
		if c.Rank() == 0 {
			fmt.Println("1000 communicators made and freed")
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: 1000 communicators made and freed
}
