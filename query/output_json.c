/* output_json.c -- --json: one object per line, per query or per group
 * (the field list is in README.md, "maso-query"). */
#include "output.h"
#include "maso_store.h"

#include <inttypes.h>

/* Distances are in [0, 1]; 17 significant digits round-trip a double. */
static void number(FILE *out, double v)
{
    fprintf(out, "%.17g", v);
}

static void explain(const query_report *r, const double *layers)
{
    fputs(", \"layers\": {", r->out);
    int first = 1;
    for (size_t l = 0; l < r->n_layers; l++) {
        if (!output_layer_shown(r, l))
            continue;
        fputs(first ? "" : ", ", r->out);
        first = 0;
        maso_cli_json_string(r->out, r->layers[l].name);
        fputs(": ", r->out);
        number(r->out, layers[l]);
    }
    fputc('}', r->out);
}

void output_json_matches(const query_report *r, const char *query,
                         const query_match *m, size_t n)
{
    fputs("{\"query\": ", r->out);
    maso_cli_json_string(r->out, query);
    fputs(", \"measure\": ", r->out);
    maso_cli_json_string(r->out, r->measure);
    fputs(", \"matches\": [", r->out);
    for (size_t i = 0; i < n; i++) {
        fprintf(r->out, "%s{\"rank\": %zu, \"path\": ", i ? ", " : "",
                m[i].rank);
        maso_cli_json_string(r->out, m[i].path);
        fputs(", \"distance\": ", r->out);
        number(r->out, m[i].distance);
        fputs(", \"db\": ", r->out);
        maso_cli_json_string(r->out, m[i].db);
        fprintf(r->out, ", \"id\": %" PRIu64, maso_store_id_local(m[i].id));
        if (r->explain && m[i].layers)
            explain(r, m[i].layers);
        fputc('}', r->out);
    }
    fputc(']', r->out);
    output_json_partial(r);
    fputs("}\n", r->out);
}

void output_json_partial(const query_report *r)
{
    if (!r->n_missing)
        return;
    fputs(", \"partial\": true, \"missing\": [", r->out);
    for (size_t i = 0; i < r->n_missing; i++) {
        fputs(i ? ", " : "", r->out);
        maso_cli_json_string(r->out, r->missing[i]);
    }
    fputc(']', r->out);
}

void output_json_error(const query_report *r, const char *query,
                       const char *message)
{
    fputs("{\"query\": ", r->out);
    maso_cli_json_string(r->out, query);
    fputs(", \"error\": ", r->out);
    maso_cli_json_string(r->out, message);
    fputs("}\n", r->out);
}

void output_json_group(const query_report *r, size_t group,
                       const char *const *paths, size_t n,
                       double max_distance)
{
    (void)group; /* the line itself is the group */
    fputs("{\"group\": [", r->out);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", r->out);
        maso_cli_json_string(r->out, paths[i]);
    }
    fputs("], \"max_distance\": ", r->out);
    number(r->out, max_distance);
    output_json_partial(r);
    fputs("}\n", r->out);
}
