// The C side of package h5; see shim.h for the contract every function keeps.
#include "shim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// begin prepares the calling thread: no automatic error printing (per thread
// in thread-safe builds, so it is set on every call rather than once), and
// an empty error stack, so that what fail reads belongs to this call.
static void begin(char *err) {
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	H5Eclear2(H5E_DEFAULT);
	err[0] = '\0';
}

// The first entry of a walk downwards is the API call's own message ("unable
// to create file"), the last is the innermost cause (the system call and its
// errno); the two together say what failed and why.
typedef struct {
	char first[SPMDH5_ERRLEN / 2];
	char last[SPMDH5_ERRLEN / 2];
	int n;
} walk_t;

static herr_t walk_cb(unsigned n, const H5E_error2_t *e, void *data) {
	walk_t *w = data;
	(void)n;
	const char *desc = e->desc ? e->desc : "";
	if (w->n == 0) {
		snprintf(w->first, sizeof w->first, "%s", desc);
	}
	snprintf(w->last, sizeof w->last, "%s", desc);
	w->n++;
	return 0;
}

// fail fills err with what went wrong: the library's messages when its
// error stack has any, otherwise what (a message of the shim's own).
static void fail(char *err, const char *what) {
	walk_t w;
	memset(&w, 0, sizeof w);
	H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_cb, &w);
	H5Eclear2(H5E_DEFAULT);
	if (w.n == 0) {
		snprintf(err, SPMDH5_ERRLEN, "%s", what);
	} else if (w.n == 1 || strncmp(w.last, w.first, strlen(w.first)) == 0) {
		// One message, or the innermost repeats the outer one and adds
		// the details: the innermost alone says it all.
		snprintf(err, SPMDH5_ERRLEN, "%s: %s", what, w.last);
	} else if (strcmp(w.first, w.last) == 0) {
		snprintf(err, SPMDH5_ERRLEN, "%s: %s", what, w.first);
	} else {
		snprintf(err, SPMDH5_ERRLEN, "%s: %s: %s", what, w.first, w.last);
	}
}

// native maps a type code to the library's native type for it. The file
// gets the same type, so a dataset's bytes are the memory bytes of a []T on
// this machine, which the direct writer relies on.
static hid_t native(int code) {
	switch (code) {
	case SPMDH5_I8: return H5T_NATIVE_INT8;
	case SPMDH5_I16: return H5T_NATIVE_INT16;
	case SPMDH5_I32: return H5T_NATIVE_INT32;
	case SPMDH5_I64: return H5T_NATIVE_INT64;
	case SPMDH5_U8: return H5T_NATIVE_UINT8;
	case SPMDH5_U16: return H5T_NATIVE_UINT16;
	case SPMDH5_U32: return H5T_NATIVE_UINT32;
	case SPMDH5_U64: return H5T_NATIVE_UINT64;
	case SPMDH5_F32: return H5T_NATIVE_FLOAT;
	case SPMDH5_F64: return H5T_NATIVE_DOUBLE;
	}
	return H5I_INVALID_HID;
}

// codeOf maps a stored type to a type code, or 0 when no Go element type
// holds it exactly (a compound, an enum, a big-endian type on a
// little-endian host, a long double…).
static int codeOf(hid_t tid) {
	static const int codes[] = {SPMDH5_I8, SPMDH5_I16, SPMDH5_I32, SPMDH5_I64, SPMDH5_U8,
		SPMDH5_U16, SPMDH5_U32, SPMDH5_U64, SPMDH5_F32, SPMDH5_F64};
	if (H5Tget_class(tid) == H5T_STRING) {
		return H5Tis_variable_str(tid) > 0 ? SPMDH5_STRING : 0;
	}
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		if (H5Tequal(tid, native(codes[i])) > 0) {
			return codes[i];
		}
	}
	return 0;
}

int spmdh5_libversion(unsigned *maj, unsigned *min, unsigned *rel, int *threadsafe) {
	hbool_t ts = 0;
	if (H5get_libversion(maj, min, rel) < 0 || H5is_library_threadsafe(&ts) < 0) {
		return -1;
	}
	*threadsafe = ts ? 1 : 0;
	return 0;
}

hid_t spmdh5_create_file(const char *path, char *err) {
	begin(err);
	hid_t fid = H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
	if (fid < 0) {
		fail(err, "cannot create the file");
	}
	return fid;
}

hid_t spmdh5_open_file(const char *path, int write, char *err) {
	begin(err);
	hid_t fid = H5Fopen(path, write ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT);
	if (fid < 0) {
		fail(err, write ? "cannot open the file for writing" : "cannot open the file");
	}
	return fid;
}

