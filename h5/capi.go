//go:build cgo

package h5

// #cgo pkg-config: hdf5
// #include <stdlib.h>
// #include "shim.h"
import "C"

import (
	"fmt"
	"runtime"
	"strings"
	"unsafe"
)

// The functions here are thin Go faces of shim.c, one per whole operation.
// Callers hold the library (locked). They take and return the library's
// identifiers as C.hid_t and turn the shim's messages into errors
// wrapping ErrIO.

// cerr is the buffer the shim writes its message into.
type cerr [C.SPMDH5_ERRLEN]C.char

func (e *cerr) p() *C.char { return &e[0] }
func (e *cerr) err() error { return libError(C.GoString(&e[0])) }

// maxRank is the most dimensions a dataset may have here.
const maxRank = C.SPMDH5_MAXRANK

// LibraryVersion returns the version of the HDF5 library h5 is linked
// with and whether that build is thread-safe. h5 serialises its calls to
// the library either way.
func LibraryVersion() (version string, threadSafe bool) {
	var maj, min, rel C.unsigned
	var ts C.int
	_ = locked(func() error {
		C.spmdh5_libversion(&maj, &min, &rel, &ts)
		return nil
	})
	return fmt.Sprintf("%d.%d.%d", maj, min, rel), ts != 0
}

func cstr(s string) (*C.char, func()) {
	p := C.CString(s)
	return p, func() { C.free(unsafe.Pointer(p)) }
}

func hsizes(v []int) []C.hsize_t {
	out := make([]C.hsize_t, len(v))
	for i, x := range v {
		out[i] = C.hsize_t(x)
	}
	return out
}

func createFile(path string) (C.hid_t, error) {
	p, free := cstr(path)
	defer free()
	var e cerr
	fid := C.spmdh5_create_file(p, e.p())
	if fid < 0 {
		return fid, e.err()
	}
	return fid, nil
}

func openFile(path string, write bool) (C.hid_t, error) {
	p, free := cstr(path)
	defer free()
	w := C.int(0)
	if write {
		w = 1
	}
	var e cerr
	fid := C.spmdh5_open_file(p, w, e.p())
	if fid < 0 {
		return fid, e.err()
	}
	return fid, nil
}

func closeFile(fid C.hid_t) error {
	var e cerr
	if C.spmdh5_close_file(fid, e.p()) < 0 {
		return e.err()
	}
	return nil
}

// dsInfo is what the file says about a dataset name.
type dsInfo struct {
	exists     bool // a dataset is there
	other      bool // something that is not a dataset is there
	dims       []int
	code       typeCode
	contiguous bool
}

func datasetInfo(fid C.hid_t, name string) (dsInfo, error) {
	p, free := cstr(name)
	defer free()
	var info C.spmdh5_dinfo
	var e cerr
	if C.spmdh5_dataset_info(fid, p, &info, e.p()) < 0 {
		return dsInfo{}, e.err()
	}
	d := dsInfo{exists: info.exists != 0, other: info.notdataset != 0}
	if d.exists {
		d.dims = make([]int, int(info.rank))
		for i := range d.dims {
			d.dims[i] = int(info.dims[i])
		}
		d.code = typeCode(info.code)
		d.contiguous = info.contiguous != 0
	}
	return d, nil
}

// createDataset creates name with the given shape and element type:
// contiguous and allocated at once when chunk is nil, chunked with the
// given filters otherwise (deflate < 0: none). The caller closes it.
func createDataset(fid C.hid_t, name string, code typeCode, dims, chunk []int, shuffle bool, deflate int) (C.hid_t, error) {
	p, free := cstr(name)
	defer free()
	d := hsizes(dims)
	var cp *C.hsize_t
	var ch []C.hsize_t
	if chunk != nil {
		ch = hsizes(chunk)
		cp = &ch[0]
	}
	sh := C.int(0)
	if shuffle {
		sh = 1
	}
	var e cerr
	did := C.spmdh5_create_dataset(fid, p, C.int(code), C.int(len(dims)), &d[0], cp, sh, C.int(deflate), e.p())
	runtime.KeepAlive(ch)
	if did < 0 {
		return did, e.err()
	}
	return did, nil
}

func openDataset(fid C.hid_t, name string) (C.hid_t, error) {
	p, free := cstr(name)
	defer free()
	var e cerr
	did := C.spmdh5_open_dataset(fid, p, e.p())
	if did < 0 {
		return did, e.err()
	}
	return did, nil
}

