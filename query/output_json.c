/* output_json.c -- --json: one object per line, per query or per group
 * (the field list is in README.md, "maso-query"). */
#include "output.h"
#include "maso_store.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "thumb.h"

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
    fputc('{', r->out);
    output_json_path(r->out, "query", query);
    fputs(", \"measure\": ", r->out);
    maso_cli_json_string(r->out, r->measure);
    fputs(", \"matches\": [", r->out);
    for (size_t i = 0; i < n; i++) {
        fprintf(r->out, "%s{\"rank\": %zu, ", i ? ", " : "", m[i].rank);
        output_json_path(r->out, "path", m[i].path);
        fputs(", \"distance\": ", r->out);
        number(r->out, m[i].distance);
        fputs(", ", r->out);
        output_json_path(r->out, "db", m[i].db);
        fprintf(r->out, ", \"id\": %" PRIu64, maso_store_id_local(m[i].id));
        if (r->explain && m[i].layers)
            explain(r, m[i].layers);
        fputc('}', r->out);
    }
    fputs("]}\n", r->out);
}

void output_json_error(const query_report *r, const char *query,
                       const char *message)
{
    fputc('{', r->out);
    output_json_path(r->out, "query", query);
    fputs(", \"error\": ", r->out);
    maso_cli_json_string(r->out, message);
    fputs("}\n", r->out);
}

void output_json_path(FILE *out, const char *key, const char *path)
{
    maso_cli_json_string(out, key);
    fputs(": ", out);
    maso_cli_json_string(out, path);
    if (maso_cli_utf8_valid(path))
        return;
    char *b64 = base64_encode((const unsigned char *)path, strlen(path));
    fprintf(out, ", \"%s_base64\": \"%s\"", key, b64 ? b64 : "");
    free(b64);
}

/* ISO 8601, UTC, with the nanoseconds when there are any. */
static void json_time(FILE *out, int64_t ns)
{
    time_t t = (time_t)(ns / 1000000000);
    long frac = (long)(ns % 1000000000);
    if (frac < 0) {
        t--;
        frac += 1000000000;
    }
    struct tm tm;
    char buf[40];
    if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S",
                                        &tm)) {
        fputs("null", out);
        return;
    }
    if (frac)
        fprintf(out, "\"%s.%09ldZ\"", buf, frac);
    else
        fprintf(out, "\"%sZ\"", buf);
}

static void json_member(FILE *out, const dupe_member *m, const dupe_options *o)
{
    fputc('{', out);
    output_json_path(out, "path", m->path);
    fprintf(out, ", \"role\": \"%s\", \"distance\": ",
            dupe_role_name(m->role));
    number(out, m->distance);
    if (m->present) {
        fprintf(out, ", \"size\": %" PRIu64 ", \"mtime\": ", m->size);
        json_time(out, m->mtime_ns);
    }
    if (m->width > 0)
        fprintf(out, ", \"width\": %d, \"height\": %d", m->width,
                m->height);
    if (m->outcome != DUPE_OUTCOME_NONE) {
        static const char *const outcomes[] = { "", "done", "dry-run",
                                                "failed" };
        fprintf(out, ", \"action\": \"%s\", \"outcome\": \"%s\"",
                dupe_action_name(o->action), outcomes[m->outcome]);
        if (m->to) {
            fputs(", ", out);
            output_json_path(out, "to", m->to);
        }
        if (m->error) {
            fputs(", \"error\": ", out);
            maso_cli_json_string(out, m->error);
        }
    }
    fputc('}', out);
}

void output_json_group(const query_report *r, size_t group,
                       const dupe_group *g, const dupe_options *o)
{
    fprintf(r->out, "{\"number\": %zu, \"group\": [", group);
    for (size_t i = 0; i < g->n; i++) {
        fputs(i ? ", " : "", r->out);
        maso_cli_json_string(r->out, g->members[i].path);
    }
    fputs("], \"max_distance\": ", r->out);
    number(r->out, g->max_distance);
    if (g->keep < g->n) {
        fputs(", ", r->out);
        output_json_path(r->out, "keep", g->members[g->keep].path);
    } else {
        fputs(", \"keep\": null", r->out);
    }
    fputs(", \"members\": [", r->out);
    for (size_t i = 0; i < g->n; i++) {
        fputs(i ? ", " : "", r->out);
        json_member(r->out, &g->members[i], o);
    }
    fputs("]}\n", r->out);
}
