/*
 * maso_store.h -- the index store: one LMDB environment (a directory) per
 * index, holding per image file a record, a sketch and optionally the full
 * code.  The programs never see LMDB.
 *
 * Conventions are those of maso.h: opaque handles, int status (0, negative
 * MASO_* code, positive errno), a detailed message per handle
 * (maso_store_errmsg), no printing, no global state.
 *
 * Concurrency.  Any number of processes may open a store read-only while
 * one process writes: readers see the state of the last commit made before
 * their read began (LMDB MVCC) and never block the writer.  Writers are
 * serialised by LMDB's lock.  A maso_store handle is not thread-safe, except
 * that views (maso_store_view_*) may be read in several threads at once
 * while no batch is being committed on that handle.
 *
 * One handle per store per process: LMDB forbids opening the same
 * environment twice in one process (the second open would reset the reader
 * table and closing it drops the first one's locks, letting a writer reuse
 * pages a reader still uses).  Share the handle, e.g. among search threads.
 *
 * Durability.  Writes go through batches committed in one transaction; a
 * crash or kill -9 loses at most the batch being committed, never what was
 * committed before, and never leaves a half-written batch.
 *
 * Storage layout (schema version MASO_STORE_SCHEMA), sub-databases.
 * Checksums (schema 3; db/checksum.c): every value carries an XXH3-64
 * checksum seeded with its key, so that damage to it (LMDB has no page
 * checksums) is an error rather than a different answer.  They are
 * verified by maso_store_check() for everything, and by the reads that
 * hand values out (get_by_id/path, foreach, view_record, the meta values,
 * the header of every block a scan or view reads); the sketches a scan or
 * view reads in bulk are not (that would cost the scan its speed):
 * maso_store_check() finds those.
 *   "meta"     string keys -> values (little-endian integers), each
 *              followed by 8 bytes of checksum:
 *              "schema" u32, "identity" (model identity + sketch params,
 *              see identity.c), "layout" (code layout table), "blocks"
 *              {u32 records per block B, u32 stride (sketch bytes), u32
 *              summary bytes, u32 MASO_SEARCH_SUMMARY_VERSION}, "next_id"
 *              u64, "count_ok" u64, "count_failed" u64, "count_codes" u64.
 *              A store whose summaries differ from this program's (size or
 *              version) is refused with MASO_EMISMATCH: rebuild it.
 *   "records"  key: id as 8 bytes big-endian (cursor order = id order);
 *              value: 32-byte header {u8 status, u8 flags, u16 0, u32
 *              path_len, u32 reason_len, u32 checksum (of the value
 *              without it), u64 size, i64 mtime_ns}
 *              then the path bytes and a NUL, then the reason bytes and a
 *              NUL (no other NULs): views hand out strings in place.
 *   "paths"    key: the path when it has <= MASO_STORE_SHORT_PATH bytes,
 *              else a 0x00 byte + sha256(path) (33 bytes; paths never
 *              start with NUL so the two kinds cannot meet).  Duplicate
 *              sorted, fixed-size values: the 8-byte big-endian ids; a
 *              hashed key may carry several ids (collisions), told apart
 *              by comparing the path kept in "records".
 *   "blocks"   key: block number (id / B) as 8 bytes big-endian; value: a
 *              48-byte header {"MBK1", u32 B, u64 block, u32 stride, u32
 *              summary bytes, u32 summaries offset (112 + 8B), u32 sketches
 *              offset, u32 summary version, u32 present count, u64 checksum
 *              of the header, bitmap and slot checksums}, a 64-byte
 *              presence bitmap (slot = id % B is bit slot%8 of byte
 *              slot/8; set exactly for the OK records), B u64 slot
 *              checksums (of the slot's summary and sketch), B summaries
 *              (maso_search_summarize() of the sketch), B sketches at the
 *              stride.  Empty slots are zero; a block with no present slot
 *              is deleted.  A commit rewrites each block it touches once.
 *   "codes"    key: 8-byte big-endian id; value: a 48-byte prefix {"MCD1",
 *              u32 payload bytes, u64 id, u64 checksum, zeros}, the full
 *              code, zero
 *              padding up to at least half a page; only when the store was
 *              created with full codes.
 *
 * Alignment (what scans and views rely on).  LMDB aligns values to 2 bytes
 * only.  A value longer than about half a page is put on its own overflow
 * pages and starts 16 bytes (LMDB's page header on 64-bit builds) after a
 * page boundary; the 48-byte prefix of codes and the 112 + 8B + B*summary
 * bytes before a block's sketches bring them to a 64-byte boundary.
 * Schema 2 is the same layout without any checksum: no 8 bytes after
 * meta values, zeros in records and codes, no slot checksums in blocks.  Views
 * (and the internal scan of scan_internal.h) check the alignment and, should
 * an LMDB build lay pages out differently, copy into aligned memory of their
 * own instead: callers may always assume 64-byte alignment.
 */
