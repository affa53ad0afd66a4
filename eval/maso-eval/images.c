/* images.c -- decoding benchmark images and listing benchmark folders. */
#include "program.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

int eval_image_load(maso_decoder *decoder, const char *path, int min_width,
                    int min_height, maso_image *image,
                    char err[MASO_CLI_ERRLEN])
{
    maso_decode_params params;
    maso_decode_params_init(&params);
    params.min_width = min_width;
    params.min_height = min_height;
    int rc = maso_decoder_load_file(decoder, path, &params, image);
    if (rc)
        snprintf(err, MASO_CLI_ERRLEN, "%s", maso_decoder_errmsg(decoder));
    return rc;
}

int eval_file_is_jpeg(const char *path)
{
    unsigned char head[32];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return maso_format_detect(head, n) == MASO_FORMAT_JPEG;
}

int eval_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int eval_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int has_suffix(const char *name, const char *suffixes)
{
    size_t n = strlen(name);
    for (const char *p = suffixes; *p;) {
        size_t len = strcspn(p, ",");
        if (len && n > len && strncasecmp(name + n - len, p, len) == 0)
            return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void eval_names_free(eval_names *names)
{
    for (size_t i = 0; i < names->count; i++)
        free(names->name[i]);
    free(names->name);
    names->name = NULL;
    names->count = 0;
}

int eval_names_list(const char *dir, const char *suffixes, eval_names *names,
                    char err[MASO_CLI_ERRLEN])
{
    names->name = NULL;
    names->count = 0;
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        snprintf(err, MASO_CLI_ERRLEN, "%s: %s", dir, strerror(e));
        return e;
    }
    size_t cap = 0;
    int rc = 0;
    struct dirent *de;
    char path[EVAL_PATH_MAX];
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' ||
            (suffixes && !has_suffix(de->d_name, suffixes)))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (suffixes ? !eval_is_file(path) : !eval_is_dir(path))
            continue;
        if (names->count == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            char **grown = realloc(names->name, ncap * sizeof *grown);
            if (!grown) {
                rc = ENOMEM;
                break;
            }
            names->name = grown;
            cap = ncap;
        }
        if (!(names->name[names->count] = strdup(de->d_name))) {
            rc = ENOMEM;
            break;
        }
        names->count++;
    }
    closedir(d);
    if (rc) {
        snprintf(err, MASO_CLI_ERRLEN, "%s: out of memory", dir);
        eval_names_free(names);
        return rc;
    }
    if (names->count)
        qsort(names->name, names->count, sizeof *names->name, cmp_names);
    return 0;
}
