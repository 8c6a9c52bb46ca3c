//go:build cgo

package h5_test

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/spmd-go/spmd/h5"
)

// xdmfDoc is the part of an XDMF 2 document the tests look at.
type xdmfDoc struct {
	Domain struct {
		Grids []xdmfGrid `xml:"Grid"`
	}
}

type xdmfGrid struct {
	Name           string     `xml:"Name,attr"`
	GridType       string     `xml:"GridType,attr"`
	CollectionType string     `xml:"CollectionType,attr"`
	Grids          []xdmfGrid `xml:"Grid"`
	Time           struct {
		Value string `xml:"Value,attr"`
	}
	Topology struct {
		Type string `xml:"TopologyType,attr"`
		Dims string `xml:"Dimensions,attr"`
	}
	Geometry struct {
		Type  string   `xml:"GeometryType,attr"`
		Items []string `xml:"DataItem"`
	}
	Attribute struct {
		Name string `xml:"Name,attr"`
		Item struct {
			Format    string `xml:"Format,attr"`
			Number    string `xml:"NumberType,attr"`
			Precision string `xml:"Precision,attr"`
			Dims      string `xml:"Dimensions,attr"`
			Text      string `xml:",chardata"`
		} `xml:"DataItem"`
	}
}

// A time series of 2-D fields becomes one temporal collection, in time
// order, whose data items point into the HDF5 file by a relative name.
func TestXDMFTimeSeries(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "run.h5")
	require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
		for _, step := range []int{20, 0, 10} {
			v := make([]float32, 3*5)
			err := h5.WriteArray(c, file, fmt.Sprintf("/step_%06d/T", step), []int{6, 5}, []int{3 * c.Rank(), 0}, []int{3, 5}, v,
				h5.Time(float64(step)/100), h5.Step(step), h5.Spacing(0.5, 0.25), h5.Origin(1, 2), h5.XDMF())
			if err != nil {
				return err
			}
		}
		return nil
	}))
	b, err := os.ReadFile(filepath.Join(dir, "run.xmf"))
	require.NoError(t, err)
	var doc xdmfDoc
	require.NoError(t, xml.Unmarshal(b, &doc), "%s", b)
	require.Len(t, doc.Domain.Grids, 1)
	series := doc.Domain.Grids[0]
	assert.Equal(t, "Collection", series.GridType)
	assert.Equal(t, "Temporal", series.CollectionType)
	require.Len(t, series.Grids, 3)
	for i, g := range series.Grids {
		step := 10 * i
		assert.Equal(t, fmt.Sprintf("/step_%06d/T", step), g.Name)
		assert.Equal(t, fmt.Sprint(float64(step)/100), g.Time.Value)
		assert.Equal(t, "2DCoRectMesh", g.Topology.Type)
		assert.Equal(t, "6 5", g.Topology.Dims)
		assert.Equal(t, "ORIGIN_DXDY", g.Geometry.Type)
		assert.Equal(t, []string{"1 2", "0.5 0.25"}, g.Geometry.Items)
		assert.Equal(t, "T", g.Attribute.Name)
		assert.Equal(t, "HDF", g.Attribute.Item.Format)
		assert.Equal(t, "Float", g.Attribute.Item.Number)
		assert.Equal(t, "4", g.Attribute.Item.Precision)
		assert.Equal(t, "6 5", g.Attribute.Item.Dims)
		assert.Equal(t, fmt.Sprintf("run.h5:/step_%06d/T", step), strings.TrimSpace(g.Attribute.Item.Text))
	}
	assert.ElementsMatch(t, []string{"run.h5", "run.xmf"}, dirEntries(t, dir))
}

// Without times, each 3-D grid stands alone, with unit spacing and a zero
// origin by default.
func TestXDMFGrids(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "g.hdf5")
	require.NoError(t, commtest.Run(1, func(c *comm.Comm) error {
		err := h5.WriteArray(c, file, "a", []int{2, 3, 4}, []int{0, 0, 0}, []int{2, 3, 4}, make([]int16, 24), h5.XDMF())
		if err == nil {
			err = h5.WriteArray(c, file, "line", []int{4}, []int{0}, []int{4}, make([]int16, 4))
		}
		if err == nil {
			err = h5.WriteArray(c, file, "b", []int{2, 2, 2}, []int{0, 0, 0}, []int{2, 2, 2}, make([]uint8, 8), h5.XDMF())
		}
		return err
	}))
	b, err := os.ReadFile(filepath.Join(dir, "g.xmf"))
	require.NoError(t, err)
	var doc xdmfDoc
	require.NoError(t, xml.Unmarshal(b, &doc), "%s", b)
	require.Len(t, doc.Domain.Grids, 2, "%s", b) // the 1-D dataset is left out
	a, bb := doc.Domain.Grids[0], doc.Domain.Grids[1]
	assert.Equal(t, "/a", a.Name)
	assert.Equal(t, "3DCoRectMesh", a.Topology.Type)
	assert.Equal(t, "ORIGIN_DXDYDZ", a.Geometry.Type)
	assert.Equal(t, []string{"0 0 0", "1 1 1"}, a.Geometry.Items)
	assert.Equal(t, "Int", a.Attribute.Item.Number)
	assert.Equal(t, "2", a.Attribute.Item.Precision)
	assert.Equal(t, "UChar", bb.Attribute.Item.Number)
	assert.Equal(t, "g.hdf5:/b", strings.TrimSpace(bb.Attribute.Item.Text))
}
