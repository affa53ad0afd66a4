/* walk.c -- collect the files to index from paths, directories and lists. */
#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <limits.h>

static int list_push(walk_list *list, const char *path)
{
    if (list->count == list->capacity) {
        size_t cap = list->capacity ? 2 * list->capacity : 256;
        char **grown = realloc(list->path, cap * sizeof *grown);
        if (!grown)
            return ENOMEM;
        list->path = grown;
        list->capacity = cap;
    }
    char *copy = strdup(path);
    if (!copy)
        return ENOMEM;
    list->path[list->count++] = copy;
    return 0;
}

static int has_image_name(const char *name)
{
    static const char *const ext[] = { ".png", ".jpg", ".jpeg", ".jpe", ".jfif" };
    const char *dot = strrchr(name, '.');
    if (!dot)
        return 0;
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        if (strcasecmp(dot, ext[i]) == 0)
            return 1;
    return 0;
}

static int has_image_signature(const char *path)
{
    static const unsigned char png[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    unsigned char head[8];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, head, sizeof head);
    close(fd);
    if (n >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF)
        return 1;
    return n == 8 && memcmp(head, png, 8) == 0;
}

static void report(const walk_options *opt, const char *path, int err)
{
    if (opt->on_error)
        opt->on_error(opt->opaque, path, err);
}

static int walk_dir(walk_list *list, const char *dir, const walk_options *opt,
                    int depth)
{
    /* Symlink loops are excluded by not following links by default; with
     * --follow, a depth bound stops a loop instead of recursing forever. */
    if (depth > 256) {
        report(opt, dir, ELOOP);
        return 0;
    }
    DIR *d = opendir(dir);
    if (!d) {
        report(opt, dir, errno);
        return 0;
    }
    size_t dlen = strlen(dir);
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        size_t len = dlen + 1 + strlen(e->d_name) + 1;
        char *child = malloc(len);
        if (!child) {
            rc = ENOMEM;
            break;
        }
        snprintf(child, len, "%s%s%s", dir,
                 dlen && dir[dlen - 1] == '/' ? "" : "/", e->d_name);
        struct stat st;
        int r = opt->follow_symlinks ? stat(child, &st) : lstat(child, &st);
        if (r != 0)
            report(opt, child, errno);
        else if (S_ISDIR(st.st_mode))
            rc = walk_dir(list, child, opt, depth + 1);
        else if (S_ISREG(st.st_mode) &&
                 (has_image_name(e->d_name) || has_image_signature(child)))
            rc = list_push(list, child);
        free(child);
        if (rc)
            break;
    }
    closedir(d);
    return rc;
}

int walk_add(walk_list *list, const char *path, const walk_options *opt)
{
    /* Records are keyed by absolute path, so that a store is the same
     * whatever directory maso-index is run from. */
    char *absolute = realpath(path, NULL);
    if (!absolute)
        return errno;
    struct stat st;
    int rc = 0;
    if (stat(absolute, &st) != 0)
        rc = errno;
    else if (S_ISDIR(st.st_mode))
        rc = walk_dir(list, absolute, opt, 0);
    else
        rc = list_push(list, absolute);
    free(absolute);
    return rc;
}

int walk_add_from(walk_list *list, FILE *in, int nul, const walk_options *opt)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (!rc && (n = getdelim(&line, &cap, nul ? '\0' : '\n', in)) >= 0) {
        if (n > 0 && line[n - 1] == (nul ? '\0' : '\n'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        int r = walk_add(list, line, opt);
        if (r == ENOMEM)
            rc = r;
        else if (r)
            report(opt, line, r);
    }
    free(line);
    if (!rc && ferror(in))
        rc = EIO;
    return rc;
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void walk_finish(walk_list *list)
{
    if (list->count < 2)
        return;
    qsort(list->path, list->count, sizeof *list->path, compare_paths);
    size_t out = 1;
    for (size_t i = 1; i < list->count; i++) {
        if (strcmp(list->path[i], list->path[out - 1]) == 0)
            free(list->path[i]);
        else
            list->path[out++] = list->path[i];
    }
    list->count = out;
}

void walk_free(walk_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->path[i]);
    free(list->path);
    memset(list, 0, sizeof *list);
}
