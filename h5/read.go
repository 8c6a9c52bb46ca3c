//go:build cgo

package h5

// #include "shim.h"
import "C"

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/spmd-go/spmd/comm"
)

// ReadArray reads each rank's block of a dataset: start and count in the
// dataset's global index space, local receiving the block's elements in
// row-major order (len(local) must be the block's size). The blocks may
// be any, overlapping or not, so a checkpoint written by one number of
// ranks restarts on another. It is collective over c so that every rank
// returns the same error when one rank's read fails: an *Error naming
// that rank. T must be the dataset's element type exactly (no conversion
// is made); Shape tells the global shape before reading.
//
// Every rank opens the file itself, read-only, so the ranks must see the
// file (one host, or a shared file system).
func ReadArray[T Number](c *comm.Comm, path, dataset string, start, count []int, local []T) error {
	ds, err := cleanDataset(dataset)
	wrap := func(rank int, err error) error {
		return &Error{Op: "read", File: path, Dataset: ds, Rank: rank, Err: err}
	}
	if c == nil {
		return wrap(-1, comm.ErrComm)
	}
	hc, cerr := ioComm(c)
	if cerr != nil {
		return wrap(-1, cerr)
	}
	if err == nil {
		err = readBlockOf(path, ds, codeFor[T](), start, count, len(local), unsafe.Pointer(unsafe.SliceData(local)))
	}
	rank, err := agree(hc, err)
	if err != nil {
		return wrap(rank, err)
	}
	return nil
}

func readBlockOf(path, ds string, code typeCode, start, count []int, n int, buf unsafe.Pointer) error {
	return locked(func() error {
		fid, err := openFile(path, false)
		if err != nil {
			return err
		}
		defer closeFile(fid)
		info, err := datasetInfo(fid, ds)
		switch {
		case err != nil:
			return err
		case info.other:
			return fmt.Errorf("%w: %s is not a dataset", ErrMismatch, ds)
		case !info.exists:
			return fmt.Errorf("%w: no dataset %s", ErrNotFound, ds)
		}
		if err := checkCode(info.code, code, "the dataset"); err != nil {
			return err
		}
		if err := checkBlock(info.dims, block{Start: start, Count: count}, n); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		return readBlock(fid, ds, code, start, count, buf)
	})
}

// Shape returns the global shape of a dataset. It is not collective.
func Shape(path, dataset string) (dims []int, err error) {
	ds, err := cleanDataset(dataset)
	if err == nil {
		err = locked(func() error {
			fid, err := openFile(path, false)
			if err != nil {
				return err
			}
			defer closeFile(fid)
			info, err := datasetInfo(fid, ds)
			switch {
			case err != nil:
				return err
			case !info.exists:
				return fmt.Errorf("%w: no dataset %s", ErrNotFound, ds)
			}
			dims = info.dims
			return nil
		})
	}
	if err != nil {
		return nil, &Error{Op: "shape", File: path, Dataset: ds, Rank: -1, Err: err}
	}
	return dims, nil
}

// AttrValue is the set of attribute types ReadAttr returns: a Number, a
// string, or a slice of a Number type.
type AttrValue interface {
	Number | ~string |
		[]int | []int8 | []int16 | []int32 | []int64 |
		[]uint | []uint8 | []uint16 | []uint32 | []uint64 |
		[]float32 | []float64
}

// ReadAttr reads attribute name of a dataset (or of a group, or of the
// file when dataset is "/"). T must match the stored attribute: its
// element type exactly, a scalar for a Number or string, a 1-D attribute
// for a slice. It is not collective.
func ReadAttr[T AttrValue](path, dataset, name string) (T, error) {
	var v T
	obj := "/"
	if dataset != "/" && dataset != "" {
		obj, _ = cleanDataset(dataset)
	}
	err := locked(func() error {
		fid, err := openFile(path, false)
		if err != nil {
			return err
		}
		defer closeFile(fid)
		code, n, scalar, ok, err := attrInfo(fid, obj, name)
		switch {
		case err != nil:
			return err
		case !ok:
			return fmt.Errorf("%w: no attribute %q", ErrNotFound, name)
		}
		rv := reflect.ValueOf(&v).Elem()
		what := fmt.Sprintf("attribute %q", name)
		switch rv.Kind() {
		case reflect.String:
			if err := checkCode(code, codeString, what); err != nil {
				return err
			}
			s, err := readAttrString(fid, obj, name)
			rv.SetString(s)
			return err
		case reflect.Slice:
			if err := checkCode(code, kindCode(rv.Type().Elem().Kind()), what); err != nil {
				return err
			}
			rv.Set(reflect.MakeSlice(rv.Type(), n, n))
			if n == 0 {
				return nil
			}
			return readAttr(fid, obj, name, code, rv.UnsafePointer())
		default:
			if err := checkCode(code, kindCode(rv.Kind()), what); err != nil {
				return err
			}
			if !scalar && n != 1 {
				return fmt.Errorf("%w: attribute %q holds %d values, not one", ErrMismatch, name, n)
			}
			return readAttr(fid, obj, name, code, unsafe.Pointer(&v))
		}
	})
	if err != nil {
		return v, &Error{Op: "read attribute " + name + " of", File: path, Dataset: obj, Rank: -1, Err: err}
	}
	return v, nil
}

// Datasets lists the paths of every dataset in a file ("/step_000100/T"),
// in the library's name order. It is not collective.
func Datasets(path string) ([]string, error) {
	var names []string
	err := locked(func() error {
		fid, err := openFile(path, false)
		if err != nil {
			return err
		}
		defer closeFile(fid)
		names, err = listDatasets(fid)
		return err
	})
	if err != nil {
		return nil, &Error{Op: "list", File: path, Rank: -1, Err: err}
	}
	return names, nil
}
