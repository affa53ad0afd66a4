/* dupe_act.c -- what --move-to, --trash, --hardlink and --delete do to
 * the members of a group that are not kept.  Every action goes through
 * libmaso_act, which never loses a file; a member is only touched when it
 * is still the file that was indexed (same size and mtime) and the kept
 * member is too, so a photo edited since indexing is never removed as a
 * copy of another. */
#include "dupes.h"
#include "session.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "maso_act.h"

static void set_error(dupe_member *m, const char *msg)
{
    free(m->error);
    m->error = strdup(msg);
    m->outcome = DUPE_OUTCOME_FAILED;
}

/* The kept member is still there, as indexed. */
static int kept_intact(const dupe_member *k)
{
    struct stat st;
    return stat(k->path, &st) == 0 && (uint64_t)st.st_size == k->size &&
           (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec ==
               k->mtime_ns;
}

static int act_one(session *s, dupe_group *g, dupe_member *m,
                   const dupe_options *o, const char *cwd, dupe_updates *u)
{
    const dupe_member *k = &g->members[g->keep];
    char err[MASO_ACT_ERRLEN], to[PATH_MAX];
    int rc = 0;
    to[0] = '\0';
    if (o->action == DUPE_ACTION_MOVE &&
        maso_act_move_target(o->move_to, cwd, m->path, to, sizeof to) != 0) {
        set_error(m, "--move-to: the destination path is too long");
        return -1;
    }
    if (to[0] && !(m->to = strdup(to)))
        return -1;
    if (o->dry_run) {
        m->outcome = DUPE_OUTCOME_DRY_RUN;
        return 0;
    }
    if (!kept_intact(k)) {
        snprintf(err, sizeof err, "%s: left in place: the kept file %s "
                 "changed or vanished", m->path, k->path);
        set_error(m, err);
        return -1;
    }
    switch (o->action) {
    case DUPE_ACTION_MOVE: rc = maso_act_move(m->path, to, err); break;
    case DUPE_ACTION_TRASH:
        rc = maso_act_trash(m->path, to, sizeof to, err);
        if (!rc && !(m->to = strdup(to)))
            rc = ENOMEM;
        break;
    case DUPE_ACTION_HARDLINK:
        rc = maso_act_hardlink(k->path, m->path, err);
        break;
    case DUPE_ACTION_DELETE: rc = maso_act_delete(m->path, err); break;
    default: return 0;
    }
    if (rc) {
        size_t n = strlen(err);
        snprintf(err + n, sizeof err - n, " (%s left in place)", m->path);
        set_error(m, err);
        return -1;
    }
    m->outcome = DUPE_OUTCOME_DONE;
    if (o->action != DUPE_ACTION_HARDLINK)
        return dupe_updates_remove(u, m->path) ? -1 : 0;
    const maso_sketch *sk = maso_engine_sketch(s->engine);
    const uint8_t *code = maso_engine_full_codes(s->engine)
                              ? maso_engine_code_of(s->engine, k->id) : NULL;
    return dupe_updates_link(u, m->path,
                             maso_engine_sketch_of(s->engine, k->id),
                             maso_sketch_bytes(sk), code,
                             maso_sketch_code_bytes(sk),
                             maso_engine_orients_of(s->engine, k->id),
                             k->size, k->mtime_ns)
               ? -1 : 0;
}

size_t dupe_group_act(session *s, dupe_group *g, const dupe_options *o,
                      const char *cwd, dupe_updates *u)
{
    size_t failed = 0;
    if (o->action == DUPE_ACTION_NONE || g->keep >= g->n)
        return 0;
    for (size_t i = 0; i < g->n; i++) {
        dupe_member *m = &g->members[i];
        if (m->role != DUPE_ROLE_DUPLICATE)
            continue;
        if (act_one(s, g, m, o, cwd, u) != 0) {
            if (m->outcome != DUPE_OUTCOME_FAILED)
                set_error(m, "out of memory");
            failed++;
        }
    }
    return failed;
}
