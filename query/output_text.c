/* output_text.c -- the default output: one aligned table per query, one
 * line per duplicate group.  Meant for people; scripts use --json/--tsv. */
#include "output.h"

#include <inttypes.h>
#include <time.h>

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
    maso_cli_text_escaped(r->out, query);
    fputc('\n', r->out);
    if (n == 0) {
        fputs("  (no match)\n", r->out);
        return;
    }
    int w = digits(m[n - 1].rank);
    if (w < 4)
        w = 4;
    fprintf(r->out, "  %*s  %-8s  %s\n", w, "rank", "distance", "path");
    for (size_t i = 0; i < n; i++) {
        fprintf(r->out, "  %*zu  %8.6f  ", w, m[i].rank, m[i].distance);
        maso_cli_text_escaped(r->out, m[i].path);
        fputc('\n', r->out);
        if (r->explain && m[i].layers)
            explain_line(r, w + 13, m[i].layers);
    }
}

void output_human_size(char *buf, size_t len, uint64_t bytes)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
    if (bytes < 1024) {
        snprintf(buf, len, "%" PRIu64 " B", bytes);
        return;
    }
    double v = (double)bytes / 1024;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof units / sizeof *units) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, "%.1f %s", v, units[u]);
}

void output_local_time(char *buf, size_t len, int64_t mtime_ns)
{
    time_t t = (time_t)(mtime_ns / 1000000000);
    struct tm tm;
    if (!localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(buf, len, "?");
}

void output_dimensions(char *buf, size_t len, const dupe_member *m)
{
    if (m->width > 0 && m->height > 0)
        snprintf(buf, len, "%dx%d", m->width, m->height);
    else
        snprintf(buf, len, "?");
}

/* What was done to a member, or would be, as a line under it. */
static void outcome_line(const query_report *r, const dupe_member *m,
                         const dupe_options *o)
{
    static const char *const done[] = { "", "moved to ", "trashed: ",
                                        ("replaced by a hard link to the "
                                         "kept file"), "deleted" };
    static const char *const would[] = { "", "would move to ",
                                         "would move to the trash",
                                         ("would be replaced by a hard link "
                                          "to the kept file"),
                                         "would be deleted" };
    switch (m->outcome) {
    case DUPE_OUTCOME_DONE:
        fprintf(r->out, "    %s", done[o->action]);
        break;
    case DUPE_OUTCOME_DRY_RUN:
        fprintf(r->out, "    %s", would[o->action]);
        break;
    case DUPE_OUTCOME_FAILED:
        fputs("    FAILED, left in place: ", r->out);
        maso_cli_text_escaped(r->out, m->error ? m->error : "");
        fputc('\n', r->out);
        return;
    default:
        return;
    }
    if (m->to && (o->action == DUPE_ACTION_MOVE ||
                  m->outcome == DUPE_OUTCOME_DONE))
        maso_cli_text_escaped(r->out, m->to);
    fputc('\n', r->out);
}

/* A group: a heading, then one line per member (role, distance to the
 * kept member, dimensions, size, mtime, path), the kept one first. */
void output_text_group(const query_report *r, size_t group,
                       const dupe_group *g, const dupe_options *o)
{
    fprintf(r->out, "group %zu: %zu images, max distance %.6f\n", group, g->n,
            g->max_distance);
    /* The kept member first, the others in path order. */
    for (size_t j = 0; j < g->n; j++) {
        size_t i = j;
        if (g->keep < g->n)
            i = j == 0 ? g->keep : j <= g->keep ? j - 1 : j;
        const dupe_member *m = &g->members[i];
        char dim[32], size[32], date[32];
        output_dimensions(dim, sizeof dim, m);
        output_human_size(size, sizeof size, m->size);
        output_local_time(date, sizeof date, m->mtime_ns);
        if (!m->present) {
            snprintf(size, sizeof size, "-");
            snprintf(date, sizeof date, "-");
        }
        fprintf(r->out, "  %-9s  %8.6f  %11s  %10s  %19s  ",
                dupe_role_name(m->role), m->distance, dim, size, date);
        maso_cli_text_escaped(r->out, m->path);
        fputc('\n', r->out);
        outcome_line(r, m, o);
    }
}

void output_text_summary(const query_report *r, const output_tally *t,
                         const dupe_options *o)
{
    char size[32];
    output_human_size(size, sizeof size, t->bytes);
    if (t->groups == 0)
        return; /* like grep: nothing printed, exit status 1 */
    fprintf(r->out, "%zu group%s, %zu images, %zu duplicate%s (%s) ",
            t->groups, t->groups == 1 ? "" : "s", t->members, t->duplicates,
            t->duplicates == 1 ? "" : "s", size);
    if (o->action == DUPE_ACTION_NONE)
        fprintf(r->out, "besides the %s kept: nothing changed (act with "
                "--move-to DIR, --trash, --hardlink or --delete; try "
                "--dry-run first)\n", dupe_keep_name(o->keep));
    else if (o->dry_run)
        fprintf(r->out, "would %s: --dry-run, nothing changed\n",
                dupe_action_name(o->action));
    else
        fprintf(r->out, "to %s: %zu done, %zu failed%s\n",
                dupe_action_name(o->action), t->done, t->failed,
                t->failed ? " (left in place)" : "");
}
