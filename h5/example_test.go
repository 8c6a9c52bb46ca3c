//go:build cgo

package h5_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/spmd-go/spmd/h5"
)

// Two ranks each own half the rows of a 4×3 array and write it as one
// dataset; three ranks then read it back a row-block each.
func ExampleWriteArray() {
	dir, err := os.MkdirTemp("", "h5-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "field.h5")

	err = commtest.Run(2, func(c *comm.Comm) error {
		// Rank r owns rows 2r and 2r+1: a[i][j] = 10·i + j.
		r := c.Rank()
		local := []float64{
			float64(20*r + 0), float64(20*r + 1), float64(20*r + 2),
			float64(20*r + 10), float64(20*r + 11), float64(20*r + 12),
		}
		return h5.WriteArray(c, file, "/T", []int{4, 3}, []int{2 * r, 0}, []int{2, 3}, local, h5.Time(0.5))
	})
	if err != nil {
		log.Fatal(err)
	}

	shape, _ := h5.Shape(file, "/T")
	t, _ := h5.ReadAttr[float64](file, "/T", "time")
	fmt.Println("shape", shape, "time", t)

	rows := make([][]float64, 3)
	err = commtest.Run(3, func(c *comm.Comm) error {
		// Rank r reads rows r..r+1 (they overlap: reading allows it).
		local := make([]float64, 6)
		rows[c.Rank()] = local
		return h5.ReadArray(c, file, "/T", []int{c.Rank(), 0}, []int{2, 3}, local)
	})
	if err != nil {
		log.Fatal(err)
	}
	for r, v := range rows {
		fmt.Println("rank", r, v)
	}
	// Output:
	// shape [4 3] time 0.5
	// rank 0 [0 1 2 10 11 12]
	// rank 1 [10 11 12 20 21 22]
	// rank 2 [20 21 22 30 31 32]
}