int spmdh5_close_file(hid_t fid, char *err) {
	begin(err);
	if (H5Fclose(fid) < 0) {
		fail(err, "cannot close the file");
		return -1;
	}
	return 0;
}

// exists reports whether every link on the way to name exists (H5Lexists
// fails, rather than answering no, when an intermediate group is missing).
static htri_t exists(hid_t fid, const char *name) {
	char buf[4096];
	size_t len = strlen(name);
	if (len >= sizeof buf) {
		return -1;
	}
	memcpy(buf, name, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0') {
			continue;
		}
		char saved = buf[i];
		buf[i] = '\0';
		htri_t ok = 1;
		if (strcmp(buf, "/") != 0 && buf[0] != '\0') {
			ok = H5Lexists(fid, buf, H5P_DEFAULT);
		}
		buf[i] = saved;
		if (ok <= 0) {
			return ok;
		}
	}
	return 1;
}

int spmdh5_dataset_info(hid_t fid, const char *name, spmdh5_dinfo *out, char *err) {
	begin(err);
	memset(out, 0, sizeof *out);
	htri_t ok = exists(fid, name);
	if (ok < 0) {
		fail(err, "cannot look the dataset up");
		return -1;
	}
	if (ok == 0) {
		return 0;
	}
	hid_t oid = H5Oopen(fid, name, H5P_DEFAULT);
	if (oid < 0) {
		fail(err, "cannot open the object");
		return -1;
	}
	if (H5Iget_type(oid) != H5I_DATASET) {
		H5Oclose(oid);
		out->notdataset = 1;
		return 0;
	}
	out->exists = 1;
	int rc = -1;
	hid_t sid = H5Dget_space(oid), tid = H5Dget_type(oid), dcpl = H5Dget_create_plist(oid);
	if (sid < 0 || tid < 0 || dcpl < 0) {
		fail(err, "cannot read the dataset's shape and type");
		goto done;
	}
	int rank = H5Sget_simple_extent_ndims(sid);
	if (rank < 0 || rank > SPMDH5_MAXRANK) {
		fail(err, "cannot read the dataset's rank");
		goto done;
	}
	out->rank = rank;
	if (H5Sget_simple_extent_dims(sid, out->dims, NULL) < 0) {
		fail(err, "cannot read the dataset's dimensions");
		goto done;
	}
	out->code = codeOf(tid);
	out->contiguous = H5Pget_layout(dcpl) == H5D_CONTIGUOUS;
	rc = 0;
done:
	if (dcpl >= 0) H5Pclose(dcpl);
	if (tid >= 0) H5Tclose(tid);
	if (sid >= 0) H5Sclose(sid);
	H5Dclose(oid);
	return rc;
}

hid_t spmdh5_create_dataset(hid_t fid, const char *name, int code, int rank, const hsize_t *dims,
	const hsize_t *chunk, int shuffle, int deflate, char *err) {
	begin(err);
	hid_t did = H5I_INVALID_HID;
	hid_t sid = H5Screate_simple(rank, dims, NULL);
	hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
	hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
	if (sid < 0 || lcpl < 0 || dcpl < 0 || H5Pset_create_intermediate_group(lcpl, 1) < 0) {
		fail(err, "cannot set the dataset up");
		goto done;
	}
	if (chunk == NULL) {
		// Contiguous and allocated now, never filled: the file holds the
		// array's bytes at one offset, which the direct writer needs, and
		// writing fill values that every block overwrites would double
		// the I/O.
		if (H5Pset_layout(dcpl, H5D_CONTIGUOUS) < 0 || H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) < 0 ||
			H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) < 0) {
			fail(err, "cannot set the contiguous layout");
			goto done;
		}
	} else {
		// Filters run in the order set: shuffle before deflate, as h5py
		// does, so deflate sees bytes grouped by significance.
		if (H5Pset_chunk(dcpl, rank, chunk) < 0 || (shuffle && H5Pset_shuffle(dcpl) < 0) ||
			(deflate >= 0 && H5Pset_deflate(dcpl, (unsigned)deflate) < 0)) {
			fail(err, "cannot set chunking and compression");
			goto done;
		}
	}
	did = H5Dcreate2(fid, name, native(code), sid, lcpl, dcpl, H5P_DEFAULT);
	if (did < 0) {
		fail(err, "cannot create the dataset");
	}
done:
	if (dcpl >= 0) H5Pclose(dcpl);
	if (lcpl >= 0) H5Pclose(lcpl);
	if (sid >= 0) H5Sclose(sid);
	return did;
}

