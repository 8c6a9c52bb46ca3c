package pmi_test

import (
	"fmt"
	"net"
	"sync"

	"github.com/spmd-go/spmd/internal/pmi"
)

// The wire-up every rank of a job does: publish a business card, wait in
// the barrier, read the others' cards. Here the ranks are goroutines
// connected over net.Pipe; spmdrun uses RankConn and separate processes,
// which call NewClientFromEnv instead of NewClient.
func Example() {
	const size = 3
	srv, err := pmi.NewServer(pmi.ServerConfig{Size: size})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	cards := make([]string, size)
	var wg sync.WaitGroup
	for rank := range size {
		cliEnd, srvEnd := net.Pipe()
		go srv.ServeConn(rank, srvEnd)
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := pmi.NewClient(cliEnd, rank, size)
			if err != nil {
				panic(err)
			}
			defer c.Finalize()
			if err := c.Put(fmt.Sprintf("card-%d", rank), fmt.Sprintf("10.0.0.%d:5000", rank+1)); err != nil {
				panic(err)
			}
			if err := c.Barrier(); err != nil {
				panic(err)
			}
			next, err := c.Get(fmt.Sprintf("card-%d", (rank+1)%size))
			if err != nil {
				panic(err)
			}
			cards[rank] = next
		}()
	}
	wg.Wait()
	for rank, card := range cards {
		fmt.Printf("rank %d reaches its right neighbour at %s\n", rank, card)
	}
	// Output:
	// rank 0 reaches its right neighbour at 10.0.0.2:5000
	// rank 1 reaches its right neighbour at 10.0.0.3:5000
	// rank 2 reaches its right neighbour at 10.0.0.1:5000
}
