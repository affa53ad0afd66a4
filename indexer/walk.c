/* walk.c -- collect the files to index from paths, directories and lists,
 * and what the walk leaves out inside folders (other files, symbolic links
 * not followed, hidden folders and caches, exclusions), each with its
 * reason, so that the program can count and list them. */
#include "walk.h"

#include "maso.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
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

/* The extensions of the formats libmaso decodes (maso_format). */
static int has_image_name(const char *name)
{
    static const char *const ext[] = {
        ".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".webp", ".tif", ".tiff",
        ".gif", ".heic", ".heif", ".hif", ".avif", ".jxl", ".bmp", ".dib",
        ".pbm", ".pgm", ".ppm", ".pnm", ".pam",
    };
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
    unsigned char head[32];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, head, sizeof head);
    close(fd);
    return n > 0 && maso_format_detect(head, (size_t)n) != MASO_FORMAT_UNKNOWN;
}

/* Hidden entries, and the folders that file managers, NAS systems and
 * operating systems fill with thumbnails, deleted files and snapshots
 * (copies of the photos next to them, which would all be duplicates). */
static int is_hidden_name(const char *name)
{
    static const char *const caches[] = {
        "@eaDir", "#recycle", "@Recycle", "@Recently-Snapshot", "#snapshot",
        "$RECYCLE.BIN", "System Volume Information",
    };
    if (name[0] == '.')
        return 1; /* .thumbnails, .Trash-1000, .git, ._IMG_0001.JPG ... */
    for (size_t i = 0; i < sizeof caches / sizeof caches[0]; i++)
        if (strcmp(name, caches[i]) == 0)
            return 1;
    return 0;
}

static int skipped_push(walk_list *list, const char *path, walk_skip why)
{
    if (list->n_skipped == list->cap_skipped) {
        size_t cap = list->cap_skipped ? 2 * list->cap_skipped : 64;
        walk_skipped *grown = realloc(list->skipped, cap * sizeof *grown);
        if (!grown)
            return ENOMEM;
        list->skipped = grown;
        list->cap_skipped = cap;
    }
    char *copy = strdup(path);
    if (!copy)
        return ENOMEM;
    list->skipped[list->n_skipped].path = copy;
    list->skipped[list->n_skipped].why = why;
    list->n_skipped++;
    return 0;
}

/* ---- exclusion patterns ------------------------------------------------ */

int walk_patterns_add(walk_patterns *p, const char *pattern)
{
    size_t len = strlen(pattern);
    while (len > 1 && pattern[len - 1] == '/')
        len--; /* "old/" means the folder old */
    if (len == 0)
        return EINVAL;
    char *copy;
    if (memchr(pattern, '/', len) && pattern[0] != '/') {
        /* Relative to the current directory, as the user typed it. */
        char *cwd = getcwd(NULL, 0);
        if (!cwd)
            return errno;
        size_t n = strlen(cwd) + 1 + len + 1;
        copy = malloc(n);
        if (copy)
            snprintf(copy, n, "%s/%.*s", cwd, (int)len, pattern);
        free(cwd);
    } else {
        copy = strndup(pattern, len);
    }
    if (!copy)
        return ENOMEM;
    if (p->count == p->capacity) {
        size_t cap = p->capacity ? 2 * p->capacity : 8;
        char **grown = realloc(p->pattern, cap * sizeof *grown);
        if (!grown) {
            free(copy);
            return ENOMEM;
        }
        p->pattern = grown;
        p->capacity = cap;
    }
    p->pattern[p->count++] = copy;
    return 0;
}

int walk_patterns_read(walk_patterns *p, FILE *in)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (!rc && (n = getline(&line, &cap, in)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        rc = walk_patterns_add(p, line);
    }
    free(line);
    if (!rc && ferror(in))
        rc = EIO;
    return rc;
}

/* Does one pattern match @p path, given that the last component starts at
 * @p name? */
static int pattern_matches(const char *pattern, const char *path,
                           const char *name)
{
    if (strchr(pattern, '/'))
        return fnmatch(pattern, path, FNM_PATHNAME) == 0;
    return fnmatch(pattern, name, 0) == 0;
}

