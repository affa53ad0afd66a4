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
 *  3. ../shared/models/squeezenet_v1.1 beside the source tree this program
 *     was built from, or beside the current directory, when it exists;
 *  4. the user cache ($XDG_CACHE_HOME or ~/.cache)/maso/models/squeezenet_v1.1,
 *     downloading the two pinned upstream files into it first when they are
 *     missing, and checking their sha256.  MASO_MODEL_URL replaces the
 *     upstream base URL (any URL libcurl reads, file:// included).
 * A directory named by 1 or 2 must exist: it is never replaced by 3 or 4.
 * On success writes the directory into @p dir (@p dirlen bytes).  On failure
 * @p err says what was tried and why it failed.
 */
int maso_cli_model_locate(const char *option_dir, char *dir, size_t dirlen,
                          char err[MASO_CLI_ERRLEN]);

/**
 * Make sure @p dir holds the two pinned model files with their sha256,
 * downloading from @p base_url + "/" + file name those that are missing or
 * differ (step 4 above).  Creates @p dir as needed.
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

/**
 * Download @p url into @p path, through a temporary file renamed into
 * place only when the sha256 of what was received is @p sha256_hex.
 * Returns MASO_ECHECKSUM on a mismatch (nothing is left at @p path).
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

/** Write @p s to @p out as a JSON string literal, quotes included. */
void maso_cli_json_string(FILE *out, const char *s);

#ifdef __cplusplus
}
#endif
#endif /* MASO_CLI_H */
