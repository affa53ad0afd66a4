/*
 * library_internal.h -- optional shared libraries loaded at first use.
 *
 * libheif, libjxl and libtiff (C++ libraries or C++ dependencies, dozens of
 * libraries behind them: ~15 ms of dynamic linking and static initialisers
 * per process) are not linked into the programs: a decoder that meets its
 * first HEIF, JPEG XL or TIFF file loads the library by its SONAME (taken at build time from the library CMake
 * found: cmake/soname.cmake), the way libvips loads its heavy format
 * modules.  So a run over JPEGs and PNGs never maps them, and a machine
 * without them decodes every other format and names the missing library
 * for the files that need it.
 *
 * Each client keeps one table of function pointers, typed from the
 * library's real header with __typeof__, filled once under pthread_once and
 * never written again (the only process-wide state of libmaso).  The
 * library stays loaded until the process exits.
 */
#ifndef CORE_BASE_LIBRARY_INTERNAL_H
#define CORE_BASE_LIBRARY_INTERNAL_H

#include <pthread.h>
#include <stddef.h>

/* Room for a dynamic loader's message ("<path>: cannot open shared object
 * file: No such file or directory"). */
#define CORE_LIBRARY_ERRLEN 512

/* dlopen(@p soname) with RTLD_NOW | RTLD_LOCAL (every symbol bound now, so
 * a broken library fails here and not in the middle of a decode; none
 * enters the global namespace).  Returns the handle, or NULL with the
 * loader's message in @p err. */
void *core_library_open(const char *soname, char err[CORE_LIBRARY_ERRLEN]);

/* The address of function @p name in @p library, or NULL with the loader's
 * message ("<path>: undefined symbol: NAME") in @p err. */
void *core_library_symbol(void *library, const char *name,
                          char err[CORE_LIBRARY_ERRLEN]);

/* dlclose(@p library): a library that lacked a function is not kept. */
void core_library_close(void *library);

/*
 * CORE_LIBRARY_DEFINE(type, soname, LIST) defines, in the decoder's file,
 * the table type `type` (ready, error, and one member per function of the
 * X-macro LIST, named and typed after it), its one instance, and
 * `static const type *type_load(void)`, which fills it at its first call
 * (pthread_once) and returns it: ready == 1, or 0 with the loader's
 * message in error.  LIST(X, t) expands X(t, f) for each function f:
 *   #define HEIF_FUNCTIONS(X, t) X(t, heif_context_alloc) X(t, ...) ...
 * The casts from dlsym()'s void * are what POSIX prescribes.
 */
#define CORE_LIBRARY_DEFINE(type, soname, LIST)                             \
    typedef struct type {                                                   \
        int ready;                                                          \
        char error[CORE_LIBRARY_ERRLEN];                                    \
        LIST(CORE_LIBRARY_MEMBER_, ~)                                       \
    } type;                                                                 \
    static type type##_table;                                               \
    static pthread_once_t type##_once = PTHREAD_ONCE_INIT;                  \
    static void type##_fill(void)                                           \
    {                                                                       \
        void *lib_ = core_library_open((soname), type##_table.error);       \
        if (lib_ == NULL)                                                   \
            return;                                                         \
        LIST(CORE_LIBRARY_LOOKUP_, type##_table)                            \
        type##_table.ready = 1;                                             \
        return;                                                             \
    fail_:                                                                  \
        core_library_close(lib_); /* not the library expected: unmapped */  \
    }                                                                       \
    static const type *type##_load(void)                                    \
    {                                                                       \
        (void)pthread_once(&type##_once, type##_fill);                      \
        return &type##_table;                                               \
    }
#define CORE_LIBRARY_MEMBER_(table, f) __typeof__(f) *f;
#define CORE_LIBRARY_LOOKUP_(table, f)                                      \
    if (((table).f = (__typeof__(f) *)core_library_symbol(                 \
             lib_, #f, (table).error)) == NULL)                             \
        goto fail_;

#endif