int walk_patterns_match(const walk_patterns *p, const char *path)
{
    if (!p || p->count == 0)
        return 0;
    size_t len = strlen(path);
    char *prefix = malloc(len + 1);
    if (!prefix)
        return 0;
    int hit = 0;
    /* Every folder on the way, then the path itself. */
    for (size_t end = 1; end <= len && !hit; end++) {
        if (end < len && path[end] != '/')
            continue;
        memcpy(prefix, path, end);
        prefix[end] = '\0';
        const char *name = strrchr(prefix, '/');
        name = name ? name + 1 : prefix;
        if (*name == '\0')
            continue;
        for (size_t i = 0; i < p->count && !hit; i++)
            hit = pattern_matches(p->pattern[i], prefix, name);
    }
    free(prefix);
    return hit;
}

void walk_patterns_free(walk_patterns *p)
{
    for (size_t i = 0; i < p->count; i++)
        free(p->pattern[i]);
    free(p->pattern);
    memset(p, 0, sizeof *p);
}

/* True when @p child, found in a folder already walked, is excluded: only
 * its own name and whole path need testing, the folders above it did not
 * match. */
static int child_excluded(const walk_options *opt, const char *child,
                          const char *name)
{
    const walk_patterns *p = opt->exclude;
    if (!p)
        return 0;
    for (size_t i = 0; i < p->count; i++)
        if (pattern_matches(p->pattern[i], child, name))
            return 1;
    return 0;
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
        int r = lstat(child, &st);
        if (r == 0 && S_ISLNK(st.st_mode) && opt->follow_symlinks)
            r = stat(child, &st);
        if (r != 0)
            report(opt, child, errno);
        else if (S_ISLNK(st.st_mode))
            rc = skipped_push(list, child, WALK_SKIP_SYMLINK);
        else if (child_excluded(opt, child, e->d_name))
            rc = skipped_push(list, child, WALK_SKIP_EXCLUDED);
        else if (!opt->include_hidden && is_hidden_name(e->d_name))
            rc = skipped_push(list, child, WALK_SKIP_HIDDEN);
        else if (S_ISDIR(st.st_mode))
            rc = walk_dir(list, child, opt, depth + 1);
        else if (S_ISREG(st.st_mode) &&
                 (has_image_name(e->d_name) || has_image_signature(child)))
            rc = list_push(list, child);
        else
            rc = skipped_push(list, child, WALK_SKIP_OTHER);
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
    else if (walk_patterns_match(opt->exclude, absolute))
        rc = skipped_push(list, absolute, WALK_SKIP_EXCLUDED);
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

static int compare_skipped(const void *a, const void *b)
{
    const walk_skipped *x = a, *y = b;
    return strcmp(x->path, y->path);
}

void walk_finish(walk_list *list)
{
    if (list->count >= 2) {
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
    if (list->n_skipped >= 2) {
        qsort(list->skipped, list->n_skipped, sizeof *list->skipped,
              compare_skipped);
        size_t out = 1;
        for (size_t i = 1; i < list->n_skipped; i++) {
            if (strcmp(list->skipped[i].path, list->skipped[out - 1].path) == 0)
                free(list->skipped[i].path);
            else
                list->skipped[out++] = list->skipped[i];
        }
        list->n_skipped = out;
    }
}

size_t walk_skipped_count(const walk_list *list, walk_skip why)
{
    size_t n = 0;
    for (size_t i = 0; i < list->n_skipped; i++)
        n += list->skipped[i].why == why;
    return n;
}

const char *walk_skip_name(walk_skip why)
{
    switch (why) {
    case WALK_SKIP_OTHER: return "not an image";
    case WALK_SKIP_SYMLINK: return "symbolic link, not followed without -L";
    case WALK_SKIP_HIDDEN: return "hidden, or a cache or trash folder";
    case WALK_SKIP_EXCLUDED: return "excluded";
    default: return "skipped";
    }
}

void walk_free(walk_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->path[i]);
    free(list->path);
    for (size_t i = 0; i < list->n_skipped; i++)
        free(list->skipped[i].path);
    free(list->skipped);
    memset(list, 0, sizeof *list);
}
