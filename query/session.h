/* session.h -- what a search or duplicates run sets up once: the model,
 * the stores, the engine with its weights and threads, the output. */
#ifndef MASO_QUERY_SESSION_H
#define MASO_QUERY_SESSION_H

#include "maso_engine.h"
#include "output.h"
#include "search.h"

typedef struct session {
    const search_options *o;
    maso_model *model;                 /* NULL for --duplicates, --indexed */
    maso_engine *engine;               /* the stores, searched as one */
    const maso_code_layer *layers;     /* the stores' code layout */
    size_t n_layers;
    const char *param_sha256;          /* the stores' model identity */
    const char *bin_sha256;
    double *weights;                   /* NULL: equal weights */
    query_report rep;
} session;

/* Load the model, open the stores, configure the engine and the output.
 * Prints what went wrong and returns QUERY_EXIT_ERROR, or 0. */
int session_open(session *s, const search_options *o, int duplicates);

/* Finish the HTML page and release everything; returns @p status, or
 * QUERY_EXIT_ERROR when the page could not be written. */
int session_close(session *s, int status);

#endif
