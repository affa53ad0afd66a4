/* dupe_keep.c -- which member of a near-duplicate group stays.
 *
 * Default --keep largest: the members of a group are mostly re-encoded,
 * resized or retouched copies of one photo, and the copy with the most
 * pixels (then the most bytes: the least compressed) is the one with the
 * most information, usually the original.  Dates are a weaker guide:
 * copying a file often gives the copy a new mtime, so "oldest" is offered
 * but not the default. */
#include "dupes.h"

#include <string.h>
#include <sys/stat.h>

static const char *const keep_names[] = { "largest", "smallest", "oldest",
                                          "newest", "first" };

int dupe_keep_parse(const char *text, dupe_keep *keep)
{
    for (size_t i = 0; i < sizeof keep_names / sizeof *keep_names; i++)
        if (strcmp(text, keep_names[i]) == 0) {
            *keep = (dupe_keep)i;
            return 0;
        }
    return -1;
}

const char *dupe_keep_name(dupe_keep keep) { return keep_names[keep]; }

const char *dupe_role_name(dupe_role role)
{
    static const char *const names[] = { "keep", "duplicate", "reference",
                                         "linked", "changed", "missing" };
    return names[role];
}

const char *dupe_action_name(dupe_action action)
{
    static const char *const names[] = { "", "move", "trash", "hardlink",
                                         "delete" };
    return names[action];
}

int dupe_is_reference(const dupe_options *o, const char *path)
{
    for (size_t i = 0; i < o->n_references; i++) {
        const char *r = o->references[i];
        size_t n = strlen(r);
        while (n > 1 && r[n - 1] == '/')
            n--;
        if (strncmp(path, r, n) == 0 &&
            (path[n] == '/' || (n == 1 && r[0] == '/')))
            return 1;
    }
    return 0;
}

void dupe_members_stat(dupe_group *g)
{
    for (size_t i = 0; i < g->n; i++) {
        dupe_member *m = &g->members[i];
        struct stat st;
        m->present = stat(m->path, &st) == 0 && S_ISREG(st.st_mode);
        if (!m->present)
            continue;
        m->size = (uint64_t)st.st_size;
        m->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
                      st.st_mtim.tv_nsec;
        m->dev = (uint64_t)st.st_dev;
        m->ino = (uint64_t)st.st_ino;
        if (image_size_read(m->path, &m->width, &m->height) != 0)
            m->width = m->height = 0;
    }
}

/* -1 when @p a should be kept rather than @p b, 1 the other way, 0 tie. */
static int prefer(const dupe_member *a, const dupe_member *b, dupe_keep k)
{
    uint64_t pa = (uint64_t)a->width * (uint64_t)a->height;
    uint64_t pb = (uint64_t)b->width * (uint64_t)b->height;
    switch (k) {
    case DUPE_KEEP_LARGEST:
        if (pa != pb)
            return pa > pb ? -1 : 1;
        if (a->size != b->size)
            return a->size > b->size ? -1 : 1;
        return 0;
    case DUPE_KEEP_SMALLEST:
        if (pa != pb)
            return pa < pb ? -1 : 1;
        if (a->size != b->size)
            return a->size < b->size ? -1 : 1;
        return 0;
    case DUPE_KEEP_OLDEST:
        return a->mtime_ns == b->mtime_ns ? 0
               : a->mtime_ns < b->mtime_ns ? -1 : 1;
    case DUPE_KEEP_NEWEST:
        return a->mtime_ns == b->mtime_ns ? 0
               : a->mtime_ns > b->mtime_ns ? -1 : 1;
    default:
        return 0;
    }
}

static int unchanged(const dupe_member *m)
{
    return m->present && m->size == m->record_size &&
           m->mtime_ns == m->record_mtime_ns;
}

void dupe_group_choose(dupe_group *g, const dupe_options *o)
{
    int any_reference = 0;
    for (size_t i = 0; i < g->n; i++)
        if (unchanged(&g->members[i]) &&
            dupe_is_reference(o, g->members[i].path))
            any_reference = 1;
    /* Members are sorted by path, so the first of equals is the first
     * path: the choice does not depend on the order of indexing. */
    size_t best = g->n;
    for (size_t i = 0; i < g->n; i++) {
        const dupe_member *m = &g->members[i];
        if (!unchanged(m) || (any_reference && !dupe_is_reference(o, m->path)))
            continue;
        if (best == g->n || prefer(m, &g->members[best], o->keep) < 0)
            best = i;
    }
    g->keep = best;
    for (size_t i = 0; i < g->n; i++) {
        dupe_member *m = &g->members[i];
        if (i == best)
            m->role = DUPE_ROLE_KEEP;
        else if (!m->present)
            m->role = DUPE_ROLE_MISSING;
        else if (!unchanged(m))
            m->role = DUPE_ROLE_CHANGED;
        else if (dupe_is_reference(o, m->path))
            m->role = DUPE_ROLE_REFERENCE;
        else if (best < g->n && m->dev == g->members[best].dev &&
                 m->ino == g->members[best].ino)
            m->role = DUPE_ROLE_LINKED;
        else
            m->role = DUPE_ROLE_DUPLICATE;
    }
}
