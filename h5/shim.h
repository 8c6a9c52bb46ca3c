// The C side of package h5: each function does one whole operation on the
// HDF5 library, closes every identifier it opened (also on failure), and on
// failure fills err (SPMDH5_ERRLEN bytes) with the library's own messages,
// read from the calling thread's error stack before anything else can
// touch it. Every function first turns off HDF5's automatic printing of
// errors for the calling thread (the setting is per thread in thread-safe
// builds) and clears that thread's stack.
#ifndef SPMDH5_SHIM_H
#define SPMDH5_SHIM_H

#include <hdf5.h>

#define SPMDH5_ERRLEN 1024
#define SPMDH5_MAXRANK 32

// Element type codes shared with Go (types.go).
enum {
	SPMDH5_I8 = 1,
	SPMDH5_I16,
	SPMDH5_I32,
	SPMDH5_I64,
	SPMDH5_U8,
	SPMDH5_U16,
	SPMDH5_U32,
	SPMDH5_U64,
	SPMDH5_F32,
	SPMDH5_F64,
	SPMDH5_STRING, // attributes only: a variable-length UTF-8 string
};

// What spmdh5_dataset_info learns about a dataset (or the lack of one).
typedef struct {
	int exists;      // 1 if name is a dataset, 0 if nothing is there
	int notdataset;  // 1 if name exists but is a group or another object
	int rank;
	hsize_t dims[SPMDH5_MAXRANK];
	int code;        // element type code, 0 if no Go type matches it
	int contiguous;  // 1 for a contiguous layout
} spmdh5_dinfo;

// What spmdh5_attr_info learns about an attribute.
typedef struct {
	int exists;       // 0 if the object has no attribute of that name
	int code;         // element type code (SPMDH5_STRING for strings), 0 if unsupported
	long long npoints; // number of elements; 1 for a scalar
	int scalar;       // 1 for a scalar dataspace
} spmdh5_ainfo;

int spmdh5_libversion(unsigned *maj, unsigned *min, unsigned *rel, int *threadsafe);

hid_t spmdh5_create_file(const char *path, char *err);
hid_t spmdh5_open_file(const char *path, int write, char *err);
int spmdh5_close_file(hid_t fid, char *err);

int spmdh5_dataset_info(hid_t fid, const char *name, spmdh5_dinfo *out, char *err);
hid_t spmdh5_create_dataset(hid_t fid, const char *name, int code, int rank, const hsize_t *dims,
	const hsize_t *chunk, int shuffle, int deflate, char *err);
hid_t spmdh5_open_dataset(hid_t fid, const char *name, char *err);
long long spmdh5_dataset_offset(hid_t did);
int spmdh5_close_dataset(hid_t did, char *err);

int spmdh5_write_block(hid_t did, int code, int rank, const hsize_t *start, const hsize_t *count,
	const void *buf, char *err);
int spmdh5_read_block(hid_t fid, const char *name, int code, int rank, const hsize_t *start,
	const hsize_t *count, void *buf, char *err);

int spmdh5_write_attr(hid_t obj, const char *name, int code, long long n, const void *data, char *err);
int spmdh5_attr_info(hid_t fid, const char *obj, const char *name, spmdh5_ainfo *out, char *err);
int spmdh5_read_attr(hid_t fid, const char *obj, const char *name, int code, void *buf, char *err);
char *spmdh5_read_attr_string(hid_t fid, const char *obj, const char *name, char *err);

int spmdh5_delete(hid_t fid, const char *name, char *err);
int spmdh5_move(hid_t fid, const char *from, const char *to, char *err);
char *spmdh5_list_datasets(hid_t fid, char *err);

#endif
