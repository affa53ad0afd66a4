/* output_html.c -- --html FILE: one self-contained page (no external
 * files, scripts or fonts) showing each query beside its matches, or
 * each duplicate group, as thumbnails with distances.  People judge
 * "looks alike" faster by looking than by reading paths.  Every figure
 * carries its numbers in data-* attributes too, so tests (and scripts)
 * can read the page's DOM. */
#include "output.h"
#include "thumb.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Thumbnail box in pixels (CSS shows them at this size). */
#define HTML_THUMB 160

struct html_page {
    FILE *f;
    char *path, *tmp;
    thumbnailer *thumbs;
};

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

static const char style[] =
    "body{font:14px sans-serif;margin:1em;background:#fafafa;color:#222}"
    "section{display:flex;flex-wrap:wrap;align-items:flex-start;gap:8px;"
    "padding:8px;margin-bottom:12px;background:#fff;border:1px solid #ddd}"
    "h2{flex-basis:100%;font-size:15px;margin:0 0 4px;word-break:break-all}"
    "figure{margin:0;width:160px;text-align:center}"
    "figure img{max-width:160px;max-height:160px;display:block;margin:auto}"
    "figure.probe{border-right:3px solid #36c;padding-right:8px}"
    "figcaption{font-size:12px;word-break:break-all}"
    "figure.keep{outline:3px solid #2a2;outline-offset:2px}"
    ".role{font-weight:bold}.keep .role{color:#2a2}.path{color:#555}"
    ".outcome.failed{color:#c00}.summary{font-weight:bold}"
    ".d{font-weight:bold}.missing{width:160px;height:100px;background:#eee;"
    "font-size:11px;overflow:hidden}";

/* The page at @p path up to its closing tags, copied into @p out:
 * 0, ENOENT when there is no page yet, MASO_EFORMAT when it is not one of
 * ours, or an errno. */
static int copy_page(const char *path, FILE *out)
{
    static const char end[] = "</body></html>\n";
    char *text = NULL;
    size_t n = 0;
    int rc = maso_file_read(path, SIZE_MAX, &text, &n);
    size_t len = sizeof end - 1;
    if (!rc && (n < len || memcmp(text + n - len, end, len) != 0 ||
                n < 15 || memcmp(text, "<!DOCTYPE html>", 15) != 0))
        rc = MASO_EFORMAT;
    if (!rc && fwrite(text, 1, n - len, out) != n - len)
        rc = EIO;
    free(text);
    return rc;
}

int html_open(html_page **page, const char *path, const char *title,
              int append, char err[MASO_CLI_ERRLEN])
{
    html_page *p = calloc(1, sizeof *p);
    int rc = p ? 0 : ENOMEM;
    if (!rc) {
        p->path = strdup(path);
        p->tmp = malloc(strlen(path) + 5);
        rc = p->path && p->tmp ? thumb_create(&p->thumbs) : ENOMEM;
    }
    if (rc) {
        snprintf(err, MASO_CLI_ERRLEN, "--html %s: %s", path, strerror(rc));
        html_close(p, 0, err);
        return rc;
    }
    sprintf(p->tmp, "%s.tmp", path);
    p->f = fopen(p->tmp, "w");
    if (!p->f) {
        rc = errno;
        snprintf(err, MASO_CLI_ERRLEN, "--html %s: %s", p->tmp, strerror(rc));
        html_close(p, 0, err);
        return rc;
    }
    rc = append ? copy_page(path, p->f) : ENOENT;
    if (rc && rc != ENOENT) {
        snprintf(err, MASO_CLI_ERRLEN, "--html-append %s: %s", path,
                 rc == MASO_EFORMAT ? "not a page written by maso-query"
                                    : maso_strerror(rc));
        html_close(p, 0, err);
        return rc;
    }
    if (rc == ENOENT) {
        fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
              "<title>", p->f);
        maso_cli_html_escaped(p->f, title);
        fprintf(p->f, "</title>\n<style>%s</style></head>\n<body>\n", style);
    }
    fputs("<h1>", p->f);
    maso_cli_html_escaped(p->f, title);
    fputs("</h1>\n", p->f);
    *page = p;
    return 0;
}

/* The thumbnail of @p path, or a box saying why there is none. */
static void thumbnail(html_page *p, const char *path)
{
    char err[MASO_CLI_ERRLEN], *b64 = NULL;
    if (thumb_file(p->thumbs, path, HTML_THUMB, &b64, err) == 0) {
        fputs("<img alt=\"", p->f);
        maso_cli_html_escaped(p->f, base_name(path));
        fprintf(p->f, "\" src=\"data:image/jpeg;base64,%s\">", b64);
    } else {
        fputs("<div class=\"missing\">", p->f);
        maso_cli_html_escaped(p->f, err);
        fputs("</div>", p->f);
    }
    free(b64);
}

/* A figure of class @p cls showing the image at @p path. */
static void figure(html_page *p, const char *cls, const char *path,
                   const char *caption, const query_match *m)
{
    fprintf(p->f, "<figure class=\"%s\" data-path=\"", cls);
    maso_cli_html_escaped(p->f, path);
    if (m)
        fprintf(p->f, "\" data-rank=\"%zu\" data-distance=\"%.6f", m->rank,
                m->distance);
    fputs("\">", p->f);
    thumbnail(p, path);
    fputs("<figcaption>", p->f);
    if (m)
        fprintf(p->f, "#%zu <span class=\"d\">%.4f</span><br>", m->rank,
                m->distance);
    else if (caption)
        fprintf(p->f, "%s<br>", caption);
    fputs("<span title=\"", p->f);
    maso_cli_html_escaped(p->f, path);
    fputs("\">", p->f);
    maso_cli_html_escaped(p->f, base_name(path));
    fputs("</span></figcaption></figure>\n", p->f);
}

