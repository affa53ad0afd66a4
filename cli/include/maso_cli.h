/*
 * maso_cli.h -- what the maso programs (maso-index, maso-query, maso-eval)
 * share: finding and provisioning the model, class labels, JSON output.
 *
 * Like libmaso, these functions never print and never exit: they return a
 * status (0, a negative MASO_* code or a positive errno) and write a
 * message into a caller-supplied buffer.  The programs decide what to say.
 */
#ifndef MASO_CLI_H
#define MASO_CLI_H

#include <stdio.h>

#include "maso.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The pinned model every maso program uses by default: SqueezeNet v1.1 in
 *  ncnn format (see ../shared/models/squeezenet_v1.1/SOURCE.md). */
#define MASO_CLI_MODEL_NAME "squeezenet_v1.1"

/** Size of the message buffers the functions below fill. */
#define MASO_CLI_ERRLEN 1024

/**
 * Find the model directory, in this order:
 *  1. @p option_dir (the --model option), when not NULL;
 *  2. the environment variable MASO_MODEL;
 *  3. ../shared/models/squeezenet_v1.1 beside the source tree, for a
 *     program run from its build folder (found through the file
 *     maso-build-tree.txt at the top of that folder, not compiled in), or
 *     beside the current directory, when it exists;
 *  4. the data folder of the installation, DATADIR/maso/models/
 *     squeezenet_v1.1 (e.g. /usr/share/maso/...), where a packager may
 *     put the model;
 *  5. the user cache ($XDG_CACHE_HOME or ~/.cache)/maso/models/squeezenet_v1.1,
 *     downloading the two pinned upstream files into it first when they are
 *     missing, and checking their sha256.  MASO_MODEL_URL replaces the
 *     upstream base URL (any URL libcurl reads, file:// included).
 * A directory named by 1 or 2 must exist: it is never replaced by 3 to 5.
 * On success writes the directory into @p dir (@p dirlen bytes).  On failure
 * @p err says what was tried and why it failed.
 */
int maso_cli_model_locate(const char *option_dir, char *dir, size_t dirlen,
                          char err[MASO_CLI_ERRLEN]);

/**
 * Make sure @p dir holds the two pinned model files with their sha256,
 * downloading from @p base_url + "/" + file name those that are missing or
 * differ (step 5 above).  Creates @p dir as needed.
 */
int maso_cli_model_provision(const char *dir, const char *base_url,
                             char err[MASO_CLI_ERRLEN]);

/**
 * Locate (as above) and load the model; on success *model is owned by the
 * caller (maso_model_destroy()) and @p dir, when not NULL, receives its
 * directory (PATH_MAX bytes).
 */
int maso_cli_model_open(const char *option_dir, maso_model **model,
                        char *dir, char err[MASO_CLI_ERRLEN]);

/** maso_cli_model_open() with the convolutions' @p precision
 *  (maso_model_set_precision()); maso_cli_model_open() is FP32. */
int maso_cli_model_open_precision(const char *option_dir,
                                  maso_model_precision precision,
                                  maso_model **model, char *dir,
                                  char err[MASO_CLI_ERRLEN]);

/** The precision maso-index uses for a new store without --precision. */
#define MASO_CLI_DEFAULT_PRECISION MASO_PRECISION_FP32

/**
 * The precision the store in directory @p db was built with, into
 * @p precision: 0; or ENOENT (no store there, or it cannot be read: the
 * caller then decides, and opening it later reports why).  Opens the
 * store read-only for the moment of the call.  For a sharded index
 * (maso_shards.h): the manifest's record, or, in a manifest written before
 * precisions were recorded, its first shard store's.
 */
int maso_cli_store_precision(const char *db, maso_model_precision *precision);

/** Size of the preprocessing text of a store identity (maso_store.h: at
 *  most 255 bytes + NUL). */
#define MASO_CLI_PREPROCESS_LEN 256

struct maso_store_identity;

/**
 * Fill @p id (a maso_store_identity, maso_store.h) with the identity of
 * @p model: the sha256 of its files, its input size, the canonical text of
 * its preprocessing (written to @p pre, which @p id points to), its code
 * layout table (owned by the model) and the default sketch parameters,
 * without full codes.  What maso-index creates stores with and maso-query
 * expects of them.  @p id lives as long as @p pre and @p model.
 */
void maso_cli_store_identity(const maso_model *model,
                             struct maso_store_identity *id,
                             char pre[MASO_CLI_PREPROCESS_LEN]);

/**
 * Download @p url into @p path, through a temporary file renamed into
 * place only when the sha256 of what was received is @p sha256_hex.
 * Returns MASO_ECHECKSUM on a mismatch (nothing is left at @p path).
 * libcurl is loaded (dlopen of the SONAME maso was built against) at the
 * first download and stays loaded; when it cannot be, MASO_EUNSUPPORTED
 * and "download of URL needs SONAME: <the loader's message>" (SONAME: the
 * libcurl the build found, e.g. libcurl-gnutls.so.4).
 */
int maso_cli_download(const char *url, const char *path,
                      const char *sha256_hex, char err[MASO_CLI_ERRLEN]);

/** ImageNet class labels, one per line of synset_words.txt. */
typedef struct maso_cli_labels {
    char **label; /**< count strings, owned by the struct */
    size_t count;
} maso_cli_labels;

/** Read the labels file at @p path ("wnid words..." per line). */
int maso_cli_labels_load(const char *path, maso_cli_labels *labels,
                         char err[MASO_CLI_ERRLEN]);
