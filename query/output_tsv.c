/* output_tsv.c -- --tsv: a header line, then one line per match (or per
 * group).  Tabs and line breaks inside paths would break the columns, so
 * they are written as \t, \n and \\ (like PostgreSQL's text format), other
 * control bytes as \xHH.  Bytes that are not UTF-8 pass unchanged: a
 * script reading the file gets the exact name. */
#include "output.h"

#include <inttypes.h>

static void field(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '\t': fputs("\\t", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\\': fputs("\\\\", out); break;
        default:
            /* Other control bytes would reach a terminal that shows the
             * file: \xHH, like the text output. */
            if ((unsigned char)*s < 0x20 || *s == 0x7F)
                fprintf(out, "\\x%02x", (unsigned char)*s);
            else
                fputc(*s, out);
        }
    }
}

void output_tsv_begin(const query_report *r, int duplicates)
{
    if (duplicates) {
        fputs("group\tmax_distance\tpath\trole\tsize\twidth\theight\t"
              "mtime\tdistance\taction\toutcome\tto\n", r->out);
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
                      const dupe_group *g, const dupe_options *o)
{
    static const char *const outcomes[] = { "", "done", "dry-run", "failed" };
    for (size_t i = 0; i < g->n; i++) {
        const dupe_member *m = &g->members[i];
        fprintf(r->out, "%zu\t%.9f\t", group, g->max_distance);
        field(r->out, m->path);
        fprintf(r->out, "\t%s\t", dupe_role_name(m->role));
        if (m->present)
            fprintf(r->out, "%" PRIu64, m->size);
        fputc('\t', r->out);
        if (m->width > 0)
            fprintf(r->out, "%d\t%d", m->width, m->height);
        else
            fputc('\t', r->out);
        fputc('\t', r->out);
        if (m->present)
            fprintf(r->out, "%" PRId64, m->mtime_ns / 1000000000);
        fprintf(r->out, "\t%.9f\t%s\t%s\t", m->distance,
                m->outcome ? dupe_action_name(o->action) : "",
                outcomes[m->outcome]);
        if (m->to)
            field(r->out, m->to);
        fputc('\n', r->out);
    }
}
