/* output.h -- how maso-query presents search results and duplicate
 * groups: an aligned table, JSON lines, TSV, and optionally an HTML page
 * of thumbnails written beside any of them. */
#ifndef MASO_QUERY_OUTPUT_H
#define MASO_QUERY_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "dupes.h"
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
} query_report;

/* Before the first and after the last result (TSV header). */
void output_begin(const query_report *r, int duplicates);

/* The matches of one query (n may be 0). */
void output_matches(const query_report *r, const char *query,
                    const query_match *m, size_t n);

/* A query that failed: on stderr, and as a JSON object with --json. */
void output_error(const query_report *r, const char *query,
                  const char *message);

/* One near-duplicate group (numbered from 1), after its actions. */
void output_group(const query_report *r, size_t group, const dupe_group *g,
                  const dupe_options *o);

/* What --duplicates found and did, summed over the groups. */
typedef struct output_tally {
    size_t groups, members, duplicates; /* duplicates: acted on or would be */
    size_t done, dry_run, failed;
    uint64_t bytes;                     /* of the duplicates */
} output_tally;
void output_tally_group(output_tally *t, const dupe_group *g);
/* After the last group: a summary line (text), the page's summary. */
void output_duplicates_end(const query_report *r, const output_tally *t,
                           const dupe_options *o);

/* A path as a JSON member "KEY": "..." and, when it is not valid UTF-8,
 * "KEY_base64": its exact bytes (output_json.c). */
void output_json_path(FILE *out, const char *key, const char *path);

/* Sizes, dates and dimensions as people read them (output_text.c):
 * "1.2 MiB", "2024-05-01 12:00:01" (local time), "768x512" or "?". */
void output_human_size(char *buf, size_t len, uint64_t bytes);
void output_local_time(char *buf, size_t len, int64_t mtime_ns);
void output_dimensions(char *buf, size_t len, const dupe_member *m);

/* Layer @p l is shown by --explain. */
int output_layer_shown(const query_report *r, size_t l);

/* Per format (output_text.c, output_json.c, output_tsv.c). */
void output_text_matches(const query_report *r, const char *query,
                         const query_match *m, size_t n);
void output_text_group(const query_report *r, size_t group,
                       const dupe_group *g, const dupe_options *o);
void output_text_summary(const query_report *r, const output_tally *t,
                         const dupe_options *o);
void output_json_matches(const query_report *r, const char *query,
                         const query_match *m, size_t n);
void output_json_error(const query_report *r, const char *query,
                       const char *message);
void output_json_group(const query_report *r, size_t group,
                       const dupe_group *g, const dupe_options *o);
void output_tsv_begin(const query_report *r, int duplicates);
void output_tsv_matches(const query_report *r, const char *query,
                        const query_match *m, size_t n);
void output_tsv_group(const query_report *r, size_t group,
                       const dupe_group *g, const dupe_options *o);

/* --html FILE (output_html.c): a self-contained page, thumbnails embedded
 * as base64 JPEG data URIs.  Written to FILE.tmp and renamed at close.
 * With @p append (--html-append) the sections go after those of the page
 * already at FILE (one that maso-query wrote), under a new heading. */
int html_open(html_page **page, const char *path, const char *title,
              int append, char err[MASO_CLI_ERRLEN]);
void html_query(html_page *page, const char *query, const query_match *m,
                size_t n);
void html_group(html_page *page, size_t group, const dupe_group *g,
                const dupe_options *o);
void html_duplicates_end(html_page *page, const output_tally *t,
                         const dupe_options *o);
/* Finish and rename into place; 0 or an errno (err says why).  Frees the
 * page.  With @p keep 0 the page is discarded. */
int html_close(html_page *page, int keep, char err[MASO_CLI_ERRLEN]);

#endif
