/*
 * engine_dupes.c -- what near-duplicate grouping needs beyond the sketches:
 * the orientation sketches each record may keep (maso_store.h,
 * MASO_STORE_ORIENTATIONS), gathered in segment order for
 * maso_search_group_variants(), and the pair distance that grouping uses,
 * so that a program reports the distance that joined two images.
 */
#include "engine_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const uint8_t *maso_engine_orients_of(maso_engine *engine, uint64_t id)
{
    maso_store_view *v = engine ? engine_view_of(engine, id, NULL) : NULL;
    const uint8_t *o = NULL;
    if (!v || maso_store_view_orients(v, id, &o) != 0)
        return NULL;
    return o;
}

/* Pointers to the MASO_STORE_ORIENTS sketches of @p o into @p out. */
static void split(const maso_engine *e, const uint8_t *o,
                  const uint8_t **out)
{
    size_t bytes = maso_sketch_bytes(maso_engine_sketch(e));
    for (size_t v = 0; v < MASO_STORE_ORIENTS; v++)
        out[v] = o ? o + v * bytes : NULL;
}

int engine_orient_variants(maso_engine *e, const uint8_t ***sketches)
{
    size_t n = 0;
    for (size_t s = 0; s < e->n_segs; s++)
        n += e->segs[s].count;
    const uint8_t **var = calloc((n ? n : 1) * MASO_STORE_ORIENTS,
                                 sizeof *var);
    *sketches = NULL;
    if (!var)
        return engine_fail(e, ENOMEM, "no memory for the orientations of "
                           "%zu images", n);
    e->unoriented = 0;
    for (size_t s = 0, r = 0; s < e->n_segs; s++) {
        const maso_search_segment *seg = &e->segs[s];
        for (size_t i = 0; i < seg->count; i++, r++) {
            maso_store_view *v = engine_view_of(e, seg->ids[i], NULL);
            const uint8_t *o = NULL;
            int rc = v ? maso_store_view_orients(v, seg->ids[i], &o)
                       : MASO_ENOTFOUND;
            if (rc == MASO_ENOTFOUND) {
                e->unoriented++;
                continue;
            }
            if (rc) {
                size_t tag = maso_store_id_tag_of(seg->ids[i]);
                engine_fail(e, rc, "%s", maso_store_errmsg(e->stores[tag]));
                free(var);
                return rc;
            }
            split(e, o, var + r * MASO_STORE_ORIENTS);
        }
    }
    *sketches = var;
    return 0;
}

double maso_engine_pair_distance(maso_engine *engine, uint64_t a, uint64_t b,
                                 int orient)
{
    const uint8_t *sa = maso_engine_sketch_of(engine, a);
    const uint8_t *sb = maso_engine_sketch_of(engine, b);
    if (!sa || !sb)
        return -1;
    const uint8_t *va[MASO_STORE_ORIENTS], *vb[MASO_STORE_ORIENTS];
    split(engine, orient ? maso_engine_orients_of(engine, a) : NULL, va);
    split(engine, orient ? maso_engine_orients_of(engine, b) : NULL, vb);
    return maso_search_distance_variants(engine->search, sa, va, sb, vb,
                                         MASO_STORE_ORIENTS);
}

uint64_t maso_engine_duplicates_unoriented(const maso_engine *engine)
{
    return engine ? engine->unoriented : 0;
}
