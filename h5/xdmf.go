//go:build cgo

package h5

// #include "shim.h"
import "C"

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unsafe"
)

// xdmfGrid is one dataset as the XDMF description shows it.
type xdmfGrid struct {
	dataset         string // its path in the HDF5 file
	dims            []int  // slowest first
	code            typeCode
	time            float64
	hasTime         bool
	spacing, origin []float64 // one per dimension, slowest first
}

// xdmfPath is where the XDMF description of file goes.
func xdmfPath(file string) string {
	return strings.TrimSuffix(file, filepath.Ext(file)) + ".xmf"
}

// writeXDMF (rank 0) describes every 2-D and 3-D numeric dataset of file
// in an .xmf file beside it, replacing an older description atomically.
func writeXDMF(file string) error {
	var grids []xdmfGrid
	err := locked(func() error {
		fid, err := openFile(file, false)
		if err != nil {
			return err
		}
		defer closeFile(fid)
		names, err := listDatasets(fid)
		if err != nil {
			return err
		}
		for _, name := range names {
			if base := path.Base(name); strings.HasPrefix(base, ".") && strings.HasSuffix(base, ".partial") {
				continue
			}
			info, err := datasetInfo(fid, name)
			if err != nil {
				return err
			}
			if !info.exists || (len(info.dims) != 2 && len(info.dims) != 3) || info.code == codeNone || info.code == codeString {
				continue
			}
			g := xdmfGrid{dataset: name, dims: info.dims, code: info.code}
			g.time, g.hasTime = floatAttr(fid, name, "time")
			g.spacing = floatsAttrOf(fid, name, "spacing", len(info.dims))
			g.origin = floatsAttrOf(fid, name, "origin", len(info.dims))
			grids = append(grids, g)
		}
		return nil
	})
	if err != nil {
		return err
	}
	doc := xdmfDocument(filepath.Base(file), grids)
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	out := xdmfPath(file)
	tmp := filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+"."+hex.EncodeToString(rnd[:])+".tmp")
	if err := os.WriteFile(tmp, doc, 0o644); err != nil {
		return fmt.Errorf("%w: %v", ErrIO, err)
	}
	if err := os.Rename(tmp, out); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("%w: %v", ErrIO, err)
	}
	return nil
}

// floatAttr reads a scalar float64 attribute, if the object has one.
func floatAttr(fid C.hid_t, obj, name string) (float64, bool) {
	code, n, _, ok, err := attrInfo(fid, obj, name)
	if err != nil || !ok || code != codeF64 || n != 1 {
		return 0, false
	}
	var v float64
	if readAttr(fid, obj, name, codeF64, unsafe.Pointer(&v)) != nil {
		return 0, false
	}
	return v, true
}

// floatsAttrOf reads a float64 attribute of n values, if the object has one.
func floatsAttrOf(fid C.hid_t, obj, name string, n int) []float64 {
	code, m, _, ok, err := attrInfo(fid, obj, name)
	if err != nil || !ok || code != codeF64 || m != n {
		return nil
	}
	v := make([]float64, n)
	if readAttr(fid, obj, name, codeF64, unsafe.Pointer(&v[0])) != nil {
		return nil
	}
	return v
}

// xdmfDocument is the XDMF 2 text for grids whose data lies in the HDF5
// file h5name (a name relative to the .xmf file, so the pair can move
// together). Each grid is a uniform (CoRect) mesh with the dataset as a
// node-centred attribute named after the dataset's last path element.
// When every grid has a time they form one temporal collection, in time
// order, which ParaView plays as a time series; otherwise each grid
// stands alone in the domain.
func xdmfDocument(h5name string, grids []xdmfGrid) []byte {
	temporal := len(grids) > 0
	for _, g := range grids {
		temporal = temporal && g.hasTime
	}
	if temporal {
		sort.SliceStable(grids, func(i, j int) bool { return grids[i].time < grids[j].time })
	}
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" ?>\n<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n<Xdmf Version=\"2.0\">\n  <Domain>\n")
	indent := "    "
	if temporal {
		b.WriteString("    <Grid Name=\"TimeSeries\" GridType=\"Collection\" CollectionType=\"Temporal\">\n")
		indent = "      "
	}
	for _, g := range grids {
		writeGrid(&b, indent, h5name, g)
	}
	if temporal {
		b.WriteString("    </Grid>\n")
	}
	b.WriteString("  </Domain>\n</Xdmf>\n")
	return []byte(b.String())
}

func writeGrid(b *strings.Builder, in, h5name string, g xdmfGrid) {
	nd := len(g.dims)
	dims := joinInts(g.dims)
	spacing, origin := g.spacing, g.origin
	if spacing == nil {
		spacing = ones(nd)
	}
	if origin == nil {
		origin = make([]float64, nd)
	}
	number, precision := "Float", g.code.size()
	switch g.code {
	case codeI8, codeI16, codeI32, codeI64:
		number = "Int"
	case codeU8, codeU16, codeU32, codeU64:
		number = "UInt"
	}
	if g.code == codeI8 {
		number = "Char"
	}
	if g.code == codeU8 {
		number = "UChar"
	}
	esc := html.EscapeString
	fmt.Fprintf(b, "%s<Grid Name=\"%s\" GridType=\"Uniform\">\n", in, esc(g.dataset))
	if g.hasTime {
		fmt.Fprintf(b, "%s  <Time Value=\"%v\"/>\n", in, g.time)
	}
	// XDMF lists the dimensions, origin and spacing slowest first (z y x),
	// as HDF5 stores them, so the dataset's own order carries over.
	fmt.Fprintf(b, "%s  <Topology TopologyType=\"%dDCoRectMesh\" Dimensions=\"%s\"/>\n", in, nd, dims)
	geom := "ORIGIN_DXDY"
	if nd == 3 {
		geom = "ORIGIN_DXDYDZ"
	}
	fmt.Fprintf(b, "%s  <Geometry GeometryType=\"%s\">\n", in, geom)
	fmt.Fprintf(b, "%s    <DataItem Format=\"XML\" NumberType=\"Float\" Precision=\"8\" Dimensions=\"%d\">%s</DataItem>\n", in, nd, joinFloats(origin))
	fmt.Fprintf(b, "%s    <DataItem Format=\"XML\" NumberType=\"Float\" Precision=\"8\" Dimensions=\"%d\">%s</DataItem>\n", in, nd, joinFloats(spacing))
	fmt.Fprintf(b, "%s  </Geometry>\n", in)
	fmt.Fprintf(b, "%s  <Attribute Name=\"%s\" AttributeType=\"Scalar\" Center=\"Node\">\n", in, esc(path.Base(g.dataset)))
	fmt.Fprintf(b, "%s    <DataItem Format=\"HDF\" NumberType=\"%s\" Precision=\"%d\" Dimensions=\"%s\">%s:%s</DataItem>\n",
		in, number, precision, dims, esc(h5name), esc(g.dataset))
	fmt.Fprintf(b, "%s  </Attribute>\n%s</Grid>\n", in, in)
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, " ")
}

func joinFloats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, " ")
}

func ones(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	return v
}
