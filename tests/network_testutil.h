/* network_testutil.h -- small helpers shared by the network tests. */
#ifndef NETWORK_TESTUTIL_H
#define NETWORK_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define SQUEEZENET_DIR MASO_SHARED_DIR "/models/squeezenet_v1.1"
#define SQUEEZENET_PARAM SQUEEZENET_DIR "/squeezenet_v1.1.param"
#define SQUEEZENET_BIN SQUEEZENET_DIR "/squeezenet_v1.1.bin"
#define GOLDEN_DIR MASO_SHARED_DIR "/reference/squeezenet_v1.1"

/* Read a whole file; NULL when missing.  Caller frees. */
static inline void *test_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        *size = (size_t)n;
    }
    return buf;
}

#endif