// datasetOffset is the byte offset of a contiguous dataset's data in its
// file, or -1 when it has no storage yet.
func datasetOffset(did C.hid_t) int64 { return int64(C.spmdh5_dataset_offset(did)) }

func closeDataset(did C.hid_t) error {
	var e cerr
	if C.spmdh5_close_dataset(did, e.p()) < 0 {
		return e.err()
	}
	return nil
}

// writeBlock writes buf (the block's elements in row-major order) into
// the hyperslab start/count of an open dataset.
func writeBlock(did C.hid_t, code typeCode, start, count []int, buf unsafe.Pointer) error {
	s, c := hsizes(start), hsizes(count)
	var e cerr
	if C.spmdh5_write_block(did, C.int(code), C.int(len(start)), &s[0], &c[0], buf, e.p()) < 0 {
		return e.err()
	}
	return nil
}

func readBlock(fid C.hid_t, name string, code typeCode, start, count []int, buf unsafe.Pointer) error {
	p, free := cstr(name)
	defer free()
	s, c := hsizes(start), hsizes(count)
	var e cerr
	if C.spmdh5_read_block(fid, p, C.int(code), C.int(len(start)), &s[0], &c[0], buf, e.p()) < 0 {
		return e.err()
	}
	return nil
}

func writeAttr(obj C.hid_t, a attr) error {
	name, free := cstr(a.name)
	defer free()
	var e cerr
	var rc C.int
	if a.code == codeString {
		s, freeS := cstr(a.s)
		defer freeS()
		rc = C.spmdh5_write_attr(obj, name, C.int(a.code), -1, unsafe.Pointer(s), e.p())
	} else {
		rc = C.spmdh5_write_attr(obj, name, C.int(a.code), C.longlong(a.n), unsafe.Pointer(&a.data[0]), e.p())
	}
	if rc < 0 {
		return e.err()
	}
	return nil
}

// attrInfo describes attribute name of object obj; ok is false when the
// object has no such attribute.
func attrInfo(fid C.hid_t, obj, name string) (code typeCode, n int, scalar, ok bool, err error) {
	o, freeO := cstr(obj)
	defer freeO()
	a, freeA := cstr(name)
	defer freeA()
	var info C.spmdh5_ainfo
	var e cerr
	if C.spmdh5_attr_info(fid, o, a, &info, e.p()) < 0 {
		return 0, 0, false, false, e.err()
	}
	return typeCode(info.code), int(info.npoints), info.scalar != 0, info.exists != 0, nil
}

func readAttr(fid C.hid_t, obj, name string, code typeCode, buf unsafe.Pointer) error {
	o, freeO := cstr(obj)
	defer freeO()
	a, freeA := cstr(name)
	defer freeA()
	var e cerr
	if C.spmdh5_read_attr(fid, o, a, C.int(code), buf, e.p()) < 0 {
		return e.err()
	}
	return nil
}

func readAttrString(fid C.hid_t, obj, name string) (string, error) {
	o, freeO := cstr(obj)
	defer freeO()
	a, freeA := cstr(name)
	defer freeA()
	var e cerr
	s := C.spmdh5_read_attr_string(fid, o, a, e.p())
	if s == nil {
		return "", e.err()
	}
	defer C.free(unsafe.Pointer(s))
	return C.GoString(s), nil
}

func deleteLink(fid C.hid_t, name string) error {
	p, free := cstr(name)
	defer free()
	var e cerr
	if C.spmdh5_delete(fid, p, e.p()) < 0 {
		return e.err()
	}
	return nil
}

func moveLink(fid C.hid_t, from, to string) error {
	f, freeF := cstr(from)
	defer freeF()
	t, freeT := cstr(to)
	defer freeT()
	var e cerr
	if C.spmdh5_move(fid, f, t, e.p()) < 0 {
		return e.err()
	}
	return nil
}

// listDatasets returns the path of every dataset in the file, in the
// library's name order.
func listDatasets(fid C.hid_t) ([]string, error) {
	var e cerr
	s := C.spmdh5_list_datasets(fid, e.p())
	if s == nil {
		return nil, e.err()
	}
	defer C.free(unsafe.Pointer(s))
	var out []string
	for _, name := range strings.Split(C.GoString(s), "\n") {
		if name != "" {
			out = append(out, "/"+name)
		}
	}
	return out, nil
}
