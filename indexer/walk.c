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
#include <stdint.h>

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
    /* O_NONBLOCK: the file was a regular one when stat'ed, but a FIFO put
     * in its place since must not block the walk. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
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

/* The directories one walk_add() has entered, by device and inode (an
 * open-addressing hash set), so that with --follow each directory is
 * walked once: a symlink loop would otherwise list the same files under
 * ever longer paths, and two links to one directory list them twice. */
typedef struct walk_visited {
    struct { dev_t dev; ino_t ino; int used; } *slot;
    size_t n, cap; /* cap: a power of two, or 0 */
} walk_visited;

static size_t visited_hash(dev_t dev, ino_t ino, size_t cap)
{
    uint64_t h = ((uint64_t)dev * 0x9E3779B97F4A7C15u) ^ (uint64_t)ino;
    h *= 0xBF58476D1CE4E5B9u;
    return (size_t)(h ^ (h >> 31)) & (cap - 1);
}

/* Add (dev, ino); 1 when it was new, 0 when already there, -1 on ENOMEM. */
static int visited_add(walk_visited *v, dev_t dev, ino_t ino)
{
    if (2 * (v->n + 1) > v->cap) {
        walk_visited grown = { NULL, 0, v->cap ? 2 * v->cap : 64 };
        grown.slot = calloc(grown.cap, sizeof *grown.slot);
        if (!grown.slot)
            return -1;
        for (size_t i = 0; i < v->cap; i++)
            if (v->slot[i].used)
                visited_add(&grown, v->slot[i].dev, v->slot[i].ino);
        free(v->slot);
        *v = grown;
    }
    size_t i = visited_hash(dev, ino, v->cap);
    for (; v->slot[i].used; i = (i + 1) & (v->cap - 1))
        if (v->slot[i].dev == dev && v->slot[i].ino == ino)
            return 0;
    v->slot[i].dev = dev;
    v->slot[i].ino = ino;
    v->slot[i].used = 1;
    v->n++;
    return 1;
}

static int walk_dir(walk_list *list, const char *dir, const walk_options *opt,
                    walk_visited *seen, int depth)
{
    /* A depth bound still stops a walk that goes deeper than anything
     * sensible (such as a chain of bind mounts). */
    if (depth > 256) {
        report(opt, dir, ELOOP);
        return 0;
    }
    DIR *d = opendir(dir);
    if (!d) {
        report(opt, dir, errno);
        return 0;
    }
    struct stat self;
    int fresh = fstat(dirfd(d), &self) == 0 ?
                visited_add(seen, self.st_dev, self.st_ino) : 1;
    if (fresh <= 0) { /* seen before; or no memory to remember it */
        closedir(d);
        return fresh < 0 ? ENOMEM : 0;
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
            rc = walk_dir(list, child, opt, seen, depth + 1);
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

/* A named path that realpath() cannot resolve (missing, a dangling
 * symlink, a symlink loop, a name too long) is still listed, made absolute
 * without resolving it: the decoder then fails on it with the cause, and
 * the failure is recorded, so that --info lists it with the others. */
static int push_unresolved(walk_list *list, const char *path)
{
    char cwd[PATH_MAX];
    if (path[0] == '/' || !getcwd(cwd, sizeof cwd))
        return list_push(list, path);
    size_t len = strlen(cwd) + 1 + strlen(path) + 1;
    char *joined = malloc(len);
    if (!joined)
        return ENOMEM;
    snprintf(joined, len, "%s/%s", cwd, path);
    int rc = list_push(list, joined);
    free(joined);
    return rc;
}

int walk_add(walk_list *list, const char *path, const walk_options *opt)
{
    /* Records are keyed by absolute path, so that a store is the same
     * whatever directory maso-index is run from. */
    char *absolute = realpath(path, NULL);
    if (!absolute)
        return errno == ENOMEM ? ENOMEM : push_unresolved(list, path);
    struct stat st;
    int rc = 0;
    if (stat(absolute, &st) != 0)
        rc = errno;
    else if (S_ISDIR(st.st_mode)) {
        walk_visited seen = { NULL, 0, 0 };
        rc = walk_dir(list, absolute, opt, &seen, 0);
        free(seen.slot);
    }
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
