/* dbset.h -- several stores searched as one: each opened read-only with
 * the model's identity, given a view tagged with its position, their
 * segments concatenated for one search engine. */
#ifndef MASO_QUERY_DBSET_H
#define MASO_QUERY_DBSET_H

#include <stddef.h>
#include <stdint.h>

#include "maso.h"
#include "maso_cli.h"
#include "maso_search.h"
#include "maso_store.h"

typedef struct dbset dbset;

/* Open the @p n stores at @p paths read-only for @p model.  Every store
 * must have been built with the model (identity) and the same sketch
 * parameters, else the sketches would not be comparable.  With @p model
 * NULL (searches that need no forward pass) the stores must have the
 * identity of the first.  On failure @p err names the store and the
 * cause; *out is NULL. */
int dbset_open(const char *const *paths, size_t n, const maso_model *model,
               dbset **out, char err[MASO_CLI_ERRLEN]);
void dbset_close(dbset *set);

/* The segments of all views (owned by the set). */
size_t dbset_segments(const dbset *set, const maso_search_segment **segs);
/* Sketches in all views. */
uint64_t dbset_count(const dbset *set);
/* The engine for the stores' sketches (owned by the set). */
maso_search *dbset_engine(dbset *set);
/* The model identity of the first store (all are equal; owned by it). */
const maso_store_identity *dbset_identity(const dbset *set);
/* The sketch of the first store (all are equal). */
const maso_sketch *dbset_sketch(const dbset *set);
/* 1 when every store keeps full codes. */
int dbset_full_codes(const dbset *set);

/* The record of a tagged id (pointers owned by its view) and the path of
 * its store. */
int dbset_record(dbset *set, uint64_t id, maso_store_record *record,
                 const char **db);
/* The stored sketch / full code of a tagged id, in place, or NULL. */
const uint8_t *dbset_sketch_of(dbset *set, uint64_t id);
const uint8_t *dbset_code_of(dbset *set, uint64_t id);

/* The tagged id of the OK record of @p path in the first store that has
 * it (the path as given, then its realpath).  MASO_ENOTFOUND, or
 * MASO_EDATA when it is stored but could not be coded (err says why). */
int dbset_find_path(dbset *set, const char *path, uint64_t *id,
                    char err[MASO_CLI_ERRLEN]);

#endif
