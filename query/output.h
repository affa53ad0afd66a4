/* output.h -- how maso-query presents search results and duplicate
 * groups: an aligned table, JSON lines, TSV, and optionally an HTML page
 * of thumbnails written beside any of them. */
#ifndef MASO_QUERY_OUTPUT_H
#define MASO_QUERY_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "maso.h"
#include "search.h"

/* One result of a query.  Pointers are borrowed for the call. */
typedef struct query_match {
    size_t rank;           /* 1-based */
    double distance;
    uint64_t id;           /* tagged store id */
    const char *path;
    const char *db;        /* the store it came from */
    const double *layers;  /* per-layer distances (--explain), or NULL */
} query_match;

typedef struct html_page html_page;

/* What every output function needs to know. */
typedef struct query_report {
    query_format format;
    FILE *out;
    /* Layer names and weights, for --explain (layers with weight 0 are
     * not shown). */
    const maso_code_layer *layers;
    size_t n_layers;
    const double *weights;     /* NULL: equal */
    int explain;
    const char *measure;       /* "code" or "sketch": what distances are */
    html_page *html;           /* --html, or NULL */
    /* Shards left out by --allow-partial: the answer is partial. */
    const char *const *missing;
    size_t n_missing;
} query_report;

/* Before the first and after the last result (TSV header). */
void output_begin(const query_report *r, int duplicates);

/* The matches of one query (n may be 0). */
void output_matches(const query_report *r, const char *query,
                    const query_match *m, size_t n);

/* A query that failed: on stderr, and as a JSON object with --json. */
void output_error(const query_report *r, const char *query,
                  const char *message);

/* One near-duplicate group. */
void output_group(const query_report *r, size_t group,
                  const char *const *paths, size_t n, double max_distance);

/* Layer @p l is shown by --explain. */
int output_layer_shown(const query_report *r, size_t l);

/* Per format (output_text.c, output_json.c, output_tsv.c). */
void output_text_matches(const query_report *r, const char *query,
                         const query_match *m, size_t n);
void output_text_group(const query_report *r, size_t group,
                       const char *const *paths, size_t n,
                       double max_distance);
void output_json_matches(const query_report *r, const char *query,
                         const query_match *m, size_t n);
void output_json_error(const query_report *r, const char *query,
                       const char *message);
void output_json_group(const query_report *r, size_t group,
                       const char *const *paths, size_t n,
                       double max_distance);
/* ', "partial": true, "missing": [...]' when shards were left out. */
void output_json_partial(const query_report *r);
void output_tsv_begin(const query_report *r, int duplicates);
void output_tsv_matches(const query_report *r, const char *query,
                        const query_match *m, size_t n);
void output_tsv_group(const query_report *r, size_t group,
                      const char *const *paths, size_t n,
                      double max_distance);

/* --html FILE (output_html.c): a self-contained page, thumbnails embedded
 * as base64 JPEG data URIs.  Written to FILE.tmp and renamed at close. */
int html_open(html_page **page, const char *path, const char *title,
              char err[MASO_CLI_ERRLEN]);
void html_query(html_page *page, const char *query, const query_match *m,
                size_t n);
void html_group(html_page *page, const char *const *paths, size_t n,
                double max_distance);
/* Finish and rename into place; 0 or an errno (err says why).  Frees the
 * page.  With @p keep 0 the page is discarded. */
int html_close(html_page *page, int keep, char err[MASO_CLI_ERRLEN]);

#endif
