/* progress.c -- the progress line (stderr, only on a terminal) and the
 * final summary. */
#include "indexer.h"

#include <stdio.h>
#include <time.h>

/* At most four redraws a second: a terminal that scrolls thousands of
 * lines a second would cost more than the indexing it reports. */
#define REDRAW_SECONDS 0.25

double index_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

void index_progress_start(index_progress *p, size_t total, int enabled)
{
    p->enabled = enabled;
    p->drawn = 0;
    p->total = total;
    p->start = index_now();
    p->last_draw = 0;
}

static void format_duration(char *buf, size_t n, double s)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else
        snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
}

void index_progress_update(index_progress *p, size_t done, int force)
{
    if (!p->enabled)
        return;
    double now = index_now();
    if (!force && now - p->last_draw < REDRAW_SECONDS)
        return;
    p->last_draw = now;
    double elapsed = now - p->start;
    double rate = elapsed > 0 ? (double)done / elapsed : 0;
    char eta[32] = "?";
    if (rate > 0)
        format_duration(eta, sizeof eta, (double)(p->total - done) / rate);
    double pct = p->total ? 100.0 * (double)done / (double)p->total : 100.0;
    /* \033[K clears what a longer previous line left behind. */
    fprintf(stderr, "\r%zu/%zu files (%.1f%%), %.1f images/s, ETA %s\033[K",
            done, p->total, pct, rate, eta);
    fflush(stderr);
    p->drawn = 1;
}

void index_progress_clear(index_progress *p)
{
    if (p->enabled && p->drawn) {
        fputs("\r\033[K", stderr);
        p->drawn = 0;
    }
}

void index_summary_print(const index_counts *c, maso_store *store)
{
    size_t processed = c->indexed + c->failed;
    double rate = c->seconds > 0 ? (double)processed / c->seconds : 0;
    fprintf(stderr, "maso-index: %s%zu indexed, %zu skipped (unchanged), "
            "%zu failed", c->interrupted ? "interrupted: " : "", c->indexed,
            c->skipped, c->failed);
    if (c->pruned)
        fprintf(stderr, ", %zu pruned", c->pruned);
    if (c->walk_errors)
        fprintf(stderr, ", %zu paths unreadable", c->walk_errors);
    fprintf(stderr, " in %.1f s (%.1f images/s)", c->seconds, rate);
    /* What the walk left out, so that nothing is skipped silently. */
    static const char *const left_out[WALK_SKIP_KINDS][2] = {
        [WALK_SKIP_OTHER] = {"other file", "other files"},
        [WALK_SKIP_SYMLINK] = {"symbolic link (-L follows it)",
                               "symbolic links (-L follows them)"},
        [WALK_SKIP_HIDDEN] = {"hidden or cache entry (--hidden includes it)",
                              "hidden or cache entries (--hidden includes "
                              "them)"},
        [WALK_SKIP_EXCLUDED] = {"excluded", "excluded"},
    };
    const char *sep = "; left out: ";
    for (int k = 0; k < WALK_SKIP_KINDS; k++) {
        size_t n = c->walk_skipped[k];
        if (n == 0)
            continue;
        fprintf(stderr, "%s%zu %s", sep, n, left_out[k][n != 1]);
        sep = ", ";
    }
    maso_store_stats st;
    if (store && maso_store_get_stats(store, &st) == 0)
        fprintf(stderr, "; store: %llu images, %.1f MB, %.0f bytes per image",
                (unsigned long long)st.ok, (double)st.file_bytes / 1e6,
                st.bytes_per_record);
    fputc('\n', stderr);
}
