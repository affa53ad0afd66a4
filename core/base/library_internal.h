/*
 * library_internal.h -- optional shared libraries loaded at first use.
 *
 * libheif and libjxl (C++ libraries with dozens of dependencies, ~13 ms of
 * dynamic linking and static initialisers per process) are not linked into
 * the programs: a decoder that meets its first HEIF or JPEG XL file loads
 * the library by its SONAME (taken at build time from the library CMake
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

/* A table of the library's functions, named and typed after them:
 * `struct { CORE_LIBRARY_MEMBERS(LIST) } api;` for an X-macro list
 * (`#define LIST(X) X(heif_context_alloc) X(heif_context_free) ...`), and
 * inside the loading function, CORE_LIBRARY_LOOKUP(api, handle, f) for each
 * f, which returns from it (leaving the cause in api.error) when f is
 * missing.  The casts from dlsym()'s void * are what POSIX prescribes. */
#define CORE_LIBRARY_MEMBER(f) __typeof__(f) *f;
#define CORE_LIBRARY_LOOKUP(api, handle, f)                                 \
    if (((api).f = (__typeof__(f) *)core_library_symbol((handle), #f,       \
                                                        (api).error)) == NULL) \
        return;

#endif
