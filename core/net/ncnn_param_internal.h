/* ncnn_param_internal.h -- the text .param file of an ncnn network, parsed into one
 * record per layer line.  Internal to libmaso.
 *
 * The parser only checks syntax (magic, counts, numbers, key=value form);
 * what the layers mean is model.c's business. */
#ifndef CORE_NCNN_PARAM_INTERNAL_H
#define CORE_NCNN_PARAM_INTERNAL_H

#include <stddef.h>

/* ncnn allows parameter ids 0..31 (NCNN_MAX_PARAM_COUNT). */
#define CORE_NCNN_MAX_PARAM_ID 31

/** One `id=value` (or array `-233xx=n,v1,...,vn`) item of a layer line. */
typedef struct core_ncnn_value {
    int id;
    int is_array;
    int count;     /**< 1 for scalars */
    double *v;     /**< count values; owned by the core_ncnn_param */
} core_ncnn_value;

/** One layer line: `Type name n_in n_out in... out... k=v ...`. */
typedef struct core_ncnn_line {
    int line;            /**< 1-based line number in the file */
    char *type;
    char *name;
    int n_in, n_out;
    char **in, **out;    /**< blob names */
    int n_values;
    core_ncnn_value *values;
} core_ncnn_line;

typedef struct core_ncnn_param {
    int layer_count;     /**< from line 2, equals the number of lines */
    int blob_count;      /**< from line 2 */
    core_ncnn_line *lines;
} core_ncnn_param;

/**
 * Parse @p path into @p out (zeroed by the caller).  On failure writes a
 * message naming the file and line into @p err and returns MASO_EMODEL,
 * ENOMEM or an errno of open/read; @p out must still be released with
 * core_ncnn_param_free().
 */
int core_ncnn_param_read(const char *path, core_ncnn_param *out, char *err,
                         size_t errsize);
void core_ncnn_param_free(core_ncnn_param *p);

/** The item with @p id, or NULL. */
const core_ncnn_value *core_ncnn_find(const core_ncnn_line *l, int id);

/** Scalar parameter @p id as int (@p def when absent).  Returns -1 when it
 *  is an array or not an integer, -2 when it is an integer beyond +-1e9
 *  (then *out is left alone). */
int core_ncnn_int(const core_ncnn_line *l, int id, int def, int *out);

/** Scalar parameter @p id as float (@p def when absent); -1 if an array. */
int core_ncnn_float(const core_ncnn_line *l, int id, float def, float *out);

#endif