void maso_cli_labels_free(maso_cli_labels *labels);

/** Write @p s to @p out as a JSON string literal, quotes included.  The
 *  literal is valid UTF-8 whatever @p s holds: control characters are
 *  escaped, each byte that is not part of valid UTF-8 becomes \ufffd (so
 *  a caller that must give back exact bytes, such as a file name, writes
 *  them beside it; maso_cli_utf8_valid() says when). */
void maso_cli_json_string(FILE *out, const char *s);

/** Length of the valid UTF-8 character at @p p (1 to 4), or 0 when @p p
 *  is NUL or starts an invalid sequence (overlong, surrogate, > U+10FFFF,
 *  truncated). */
size_t maso_cli_utf8_char(const unsigned char *p);

/** 1 when @p s is valid UTF-8, else 0. */
int maso_cli_utf8_valid(const char *s);

/**
 * Write @p s for a person or a terminal: valid UTF-8 passes, and
 * backslash, tab, newline and carriage return are written \\, \t, \n,
 * \r (as in --tsv output), every other control character (C0, DEL, C1)
 * and every byte that is not valid UTF-8 as \xHH.  The result is one line
 * with no terminal escape sequences, from which the exact bytes can be
 * read back.
 */
void maso_cli_text_escaped(FILE *out, const char *s);

/** Write @p s as HTML text or an attribute value (either quote): & < > "
 *  and ' become entities, and control characters, which HTML does not
 *  allow, are written as the text \xHH; every other byte passes. */
void maso_cli_html_escaped(FILE *out, const char *s);

/** "PROGRAM: MESSAGE\n" on stderr, the message escaped as by
 *  maso_cli_text_escaped() (messages name files); stdout is flushed
 *  first so that the two streams interleave in order. */
void maso_cli_print_error(const char *program, const char *message);


/**
 * Parse a layer selection @p spec over the code layout table @p layers
 * (@p n entries, e.g. from maso_model_code_layers()) into @p weights
 * (n doubles): the weight of every layer, 0 for the layers not selected.
 *
 * Syntax: a comma-separated list of items; an item is a layer NAME, a
 * range FIRST..LAST (inclusive, in table order), or "all"; each may end
 * with ":WEIGHT" (a finite number >= 0; default 1).  Examples:
 *   "fire6/squeeze1x1..conv10"    equal weights over that range
 *   "conv1:0.5,fire9/expand3x3:2" two layers, weighted
 * Layer names may contain '/' and '.', never ',' or ':'.  Errors
 * (MASO_EINVAL_ARG for NULL arguments, MASO_ENOTFOUND for an unknown
 * layer, MASO_EDATA for anything else: an empty item, a bad weight, a
 * range whose end comes before its start, a layer selected twice, a
 * selection whose weights are all 0) leave @p weights unspecified and
 * write a message naming the offending item into @p err.
 */
int maso_cli_layer_spec_parse(const char *spec, const maso_code_layer *layers,
                              size_t n, double *weights,
                              char err[MASO_CLI_ERRLEN]);

/**
 * Per-layer weights files (written by `maso-eval fit`, read by
 * `maso-eval --weights` and `maso-query --weights`).  A text file:
 *
 *   # comments start with '#'; blank lines are ignored
 *   maso-weights 1
 *   model <param sha256> <bin sha256>
 *   fitted-on <free text up to the end of the line>      (optional)
 *   conv1 0.82
 *   fire2/squeeze1x1 0
 *   ...
 *
 * The first two non-comment lines are the header, in this order; the
 * model line names the sha256 of the .param and the .bin the weights were
 * fitted for.  Then one "layer_name weight" per line (weight finite and
 * >= 0); layers of the model that are not listed get weight 0.  The
 * fitted-on line records the data the weights were fitted on, so that a
 * program can warn when it evaluates on the same data.
 */
#define MASO_CLI_WEIGHTS_MAGIC "maso-weights 1"

/**
 * Write @p weights (one per entry of @p layers, @p n of them) to @p path
 * with the header above for the model identified by @p param_sha256 and
 * @p bin_sha256.  @p fitted_on (may be NULL) must not contain a line
 * break; @p comment (may be NULL) is written as '#' lines, one per line
 * of it.  The file is written through a temporary file renamed into place.
 */
int maso_cli_weights_save(const char *path, const maso_code_layer *layers,
                          size_t n, const double *weights,
                          const char *param_sha256, const char *bin_sha256,
                          const char *fitted_on, const char *comment,
                          char err[MASO_CLI_ERRLEN]);

/**
 * Read the weights file at @p path for the model laid out by @p layers
 * (@p n entries) and identified by @p param_sha256 / @p bin_sha256 into
 * @p weights (n doubles).  @p fitted_on, when not NULL, receives the
 * fitted-on text ("" when absent; @p fitted_on_len bytes).  Errors: the
 * errno of fopen()/reading, MASO_EDATA (malformed: missing or bad header,
 * a line without a weight, a negative or non-finite weight, a layer listed
 * twice, all weights 0), MASO_ENOTFOUND (a layer the model does not have),
 * MASO_EMISMATCH (fitted for another model); @p err names the file, the
 * line and the cause.
 */
int maso_cli_weights_load(const char *path, const maso_code_layer *layers,
                          size_t n, const char *param_sha256,
                          const char *bin_sha256, double *weights,
                          char *fitted_on, size_t fitted_on_len,
                          char err[MASO_CLI_ERRLEN]);

#ifdef __cplusplus
}
#endif
#endif /* MASO_CLI_H */
