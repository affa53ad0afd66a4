/* output_text.c -- the default output: one aligned table per query, one
 * line per duplicate group.  Meant for people; scripts use --json/--tsv. */
#include "output.h"

/* Digits of @p n (at least 1). */
static int digits(size_t n)
{
    int d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

static void explain_line(const query_report *r, int indent,
                         const double *layers)
{
    fprintf(r->out, "%*s", indent, "");
    for (size_t l = 0; l < r->n_layers; l++)
        if (output_layer_shown(r, l))
            fprintf(r->out, " %s=%.4f", r->layers[l].name, layers[l]);
    fputc('\n', r->out);
}

void output_text_matches(const query_report *r, const char *query,
                         const query_match *m, size_t n)
{
    fprintf(r->out, "%s\n", query);
    if (n == 0) {
        fputs("  (no match)\n", r->out);
        return;
    }
    int w = digits(m[n - 1].rank);
    if (w < 4)
        w = 4;
    fprintf(r->out, "  %*s  %-8s  %s\n", w, "rank", "distance", "path");
    for (size_t i = 0; i < n; i++) {
        fprintf(r->out, "  %*zu  %8.6f  %s\n", w, m[i].rank, m[i].distance,
                m[i].path);
        if (r->explain && m[i].layers)
            explain_line(r, w + 13, m[i].layers);
    }
}

void output_text_group(const query_report *r, size_t group,
                       const char *const *paths, size_t n,
                       double max_distance)
{
    (void)group; /* the line itself is the group */
    fprintf(r->out, "%8.6f", max_distance);
    for (size_t i = 0; i < n; i++)
        fprintf(r->out, "  %s", paths[i]);
    fputc('\n', r->out);
}
