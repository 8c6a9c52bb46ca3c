package comm_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/spmd-go/spmd/internal/commhook"
)

// TestAttributes: values cached under different keys stay apart, belong
// to one communicator (not its collective view, not a Dup), and
// concurrent first uses agree on one value.
func TestAttributes(t *testing.T) {
	k1, k2 := comm.NewKeyval(), comm.NewKeyval()
	require.NoError(t, commtest.Run(1, func(c *comm.Comm) error {
		assert.Nil(t, c.Attr(k1))
		var wg sync.WaitGroup
		got := make([]any, 8)
		for i := range got {
			wg.Go(func() { got[i] = c.AttrOrInit(k1, func() any { return new(int) }) })
		}
		wg.Wait()
		for _, v := range got {
			assert.Same(t, got[0].(*int), v.(*int))
		}
		assert.Equal(t, "two", c.AttrOrInit(k2, func() any { return "two" }))
		assert.Same(t, got[0].(*int), c.Attr(k1).(*int))
		assert.Nil(t, commhook.CollectiveView(c).Attr(k1))
		d, err := c.Dup()
		require.NoError(t, err)
		assert.Nil(t, d.Attr(k1))
		var null *comm.Comm
		assert.Nil(t, null.Attr(k1))
		assert.Nil(t, null.AttrOrInit(k1, func() any { return 1 }))
		return nil
	}))
}
