/* output.c -- dispatch of results to the chosen format and the HTML page. */
#include "output.h"

int output_layer_shown(const query_report *r, size_t l)
{
    return !r->weights || r->weights[l] > 0;
}

void output_begin(const query_report *r, int duplicates)
{
    if (r->format == QUERY_FORMAT_TSV)
        output_tsv_begin(r, duplicates);
    /* People reading the table are told the answer is partial; JSON says
     * it in every object, TSV keeps its one header line. */
    if (r->format == QUERY_FORMAT_TABLE && r->n_missing) {
        fprintf(r->out, "partial answer: %zu shard%s missing:", r->n_missing,
                r->n_missing > 1 ? "s" : "");
        for (size_t i = 0; i < r->n_missing; i++)
            fprintf(r->out, " %s", r->missing[i]);
        fputc('\n', r->out);
    }
}

void output_matches(const query_report *r, const char *query,
                    const query_match *m, size_t n)
{
    switch (r->format) {
    case QUERY_FORMAT_JSON: output_json_matches(r, query, m, n); break;
    case QUERY_FORMAT_TSV: output_tsv_matches(r, query, m, n); break;
    default: output_text_matches(r, query, m, n); break;
    }
    if (r->html)
        html_query(r->html, query, m, n);
}

void output_error(const query_report *r, const char *query,
                  const char *message)
{
    if (r->format == QUERY_FORMAT_JSON)
        output_json_error(r, query, message);
    fflush(r->out);
    fprintf(stderr, "maso-query: %s\n", message);
}

void output_group(const query_report *r, size_t group,
                  const char *const *paths, size_t n, double max_distance)
{
    switch (r->format) {
    case QUERY_FORMAT_JSON: output_json_group(r, group, paths, n, max_distance); break;
    case QUERY_FORMAT_TSV: output_tsv_group(r, group, paths, n, max_distance); break;
    default: output_text_group(r, group, paths, n, max_distance); break;
    }
    if (r->html)
        html_group(r->html, paths, n, max_distance);
}
