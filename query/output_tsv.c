/* output_tsv.c -- --tsv: a header line, then one line per match (or per
 * group).  Tabs and line breaks inside paths would break the columns, so
 * they are written as \t, \n and \\ (like PostgreSQL's text format). */
#include "output.h"

static void field(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '\t': fputs("\\t", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\\': fputs("\\\\", out); break;
        default: fputc(*s, out);
        }
    }
}

void output_tsv_begin(const query_report *r, int duplicates)
{
    if (duplicates) {
        fputs("group\tmax_distance\tpath\n", r->out);
        return;
    }
    fputs("query\trank\tdistance\tpath", r->out);
    if (r->explain)
        for (size_t l = 0; l < r->n_layers; l++)
            if (output_layer_shown(r, l))
                fprintf(r->out, "\t%s", r->layers[l].name);
    fputc('\n', r->out);
}

void output_tsv_matches(const query_report *r, const char *query,
                        const query_match *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        field(r->out, query);
        fprintf(r->out, "\t%zu\t%.9f\t", m[i].rank, m[i].distance);
        field(r->out, m[i].path);
        if (r->explain && m[i].layers)
            for (size_t l = 0; l < r->n_layers; l++)
                if (output_layer_shown(r, l))
                    fprintf(r->out, "\t%.9f", m[i].layers[l]);
        fputc('\n', r->out);
    }
}

/* One line per member: the group number ties them together. */
void output_tsv_group(const query_report *r, size_t group,
                      const char *const *paths, size_t n,
                      double max_distance)
{
    for (size_t i = 0; i < n; i++) {
        fprintf(r->out, "%zu\t%.9f\t", group, max_distance);
        field(r->out, paths[i]);
        fputc('\n', r->out);
    }
}
