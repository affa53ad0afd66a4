/*
 * csv.h -- a list of scored image pairs read from a CSV file.
 *
 * The format of maso-eval's correlation benchmarks (TID2013, KADID-10k...
 * converted to one table): a header row naming at least the columns
 * `reference`, `distorted` and `score` (any order, case-insensitive, other
 * columns ignored), then one row per pair.  Fields follow RFC 4180: they
 * may be enclosed in double quotes, and a quoted field may hold commas,
 * line breaks and doubled quotes ("").  Lines end in LF or CRLF; a UTF-8
 * byte-order mark and blank lines are ignored; unquoted fields are trimmed
 * of spaces and tabs.  Relative paths are taken relative to the folder of
 * the CSV file, absolute ones are kept.  The score must be a finite
 * number.  Errors name the file and the line.
 */
#ifndef MASO_EVAL_CSV_H
#define MASO_EVAL_CSV_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One pair.  Strings are owned by the list that returned it. */
typedef struct maso_pair {
    const char *reference; /**< path of the reference image */
    const char *distorted; /**< path of the distorted image */
    double score;          /**< the human score (MOS, DMOS...) */
    size_t line;           /**< line of the CSV where the row starts */
} maso_pair;

/** A list of pairs and the message of its last failure.  Not
 *  thread-safe; use one per thread. */
typedef struct maso_pairs maso_pairs;

/** Create an empty list.  MASO_SUCCESS, MASO_EINVAL_ARG or ENOMEM. */
int maso_pairs_create(maso_pairs **pairs);
/** Release a list and every string it owns (NULL allowed). */
void maso_pairs_destroy(maso_pairs *pairs);

/**
 * Read the CSV at @p path, replacing the list's content.  Errors:
 * MASO_EDATA (no header, a missing column, a row with too few fields, an
 * unterminated quote, an empty path, a score that is not a finite number,
 * no rows at all), the errno of fopen()/fread(), ENOMEM, MASO_EINVAL_ARG.
 * maso_pairs_errmsg() then reads "<path>:<line>: <cause>".
 */
int maso_pairs_load_csv(maso_pairs *pairs, const char *path);

/** Number of pairs read by the last successful load. */
size_t maso_pairs_count(const maso_pairs *pairs);

/** Pair @p i (< maso_pairs_count()), or NULL.  Owned by the list; valid
 *  until its next load or destroy. */
const maso_pair *maso_pairs_get(const maso_pairs *pairs, size_t i);

/** The message of the last failure ("" after a success).  Owned by the
 *  list; valid until its next call. */
const char *maso_pairs_errmsg(const maso_pairs *pairs);

#ifdef __cplusplus
}
#endif
#endif /* MASO_EVAL_CSV_H */