void html_query(html_page *p, const char *query, const query_match *m,
                size_t n)
{
    fputs("<section class=\"query\" data-query=\"", p->f);
    maso_cli_html_escaped(p->f, query);
    fputs("\"><h2>", p->f);
    maso_cli_html_escaped(p->f, query);
    fprintf(p->f, " &mdash; %zu match%s</h2>\n", n, n == 1 ? "" : "es");
    figure(p, "probe", query, "query", NULL);
    for (size_t i = 0; i < n; i++)
        figure(p, "match", m[i].path, NULL, &m[i]);
    fputs("</section>\n", p->f);
}

static const char *outcome_name(dupe_outcome o)
{
    static const char *const names[] = { "", "done", "dry-run", "failed" };
    return names[o];
}

/* One member of a group: its numbers as data-* attributes and in the
 * caption, the kept one marked. */
static void member(html_page *p, const dupe_member *m, const dupe_options *o)
{
    char dim[32], size[32], date[32];
    output_dimensions(dim, sizeof dim, m);
    output_human_size(size, sizeof size, m->size);
    output_local_time(date, sizeof date, m->mtime_ns);
    fprintf(p->f, "<figure class=\"member %s\" data-path=\"",
            dupe_role_name(m->role));
    maso_cli_html_escaped(p->f, m->path);
    fprintf(p->f, "\" data-role=\"%s\" data-distance=\"%.6f\"",
            dupe_role_name(m->role), m->distance);
    if (m->present)
        fprintf(p->f, " data-size=\"%" PRIu64 "\" data-mtime=\"%" PRId64 "\"",
                m->size, m->mtime_ns / 1000000000);
    if (m->width > 0)
        fprintf(p->f, " data-width=\"%d\" data-height=\"%d\"", m->width,
                m->height);
    if (m->outcome)
        fprintf(p->f, " data-action=\"%s\" data-outcome=\"%s\"",
                dupe_action_name(o->action), outcome_name(m->outcome));
    fputs(">", p->f);
    thumbnail(p, m->path);
    fprintf(p->f, "<figcaption><span class=\"role\">%s</span> ",
            m->role == DUPE_ROLE_KEEP ? "KEEP" : dupe_role_name(m->role));
    if (m->role != DUPE_ROLE_KEEP)
        fprintf(p->f, "<span class=\"d\">%.4f</span>", m->distance);
    fprintf(p->f, "<br>%s", dim);
    if (m->present)
        fprintf(p->f, " &middot; %s<br>%s", size, date);
    fputs("<br><span class=\"path\">", p->f);
    maso_cli_html_escaped(p->f, m->path);
    fputs("</span>", p->f);
    if (m->outcome) {
        fprintf(p->f, "<br><span class=\"outcome %s\">%s%s",
                outcome_name(m->outcome),
                m->outcome == DUPE_OUTCOME_DRY_RUN ? "would " : "",
                dupe_action_name(o->action));
        if (m->outcome == DUPE_OUTCOME_FAILED) {
            fputs(" failed: ", p->f);
            maso_cli_html_escaped(p->f, m->error ? m->error : "");
        } else if (m->to) {
            fputs(" &rarr; ", p->f);
            maso_cli_html_escaped(p->f, m->to);
        }
        fputs("</span>", p->f);
    }
    fputs("</figcaption></figure>\n", p->f);
}

void html_group(html_page *p, size_t group, const dupe_group *g,
                const dupe_options *o)
{
    fprintf(p->f, "<section class=\"group\" data-group=\"%zu\" "
            "data-max-distance=\"%.6f\"><h2>Group %zu: %zu images, max "
            "distance %.4f</h2>\n", group, g->max_distance, group, g->n,
            g->max_distance);
    /* The kept member first: the eye compares the others with it. */
    if (g->keep < g->n)
        member(p, &g->members[g->keep], o);
    for (size_t i = 0; i < g->n; i++)
        if (i != g->keep)
            member(p, &g->members[i], o);
    fputs("</section>\n", p->f);
}

void html_duplicates_end(html_page *p, const output_tally *t,
                         const dupe_options *o)
{
    char size[32];
    output_human_size(size, sizeof size, t->bytes);
    if (t->groups == 0) {
        fputs("<p class=\"summary none\">No near-duplicate groups within "
              "the threshold.</p>\n", p->f);
        return;
    }
    fprintf(p->f, "<p class=\"summary\">%zu groups, %zu images; kept: the "
            "%s of each group; %zu duplicates (%s)", t->groups, t->members,
            dupe_keep_name(o->keep), t->duplicates, size);
    if (o->action == DUPE_ACTION_NONE)
        fputs(": nothing changed.", p->f);
    else if (o->dry_run)
        fprintf(p->f, " would %s (dry run: nothing changed).",
                dupe_action_name(o->action));
    else
        fprintf(p->f, ": %s %zu done, %zu failed.",
                dupe_action_name(o->action), t->done, t->failed);
    fputs("</p>\n", p->f);
}

int html_close(html_page *p, int keep, char err[MASO_CLI_ERRLEN])
{
    if (!p)
        return 0;
    int rc = 0;
    if (p->f) {
        fputs("</body></html>\n", p->f);
        if (ferror(p->f))
            rc = EIO;
        if (fclose(p->f) != 0 && !rc)
            rc = errno;
        if (!rc && keep && rename(p->tmp, p->path) != 0)
            rc = errno;
        if (rc || !keep)
            remove(p->tmp);
        if (rc)
            snprintf(err, MASO_CLI_ERRLEN, "--html %s: %s", p->path,
                     strerror(rc));
    }
    thumb_destroy(p->thumbs);
    free(p->tmp);
    free(p->path);
    free(p);
    return rc;
}