#ifndef MASO_STORE_H
#define MASO_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "maso.h"

#ifdef __cplusplus
extern "C" {
#endif

struct maso_search_segment;
struct maso_search;

/** Version of the layout above, written by this program. */
#define MASO_STORE_SCHEMA 3
/** The previous version: the same layout without checksums.  Such stores
 *  open, answer and take new records (still without checksums);
 *  maso_store_checksums() tells them apart.  Others are refused. */
#define MASO_STORE_SCHEMA_UNVERIFIED 2

/** Paths up to this many bytes are path-index keys themselves. */
#define MASO_STORE_SHORT_PATH 500

/** maso_store_open() flags. */
#define MASO_STORE_RDONLY 0x1u /**< read-only; never creates or grows */
#define MASO_STORE_CREATE 0x2u /**< create the directory and store if absent */
#define MASO_STORE_NOSYNC 0x4u /**< no fsync at commit (bulk loads): a crash
                                    of the machine (not of the process) may
                                    lose committed batches */

/**
 * What an index was built with.  Stored when the store is created; opening
 * it again compares the model fields with the caller's.
 * Fill the model fields from maso_model_param_sha256(), _bin_sha256(),
 * _input_size(), maso_store_preprocess_format(maso_model_get_preprocess()),
 * maso_model_code_layers() and maso_model_get_precision().
 */
typedef struct maso_store_identity {
    char param_sha256[65]; /**< lowercase hex + NUL */
    char bin_sha256[65];
    int input_channels, input_height, input_width;
    /** Canonical text of the preprocessing, e.g. from
     *  maso_store_preprocess_format(); at most 255 bytes. */
    const char *preprocess;
    const maso_code_layer *layers; /**< the code layout table */
    size_t n_layers;
    /** Sketch parameters and whether full codes are kept.  Used when the
     *  store is created; when it exists they are read from it (see
     *  maso_store_get_identity) and the caller's values are ignored. */
    maso_sketch_params sketch;
    int full_codes;
    /** The arithmetic that made the codes (maso_model_get_precision()):
     *  codes of different precisions are never mixed in one store or one
     *  search.  Stores written before it was recorded read as FP32. */
    maso_model_precision precision;
} maso_store_identity;

/** Write the canonical text of @p pre to @p buf ("mean=104,117,123
 *  scale=1,1,1 bgr=1"; floats with 9 significant digits).  Returns the
 *  length, or the length needed when >= @p size (snprintf-like). */
int maso_store_preprocess_format(const maso_preprocess *pre, char *buf,
                                 size_t size);

typedef struct maso_store maso_store;

int maso_store_create(maso_store **store);
/** Close the store if open and free the handle.  Batches and scans of it
 *  must have been ended.  NULL allowed. */
void maso_store_destroy(maso_store *store);

/** Initial map size for a store created by maso_store_open() (default
 *  1 GiB; the map doubles whenever it is full).  Before open only. */
int maso_store_set_map_size(maso_store *store, uint64_t bytes);

/** Records per sketch block (a multiple of 8 in [8, 512], default 64) for
 *  a store created by maso_store_open(); an existing store keeps its own.
 *  Smaller blocks rewrite less per commit, larger ones make fewer search
 *  segments.  Before open only. */
int maso_store_set_block_records(maso_store *store, size_t records);

/**
 * Open the store in directory @p path.
 * - Missing store: ENOENT (the message names the path) unless
 *   MASO_STORE_CREATE (and not RDONLY), which creates the directory and an
 *   empty store recording @p expected (required then).
 * - Existing store: its schema must be MASO_STORE_SCHEMA and, when
 *   @p expected is not NULL, its model identity (sha256s, input size,
 *   preprocessing, layout table) must equal @p expected's, otherwise
 *   MASO_EMISMATCH with a message naming the first differing field and both
 *   values.  @p expected NULL accepts any model (tools that only read).
 * - Files that are not an LMDB store, truncated, or without maso metadata:
 *   MASO_EDATA.
 * The identity is copied; @p expected need not outlive the call.
 */
int maso_store_open(maso_store *store, const char *path, unsigned flags,
                    const maso_store_identity *expected);

/** The message of the last failure; owned by the handle, valid until its
 *  next call.  "" after success. */
const char *maso_store_errmsg(const maso_store *store);

/** The identity read from the open store (sketch parameters and full_codes
 *  included).  Owned by the store; lives until it is destroyed. */
const maso_store_identity *maso_store_get_identity(const maso_store *store);

/** The sketch of the open store (from its stored layout and parameters).
 *  Owned by the store; lives until it is destroyed.  Thread-shareable. */
const maso_sketch *maso_store_sketch(const maso_store *store);

/* ------------------------------------------------------------------------ */
/* Records                                                                   */
/* ------------------------------------------------------------------------ */

typedef enum maso_record_status {
    MASO_RECORD_OK = 0,     /**< coded: has a sketch (and maybe a code) */
    MASO_RECORD_FAILED = 1  /**< not coded: reason says why */
} maso_record_status;

/** One indexed file. */
typedef struct maso_store_record {
    uint64_t id;          /**< assigned by the store, >= 1, never reused */
    const char *path;     /**< NUL-terminated, non-empty, not starting with NUL */
    uint64_t size;        /**< file size in bytes */
    int64_t mtime_ns;     /**< modification time, ns since the epoch */
    maso_record_status status;
    const char *reason;   /**< FAILED: why (may be ""); OK: NULL */
    const uint8_t *sketch; /**< OK: maso_sketch_bytes() bytes, or NULL */
    const uint8_t *code;   /**< full code (maso_sketch_code_bytes()), or NULL */
} maso_store_record;

/** Orientations whose sketches a record may keep besides its own
 *  (maso_store_batch_put_oriented()) (EXIF
 *  numbering, maso_image_orient(): 2 mirrored left-right, 4 mirrored
 *  top-bottom, 6 turned 90 degrees clockwise).  With the image as it is
 *  they make a set S of 4 in which every one of the 8 orientations g is
 *  s^-1 t for some s, t of S: an image and its copy turned by any g have a
 *  pair of sketches of one orientation (s of the image, t of the copy), so
 *  the smallest distance over the 16 pairs finds the copy, with 3 extra
 *  forward passes per image instead of 7. */
#define MASO_STORE_ORIENTS 3
#define MASO_STORE_ORIENTATIONS { 2, 4, 6 }

/* What maso_store_get_* copy out besides the record fields. */
#define MASO_STORE_WANT_SKETCH 0x1u
#define MASO_STORE_WANT_CODE 0x2u

/**
 * Look a record up by id or path.  On success @p out holds copies owned by
 * the caller (release with maso_store_record_free()); sketch and code only
 * when asked with @p want and present.  Errors: MASO_ENOTFOUND,
 * MASO_EDATA (a stored value is malformed), ENOMEM.
 */
int maso_store_get_by_id(maso_store *store, uint64_t id, unsigned want,
                         maso_store_record *out);
int maso_store_get_by_path(maso_store *store, const char *path, unsigned want,
                           maso_store_record *out);

/** Free what maso_store_get_*() allocated in @p record and zero it. */
void maso_store_record_free(maso_store_record *record);

/**
 * Call @p fn for every record in id order, inside one read transaction
 * (a consistent snapshot).  The record's pointers (path, reason, sketch,
 * code when @p want asks for them) point into the map or into the store
 * and are valid only during the call; path and reason are NUL-terminated
 * copies.  A non-zero return of @p fn stops the iteration and is returned.
 */
int maso_store_foreach(maso_store *store, unsigned want,
                       int (*fn)(const maso_store_record *record, void *arg),
                       void *arg);

/* ------------------------------------------------------------------------ */
/* Writing: batches                                                          */
/* ------------------------------------------------------------------------ */

/**
 * A batch of writes applied in one transaction at commit.  Puts and deletes
 * are buffered in the batch (records are copied; an OK record keeps only its
 * sketch unless the store keeps full codes), so a commit that finds the map
 * full can abort, double the map and replay them.  One batch at a time per
 * store handle; none on a read-only store.
 */
typedef struct maso_store_batch maso_store_batch;

int maso_store_batch_begin(maso_store *store, maso_store_batch **batch);

/**
 * Queue @p record (its id is ignored).  A path already in the store keeps
 * its id and the record replaces the old one.  An OK record needs a code
 * (the store computes the sketch, and keeps the code if the store keeps
 * full codes) or, when the store does not keep full codes, a sketch.
 * Errors: MASO_EINVAL_ARG (bad path, missing code), ENOMEM.
 */
int maso_store_batch_put(maso_store_batch *batch,
                         const maso_store_record *record);

/**
 * maso_store_batch_put() of an OK record with its orientation sketches:
 * @p orients holds the sketches of the image in the orientations
 * MASO_STORE_ORIENTATIONS names, MASO_STORE_ORIENTS of maso_sketch_bytes()
 * each one after the other (copied), or is NULL (none kept: near-duplicate
 * grouping then compares the image as it is).  Read back in place with
 * maso_store_view_orients(); replaced or removed with the record.
 * Errors: those of maso_store_batch_put().
 */
int maso_store_batch_put_oriented(maso_store_batch *batch,
                                  const maso_store_record *record,
                                  const uint8_t *orients);

/** Queue the removal of @p path (record, sketch, code, path entry); a path
 *  not in the store is ignored at commit. */
int maso_store_batch_delete(maso_store_batch *batch, const char *path);

/** Number of queued operations. */
size_t maso_store_batch_count(const maso_store_batch *batch);

/** 1 when the batch holds >= @p max_ops operations or was begun >=
 *  @p max_seconds ago (the indexer's commit policy), else 0. */
int maso_store_batch_due(const maso_store_batch *batch, size_t max_ops,
                         double max_seconds);

/**
 * Apply the queued operations in one write transaction, growing the map
 * as needed, and commit.  The batch is freed whatever the result; on
 * failure nothing of it is stored.  Errors: the store's message says why;
 * ENOSPC when the store's file system is full (LMDB reports a short write
 * as EIO: that is reported as ENOSPC too when no space is left).
 */
int maso_store_batch_commit(maso_store_batch *batch);

/** Discard the queued operations and free the batch.  NULL allowed. */
void maso_store_batch_abort(maso_store_batch *batch);

/* ------------------------------------------------------------------------ */
/* Views: a snapshot of the sketches laid out for maso_search                */
/* ------------------------------------------------------------------------ */

/*
 * A view is a read snapshot of the store presented as maso_search segments
 * (search/include/maso_search.h): sketches at a fixed stride, their ids and their
 * search summaries, all read in place from the memory map.  Several stores
 * are searched as one by giving each view its own id tag: every id a view
 * reports or accepts is (tag << MASO_STORE_TAG_SHIFT) | id.
 */
#define MASO_STORE_TAG_SHIFT 48

/** The tagged id of local id @p id in the view tagged @p tag (< 65536). */
static inline uint64_t maso_store_id_tag(unsigned tag, uint64_t id)
{
    return (uint64_t)tag << MASO_STORE_TAG_SHIFT |
           (id & ((UINT64_C(1) << MASO_STORE_TAG_SHIFT) - 1));
}

/** The tag of a tagged id (the position of its store in a set). */
static inline unsigned maso_store_id_tag_of(uint64_t tagged)
{
    return (unsigned)(tagged >> MASO_STORE_TAG_SHIFT);
}

/** The store's own id of a tagged id (what maso_store_get_by_id() takes). */
static inline uint64_t maso_store_id_local(uint64_t tagged)
{
    return tagged & ((UINT64_C(1) << MASO_STORE_TAG_SHIFT) - 1);
}

typedef struct maso_store_view maso_store_view;

/** Begin a view of @p store (a read transaction); @p tag < 65536.  Views
 *  are read transactions: any number may be open at once, in several threads.
 *  Failures of view calls leave their message in maso_store_errmsg(); an
 *  absent id (MASO_ENOTFOUND) leaves no message, so lookups of ids may run
 *  in several threads at once. */
int maso_store_view_begin(maso_store *store, unsigned tag,
                          maso_store_view **view);

/**
 * The segments of the view: *segments receives the array (owned by the
 * view, valid until maso_store_view_end()), the return value its length.
 * Summaries are those of the engine maso_store_search_create() makes.
 */
size_t maso_store_view_segments(const maso_store_view *view,
                                const struct maso_search_segment **segments);

/** Number of sketches (OK records) in the view. */
uint64_t maso_store_view_count(const maso_store_view *view);

/**
 * The record of a (tagged) id in the view's snapshot: fills @p record with
 * pointers owned by the view, valid until maso_store_view_end() (do not
 * call maso_store_record_free() on it).  MASO_ENOTFOUND when absent.
 */
int maso_store_view_record(maso_store_view *view, uint64_t id,
                           maso_store_record *record);

/** The sketch of a (tagged) id, in place, or NULL when absent. */
const uint8_t *maso_store_view_sketch(maso_store_view *view, uint64_t id);

/** The full code of a (tagged) id, in place; MASO_ENOTFOUND when the store
 *  keeps none for it. */
int maso_store_view_code(maso_store_view *view, uint64_t id,
                         const uint8_t **code);

/** The orientation sketches of a (tagged) id (MASO_STORE_ORIENTS sketches
 *  one after the other, see maso_store_record.orients), in place;
 *  MASO_ENOTFOUND when the store keeps none for it (a store written
 *  before they were kept, or by maso-index --no-orient), MASO_EDATA when
 *  the value is malformed or (schema 3) fails its checksum. */
int maso_store_view_orients(maso_store_view *view, uint64_t id,
                            const uint8_t **orients);

/**
 * Ask the kernel to read every sketch of the view ahead, for a reader
 * about to go through them all (an exact scan, duplicate groups).  Stores
 * are opened without the kernel's read-around, which would make every
 * query read most of a store larger than the page cache; a whole pass
 * asks for its pages instead.  Speed only, never results; cheap when the
 * pages are cached.
 */
void maso_store_view_prefetch(maso_store_view *view);

/** End the view (NULL allowed); its pointers become invalid. */
void maso_store_view_end(maso_store_view *view);

/** A search engine configured for this store's sketches and summaries
 *  (layout, summary size).  Owned by the caller (maso_search_destroy()). */
int maso_store_search_create(maso_store *store,
                             struct maso_search **search);

/* ------------------------------------------------------------------------ */
/* Statistics and checks                                                     */
/* ------------------------------------------------------------------------ */

typedef struct maso_store_stats {
    uint64_t records;       /**< all records */
    uint64_t ok, failed;    /**< by status */
    uint64_t codes;         /**< records with a full code */
    uint64_t next_id;       /**< the id the next new path gets */
    uint64_t page_size;
    uint64_t map_size;      /**< current map size in bytes */
    uint64_t map_grows;     /**< times this handle doubled the map */
    uint64_t file_bytes;    /**< pages in use (last page number + 1) * size */
    /** Pages (branch + leaf + overflow) of each sub-database;
     *  pages_sketches counts the "blocks" table. */
    uint64_t pages_meta, pages_records, pages_paths, pages_sketches,
        pages_codes;
    /** Bytes of all sub-databases' pages per record (0 when empty). */
    double bytes_per_record;
    /** Records with orientation sketches, and the pages of their table
     *  (counted in bytes_per_record). */
    uint64_t orients, pages_orients;
} maso_store_stats;

int maso_store_get_stats(maso_store *store, maso_store_stats *stats);

/**
 * Verify the store in one snapshot: every checksum (schema 3), and the
 * invariants across sub-databases: every record is reachable from its
 * path, every path entry points to a record with that path, OK records
 * have a well-formed sketch whose summary is its own, FAILED ones none,
 * codes only where flagged, counters equal the counts, ids < next_id.
 * Returns 0 or MASO_EDATA with the first violation in the message (for
 * damaged records: how many, and the first).  A schema-2 store has no
 * checksums, so damage to its values goes unseen: see
 * maso_store_checksums().
 */
int maso_store_check(maso_store *store);

/** 1 when the open store's values carry checksums (schema 3), 0 for a
 *  schema-2 store (or none open). */
int maso_store_checksums(const maso_store *store);

/** A damaged record, as maso_store_check_damage() and maso_store_repair()
 *  report it. */
typedef struct maso_store_damage {
    uint64_t id;
    /** Its path (from the record, or the path index when the record itself
     *  is damaged); NULL when neither has it.  Valid during the call. */
    const char *path;
    /** Static text: which part is damaged or inconsistent: "record",
     *  "path index", "sketch", "sketch block" or "full code". */
    const char *what;
} maso_store_damage;

/** Called once per damaged record, in id order; a nonzero return stops the
 *  walk and is returned. */
typedef int (*maso_store_damage_fn)(void *arg, const maso_store_damage *d);

/**
 * maso_store_check() that goes on past damaged records: each is passed to
 * @p fn (may be NULL) and counted in *@p n_damaged (may be NULL).  Returns
 * as maso_store_check() does.
 */
int maso_store_check_damage(maso_store *store, maso_store_damage_fn fn,
                            void *arg, uint64_t *n_damaged);

/**
 * Remove every damaged record (each passed to @p fn, may be NULL, after
 * the commit), with its path entry, sketch and full code, drop damaged
 * sketch blocks, and recount the counters, in one commit; *@p n_removed
 * (may be NULL) gets how many records went.  Indexing their files again
 * (maso-index --repair does) brings them back.  The store must be open
 * for writing.  Returns 0 (also when nothing was damaged) or an error,
 * after which the store is unchanged.
 */
int maso_store_repair(maso_store *store, maso_store_damage_fn fn, void *arg,
                      uint64_t *n_removed);

#ifdef __cplusplus
}
#endif
#endif /* MASO_STORE_H */