hid_t spmdh5_open_dataset(hid_t fid, const char *name, char *err) {
	begin(err);
	hid_t did = H5Dopen2(fid, name, H5P_DEFAULT);
	if (did < 0) {
		fail(err, "cannot open the dataset");
	}
	return did;
}

long long spmdh5_dataset_offset(hid_t did) {
	haddr_t a = H5Dget_offset(did);
	if (a == HADDR_UNDEF) {
		return -1;
	}
	return (long long)a;
}

int spmdh5_close_dataset(hid_t did, char *err) {
	begin(err);
	if (H5Dclose(did) < 0) {
		fail(err, "cannot close the dataset");
		return -1;
	}
	return 0;
}

// block runs H5Dwrite or H5Dread of one hyperslab of the dataset.
static int block(hid_t did, int code, int rank, const hsize_t *start, const hsize_t *count, void *buf,
	int write, char *err) {
	int rc = -1;
	hid_t fsp = H5Dget_space(did);
	hid_t msp = H5Screate_simple(rank, count, NULL);
	if (fsp < 0 || msp < 0 || H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL) < 0) {
		fail(err, "cannot select the block");
		goto done;
	}
	herr_t st = write ? H5Dwrite(did, native(code), msp, fsp, H5P_DEFAULT, buf)
			  : H5Dread(did, native(code), msp, fsp, H5P_DEFAULT, buf);
	if (st < 0) {
		fail(err, write ? "cannot write the block" : "cannot read the block");
		goto done;
	}
	rc = 0;
done:
	if (msp >= 0) H5Sclose(msp);
	if (fsp >= 0) H5Sclose(fsp);
	return rc;
}

int spmdh5_write_block(hid_t did, int code, int rank, const hsize_t *start, const hsize_t *count,
	const void *buf, char *err) {
	begin(err);
	return block(did, code, rank, start, count, (void *)buf, 1, err);
}

int spmdh5_read_block(hid_t fid, const char *name, int code, int rank, const hsize_t *start,
	const hsize_t *count, void *buf, char *err) {
	begin(err);
	hid_t did = H5Dopen2(fid, name, H5P_DEFAULT);
	if (did < 0) {
		fail(err, "cannot open the dataset");
		return -1;
	}
	int rc = block(did, code, rank, start, count, buf, 0, err);
	H5Dclose(did);
	return rc;
}

int spmdh5_write_attr(hid_t obj, const char *name, int code, long long n, const void *data, char *err) {
	begin(err);
	int rc = -1;
	hid_t tid = H5I_INVALID_HID, sid = H5I_INVALID_HID, aid = H5I_INVALID_HID;
	htri_t had = H5Aexists(obj, name);
	if (had < 0 || (had > 0 && H5Adelete(obj, name) < 0)) {
		fail(err, "cannot replace the attribute");
		return -1;
	}
	if (code == SPMDH5_STRING) {
		tid = H5Tcopy(H5T_C_S1);
		if (tid < 0 || H5Tset_size(tid, H5T_VARIABLE) < 0 || H5Tset_cset(tid, H5T_CSET_UTF8) < 0) {
			fail(err, "cannot make the string type");
			goto done;
		}
	} else {
		tid = H5Tcopy(native(code));
	}
	if (n < 0) {
		sid = H5Screate(H5S_SCALAR);
	} else {
		hsize_t dim = (hsize_t)n;
		sid = H5Screate_simple(1, &dim, NULL);
	}
	if (tid < 0 || sid < 0) {
		fail(err, "cannot set the attribute up");
		goto done;
	}
	aid = H5Acreate2(obj, name, tid, sid, H5P_DEFAULT, H5P_DEFAULT);
	if (aid < 0) {
		fail(err, "cannot create the attribute");
		goto done;
	}
	// A variable-length string is written from a pointer to its char*.
	const void *src = code == SPMDH5_STRING ? (const void *)&data : data;
	if (H5Awrite(aid, tid, src) < 0) {
		fail(err, "cannot write the attribute");
		goto done;
	}
	rc = 0;
done:
	if (aid >= 0) H5Aclose(aid);
	if (sid >= 0) H5Sclose(sid);
	if (tid >= 0) H5Tclose(tid);
	return rc;
}

// openAttr opens attribute name of object obj ("/" for the file's root).
static hid_t openAttr(hid_t fid, const char *obj, const char *name, char *err) {
	hid_t aid = H5Aopen_by_name(fid, obj, name, H5P_DEFAULT, H5P_DEFAULT);
	if (aid < 0) {
		fail(err, "cannot open the attribute");
	}
	return aid;
}

