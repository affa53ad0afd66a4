/* pair_distances.c -- every pair of images of a store, with the distance
 * maso-query --duplicates uses (the smallest over the orientation pairs,
 * maso_engine_pair_distance) and the distance as they are, over the
 * default layers (or SPEC).  One line per pair, tab-separated:
 * PATH_A PATH_B ORIENTED AS_IS.  For studies of thresholds and score
 * normalisation on planted collections (bench/planted_dupes.sh); not a
 * test.
 * usage: pair_distances DB [LAYER_SPEC]
 */
#include <stdio.h>
#include <stdlib.h>

#include "maso_cli.h"
#include "maso_engine.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: pair_distances DB [LAYER_SPEC]\n");
        return 2;
    }
    const char *spec = argc > 2 ? argv[2] : "fire6/squeeze1x1..conv10";
    maso_engine *e;
    const char *paths[1] = { argv[1] };
    if (maso_engine_create(&e) || maso_engine_open(e, paths, 1, NULL)) {
        fprintf(stderr, "pair_distances: %s\n", maso_engine_errmsg(e));
        return 2;
    }
    const maso_code_layer *layers;
    size_t nl = maso_engine_layers(e, &layers);
    double *w = calloc(nl, sizeof *w);
    char msg[MASO_CLI_ERRLEN];
    if (!w || maso_cli_layer_spec_parse(spec, layers, nl, w, msg) ||
        maso_engine_set_weights(e, w)) {
        fprintf(stderr, "pair_distances: %s: %s\n", spec, msg);
        return 2;
    }
    const maso_search_segment *segs;
    size_t ns = maso_engine_segments(e, &segs), n = 0;
    for (size_t s = 0; s < ns; s++)
        n += segs[s].count;
    uint64_t *ids = malloc((n ? n : 1) * sizeof *ids);
    const char **names = malloc((n ? n : 1) * sizeof *names);
    if (!ids || !names)
        return 2;
    for (size_t s = 0, k = 0; s < ns; s++)
        for (size_t i = 0; i < segs[s].count; i++, k++) {
            maso_store_record r;
            ids[k] = segs[s].ids[i];
            names[k] = maso_engine_record(e, ids[k], &r, NULL) ? "?" : r.path;
        }
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            printf("%s\t%s\t%.6f\t%.6f\n", names[a], names[b],
                   maso_engine_pair_distance(e, ids[a], ids[b], 1),
                   maso_engine_pair_distance(e, ids[a], ids[b], 0));
    free(ids);
    free(names);
    free(w);
    maso_engine_destroy(e);
    return 0;
}
