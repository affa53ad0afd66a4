/* query.h -- the parts of the maso-query program. */
#ifndef MASO_QUERY_H
#define MASO_QUERY_H

#include <errno.h>
#include <stdio.h>

#include "maso.h"
#include "maso_cli.h"

/* Exit status, like grep: results found, none found, error. */
enum { QUERY_EXIT_FOUND = 0, QUERY_EXIT_NONE = 1, QUERY_EXIT_ERROR = 2 };

typedef struct query_options {
    const char *model_dir;   /* --model, or NULL */
    int json;                /* --json */
    int check;               /* --check (with --info) */
    int allow_partial;       /* --allow-partial: missing shards are not
                                an error */
    char **inputs;           /* the positional arguments */
    int n_inputs;
} query_options;

/* maso-query --classify: top-5 classes and per-layer counts per image. */
int query_classify(const query_options *opt, maso_model *model,
                   const char *model_dir);

/* maso-query --info DB: counts, failures, model and sizes of a store. */
int query_info(const query_options *opt, const char *db);

#endif
