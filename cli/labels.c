/* labels.c -- ImageNet class labels (synset_words.txt). */
#include "maso_cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void maso_cli_labels_free(maso_cli_labels *labels)
{
    if (!labels)
        return;
    for (size_t i = 0; i < labels->count; i++)
        free(labels->label[i]);
    free(labels->label);
    labels->label = NULL;
    labels->count = 0;
}

int maso_cli_labels_load(const char *path, maso_cli_labels *labels,
                         char err[MASO_CLI_ERRLEN])
{
    labels->label = NULL;
    labels->count = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        snprintf(err, MASO_CLI_ERRLEN, "%s: %s", path, strerror(e));
        return e;
    }
    size_t cap = 0;
    char *line = NULL;
    size_t linecap = 0;
    ssize_t n;
    int rc = 0;
    errno = 0;
    while ((n = getline(&line, &linecap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (labels->count == cap) {
            size_t ncap = cap ? 2 * cap : 1024;
            char **grown = realloc(labels->label, ncap * sizeof *grown);
            if (!grown) {
                rc = ENOMEM;
                break;
            }
            labels->label = grown;
            cap = ncap;
        }
        if (!(labels->label[labels->count] = strdup(line))) {
            rc = ENOMEM;
            break;
        }
        labels->count++;
    }
    /* getline() returns -1 at end of file and on errors alike; a failed
     * growth of its buffer (ENOMEM) need not set the stream's error flag,
     * so anything but end of file is an error, or labels would be lost. */
    if (!rc && (ferror(f) || !feof(f)))
        rc = errno ? errno : EIO;
    free(line);
    fclose(f);
    if (rc) {
        snprintf(err, MASO_CLI_ERRLEN, "%s: %s", path, strerror(rc));
        maso_cli_labels_free(labels);
    }
    return rc;
}
