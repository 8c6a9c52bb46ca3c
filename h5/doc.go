//go:build cgo

// Package h5 writes and reads distributed arrays as ordinary HDF5 files:
// every rank of an SPMD job holds a block of an N-d array, and one
// collective call produces one file with one dataset of the global shape,
// which h5py, h5dump, ParaView (through the XDMF file h5 can write beside
// it) and any other HDF5 reader open as they would a serial program's.
//
//	// Rank r owns rows lo..hi of an n×m field.
//	err := h5.WriteArray(c, "out.h5", "/step_000100/T", []int{n, m},
//		[]int{lo, 0}, []int{hi - lo, m}, local,
//		h5.Time(t), h5.Step(100), h5.Spacing(dx, dy), h5.XDMF())
//
//	// Restart on any number of ranks: each reads the block it now owns.
//	dims, err := h5.Shape("ckpt.h5", "/T")
//	err = h5.ReadArray(c, "ckpt.h5", "/T", start, count, local)
//
// h5 is cgo over the HDF5 C library (Debian: libhdf5-dev, 1.10 or later)
// and is the only part of spmd that needs cgo; without cgo it is left out
// of the build. The Go bindings of the library (gonum.org/v1/hdf5, once
// github.com/sbinet/go-hdf5) would serve, but our module proxy does not
// carry them, and h5 needs only a dozen whole operations of the C API.
//
// # How N ranks write one dataset
//
// The HDF5 library on Debian is the serial build: it cannot be driven by
// several processes writing one file at once (that is what its MPI-IO
// build is for, and spmd is not MPI). There are five ways around that:
// funnel all data through one rank; let the ranks take turns opening the
// file; let every rank write a file of its own and stitch them together
// with a virtual dataset or with external links; or have one rank create
// the dataset contiguously and let every rank write its bytes straight
// into the file at the dataset's offset. h5 uses two of them.
//
// Direct (the default for uncompressed arrays above SmallArray bytes):
// rank 0 creates the file and a contiguous dataset allocated in full,
// asks the library for the byte offset of its data, and closes the file;
// then every rank opens the file as a plain file and writes each
// contiguous run of its block at offset + (row-major index)·size, all
// ranks at once, and syncs. The library is not involved while the data
// moves, so nothing is serialised and each rank's bytes travel only
// once, from its memory to the file. The dataset's element type is the
// library's native type for T, so the bytes in memory are the bytes the
// file must hold. The result is an ordinary contiguous dataset, without
// the caveats of the stitching approaches (a virtual dataset silently
// reads fill values when a source file has moved; external links give
// readers N datasets, not one array). The price: every rank must see the
// file (one host, or a shared file system), and the data cannot be
// chunked or compressed, since compression happens inside the library.
//
// Gather (chunked or compressed datasets, and small arrays): every rank
// sends its block to rank 0, which writes the blocks one at a time
// through the library's hyperslab selection. Rank 0 holds one block at a
// time, never the whole array, and no other rank needs to see the file.
// For arrays of at most SmallArray bytes, Auto gathers too: there, the
// direct path's per-rank costs (every rank opening and syncing the file)
// outweigh moving a few blocks to rank 0. WithStrategy forces either.
//
// Reading needs no such choice: read-only opens of one file by many
// processes are safe, so ReadArray has every rank open the file and read
// its own block (any block: a checkpoint written by 6 ranks restarts on
// 4).
//
// # Complete or absent
//
// A write never leaves partial data under the requested name. A new file
// is written under a temporary name in the same directory and renamed into
// place once every rank's data is on disk (as is a file replaced with
// Truncate, the way to write checkpoints); a dataset added to an existing
// file is created under a temporary name beside its own and moved to its
// name at the end, replacing a dataset of the same shape and type if one
// was there. A crash can leave a temporary file behind (".name.h5.*.tmp"),
// or, inside an existing file, the space of an unlinked dataset, which
// HDF5 does not reclaim (h5repack does).
//
// # Errors
//
// Every call is collective and every rank returns the same error: the
// ranks exchange their arguments first and check, each from the same
// data, that the blocks tile the global shape (none outside it, none
// overlapping, no element uncovered) and that they agree on file,
// dataset, shape, type and options; rank 0's checks of the file (an
// existing dataset of another shape or type) and every rank's I/O
// failures are shared the same way. Errors are *Error values naming the
// operation, file, dataset and failing rank, wrapping ErrLayout,
// ErrMismatch, ErrNotFound, ErrOption or ErrIO; the HDF5 library's own
// messages (read from its error stack, never printed to stderr) are part
// of the text.
//
// # Threads
//
// h5 serialises every use of the library in a process with one lock and
// runs each sequence of library calls on one locked OS thread: Debian's
// build is thread-safe only call by call, other builds not at all, and the
// library keeps its error stack and error-printing switch per thread.
// Ranks that are goroutines of one process (package commtest) therefore
// take turns in the library, while ranks that are processes do not wait
// for each other.
//
// # The file
//
// Datasets are stored with the native type of T (int and uint as 64-bit
// integers); attributes set with Attr, Time, Step, Spacing and Origin are
// attached to the dataset (numbers, numeric slices, UTF-8 strings). The
// XDMF option writes name.xmf beside name.h5, describing every 2-D and
// 3-D dataset of the file as a uniform grid (origin and spacing from the
// attributes, in the dataset's dimension order, slowest first, which is
// the order XDMF and ParaView's reader use), as a time series when every
// dataset has a time.
package h5
