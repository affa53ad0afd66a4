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
    maso_cli_print_error("maso-query", message);
}

void output_group(const query_report *r, size_t group, const dupe_group *g,
                  const dupe_options *o)
{
    switch (r->format) {
    case QUERY_FORMAT_JSON: output_json_group(r, group, g, o); break;
    case QUERY_FORMAT_TSV: output_tsv_group(r, group, g, o); break;
    default: output_text_group(r, group, g, o); break;
    }
    if (r->html)
        html_group(r->html, group, g, o);
    for (size_t i = 0; i < g->n; i++)
        if (g->members[i].outcome == DUPE_OUTCOME_FAILED)
            maso_cli_print_error("maso-query", g->members[i].error
                                                   ? g->members[i].error : "");
}

void output_tally_group(output_tally *t, const dupe_group *g)
{
    t->groups++;
    t->members += g->n;
    for (size_t i = 0; i < g->n; i++) {
        const dupe_member *m = &g->members[i];
        if (m->role != DUPE_ROLE_DUPLICATE)
            continue;
        t->duplicates++;
        t->bytes += m->size;
        t->done += m->outcome == DUPE_OUTCOME_DONE;
        t->dry_run += m->outcome == DUPE_OUTCOME_DRY_RUN;
        t->failed += m->outcome == DUPE_OUTCOME_FAILED;
    }
}

void output_duplicates_end(const query_report *r, const output_tally *t,
                           const dupe_options *o)
{
    if (r->format == QUERY_FORMAT_TABLE)
        output_text_summary(r, t, o);
    if (r->html)
        html_duplicates_end(r->html, t, o);
}
