/*
 * maso_shards.h -- a sharded index: a directory holding a manifest and
 * (usually) S shard stores, each an ordinary maso store (maso_store.h)
 * that every program can open alone.
 *
 * Conventions are those of maso.h: opaque handles, int status (0, negative
 * MASO_* code, positive errno), a detailed message per handle
 * (maso_shards_errmsg), no printing, no global state.
 *
 * The manifest is the text file DB/manifest, written once when the index
 * is created (through a temporary file renamed into place, so a crash
 * leaves either no manifest or a whole one) and edited by hand only to
 * move a shard:
 *
 *     # maso sharded index ...             comments and blank lines
 *     maso-shards 1                        format version
 *     shards 4                             S, fixed at creation
 *     hash fnv1a64                         how a path picks its shard
 *     param_sha256 <64 hex>                model identity ...
 *     bin_sha256 <64 hex>
 *     input 3 227 227
 *     preprocess mean=104,117,123 scale=1,1,1 bgr=1
 *     sketch 1 2048 640                    seed, ReLU and max-pool samples
 *     full_codes 0
 *     precision fp32                       the codes' arithmetic (absent in
 *                                          manifests before it was recorded)
 *     shard 0 * shard-000                  number, host, path (rest of line)
 *     shard 1 node7 /local/maso/shard-001
 *
 * A shard's host is "*" when any machine can open its path (a shared file
 * system), else the host name of the one machine holding it (node-local
 * disks).  Relative paths are relative to the DB directory.  Moving a
 * shard = stop the writers, move its directory, edit its line.
 *
 * A file belongs to shard fnv1a64(absolute path) mod S (the 64-bit FNV-1a
 * hash of the path's bytes), so reruns and incremental runs find it.
 */
#ifndef MASO_SHARDS_H
#define MASO_SHARDS_H

#include <stddef.h>
#include <stdint.h>

#include "maso.h"
#include "maso_store.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The manifest's file name inside the DB directory. */
#define MASO_SHARDS_MANIFEST "manifest"
/** Largest S (shard ids are store tags, maso_store.h). */
#define MASO_SHARDS_MAX 65536
/** The host of a shard any machine can open. */
#define MASO_SHARDS_ANY_HOST "*"

typedef struct maso_shards maso_shards;

int maso_shards_create(maso_shards **shards);
/** Free the handle (NULL allowed). */
void maso_shards_destroy(maso_shards *shards);

/** The message of the last failure; owned by the handle, valid until its
 *  next call.  "" after success. */
const char *maso_shards_errmsg(const maso_shards *shards);

/** 1 when @p db is a sharded index (DB/manifest exists), 0 when it is not
 *  (a single store, or nothing yet). */
int maso_shards_is_sharded(const char *db);

/**
 * Read the manifest of @p db.  Errors: ENOENT (no manifest), MASO_EDATA
 * (a malformed line: the message names the file, the line and why),
 * other errno values from reading it.
 */
int maso_shards_open(maso_shards *shards, const char *db);

/**
 * Describe a new sharded index @p db of @p count shards (1 to
 * MASO_SHARDS_MAX) built with @p identity (its model fields, sketch
 * parameters and full_codes are recorded).  Shard i's path is
 * @p dir_template with "%n" replaced by i (at least 3 digits, zero-padded),
 * "%h" by its host and "%%" by "%"; NULL means "shard-%n" (inside DB).
 * When the template names "%h", shard i lives on @p hosts[i % n_hosts]
 * (the machines of the job, in order), else on any host.  A template that
 * does not name "%n" is refused (two shards would share a store).  Nothing
 * is written until maso_shards_write().
 */
int maso_shards_init(maso_shards *shards, const char *db, size_t count,
                     const char *dir_template, const char *const *hosts,
                     size_t n_hosts, const maso_store_identity *identity);

/** Write the manifest of an initialised handle into DB (created when
 *  missing): a temporary file, fsync, rename, fsync of the directory. */
int maso_shards_write(maso_shards *shards);

/** S. */
size_t maso_shards_count(const maso_shards *shards);

/** Shard @p i's path as recorded (maybe relative) and as opened (relative
 *  paths joined to DB); its host ("*": any).  Owned by the handle. */
const char *maso_shards_path(const maso_shards *shards, size_t i);
const char *maso_shards_location(const maso_shards *shards, size_t i);
const char *maso_shards_host(const maso_shards *shards, size_t i);

/** The shard of the file at absolute path @p path. */
size_t maso_shards_of_path(const maso_shards *shards, const char *path);

/**
 * Fill @p identity with what the manifest records, taking the layout table
 * from @p model_identity (the manifest does not hold it: every shard store
 * does) and compare the model fields and the precision with
 * @p model_identity's (NULL: no comparison).  A manifest that predates the
 * precision's record gives @p model_identity's precision (fp32 without
 * one).  MASO_EMISMATCH names the first difference.  @p identity
 * points into the handle and lives as long as it.
 */
int maso_shards_identity(maso_shards *shards,
                         const maso_store_identity *model_identity,
                         maso_store_identity *identity);

/**
 * The precision the manifest records (maso_shards_init() records
 * @p identity's) into @p precision: 0, or ENOENT when the manifest was
 * written before precisions were recorded (each shard store still records
 * its own).  maso_shards_identity() refuses a model identity of another
 * precision with MASO_EMISMATCH.
 */
int maso_shards_precision(const maso_shards *shards,
                          maso_model_precision *precision);

#ifdef __cplusplus
}
#endif
#endif /* MASO_SHARDS_H */