int spmdh5_attr_info(hid_t fid, const char *obj, const char *name, spmdh5_ainfo *out, char *err) {
	begin(err);
	memset(out, 0, sizeof *out);
	htri_t has = H5Aexists_by_name(fid, obj, name, H5P_DEFAULT);
	if (has < 0) {
		fail(err, "cannot look the attribute up");
		return -1;
	}
	if (has == 0) {
		return 0;
	}
	out->exists = 1;
	hid_t aid = openAttr(fid, obj, name, err);
	if (aid < 0) {
		return -1;
	}
	int rc = -1;
	hid_t tid = H5Aget_type(aid), sid = H5Aget_space(aid);
	if (tid < 0 || sid < 0) {
		fail(err, "cannot read the attribute's type and shape");
		goto done;
	}
	out->code = codeOf(tid);
	out->scalar = H5Sget_simple_extent_type(sid) == H5S_SCALAR;
	out->npoints = (long long)H5Sget_simple_extent_npoints(sid);
	rc = 0;
done:
	if (sid >= 0) H5Sclose(sid);
	if (tid >= 0) H5Tclose(tid);
	H5Aclose(aid);
	return rc;
}

int spmdh5_read_attr(hid_t fid, const char *obj, const char *name, int code, void *buf, char *err) {
	begin(err);
	hid_t aid = openAttr(fid, obj, name, err);
	if (aid < 0) {
		return -1;
	}
	int rc = 0;
	if (H5Aread(aid, native(code), buf) < 0) {
		fail(err, "cannot read the attribute");
		rc = -1;
	}
	H5Aclose(aid);
	return rc;
}

char *spmdh5_read_attr_string(hid_t fid, const char *obj, const char *name, char *err) {
	begin(err);
	hid_t aid = openAttr(fid, obj, name, err);
	if (aid < 0) {
		return NULL;
	}
	char *out = NULL, *s = NULL;
	hid_t tid = H5Aget_type(aid);
	if (tid < 0 || H5Aread(aid, tid, &s) < 0) {
		fail(err, "cannot read the string attribute");
	} else {
		// The library allocated s; hand Go a copy from malloc so that Go
		// frees it with free, and release the library's with its own call.
		out = strdup(s ? s : "");
		if (s) H5free_memory(s);
		if (!out) fail(err, "out of memory");
	}
	if (tid >= 0) H5Tclose(tid);
	H5Aclose(aid);
	return out;
}

int spmdh5_delete(hid_t fid, const char *name, char *err) {
	begin(err);
	if (H5Ldelete(fid, name, H5P_DEFAULT) < 0) {
		fail(err, "cannot delete the link");
		return -1;
	}
	return 0;
}

int spmdh5_move(hid_t fid, const char *from, const char *to, char *err) {
	begin(err);
	if (H5Lmove(fid, from, fid, to, H5P_DEFAULT, H5P_DEFAULT) < 0) {
		fail(err, "cannot move the dataset into place");
		return -1;
	}
	return 0;
}

// A growing, NUL-terminated list of names, each followed by '\n'.
typedef struct {
	char *buf;
	size_t len, cap;
	int oom;
} names_t;

static herr_t list_cb(hid_t group, const char *name, const H5L_info_t *info, void *data) {
	names_t *l = data;
	if (info->type != H5L_TYPE_HARD) {
		return 0;
	}
	hid_t oid = H5Oopen(group, name, H5P_DEFAULT);
	if (oid < 0) {
		return 0;
	}
	int isds = H5Iget_type(oid) == H5I_DATASET;
	H5Oclose(oid);
	if (!isds) {
		return 0;
	}
	size_t n = strlen(name);
	if (l->len + n + 2 > l->cap) {
		size_t cap = (l->cap + n + 2) * 2;
		char *b = realloc(l->buf, cap);
		if (!b) {
			l->oom = 1;
			return -1;
		}
		l->buf = b;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, name, n);
	l->buf[l->len + n] = '\n';
	l->len += n + 1;
	l->buf[l->len] = '\0';
	return 0;
}

char *spmdh5_list_datasets(hid_t fid, char *err) {
	begin(err);
	names_t l = {NULL, 0, 0, 0};
	if (H5Lvisit(fid, H5_INDEX_NAME, H5_ITER_INC, list_cb, &l) < 0) {
		fail(err, l.oom ? "out of memory" : "cannot list the datasets");
		free(l.buf);
		return NULL;
	}
	if (!l.buf) {
		l.buf = calloc(1, 1);
	}
	return l.buf;
}
