/*
 * library.c -- dlopen and dlsym with the loader's message kept, for the
 * optional libraries loaded at first use (base/library_internal.h).
 */
#include "base/library_internal.h"

#include <dlfcn.h>
#include <stdio.h>

static void keep_error(char err[CORE_LIBRARY_ERRLEN], const char *what)
{
    const char *why = dlerror();
    snprintf(err, CORE_LIBRARY_ERRLEN, "%s", why != NULL ? why : what);
}

void *core_library_open(const char *soname, char err[CORE_LIBRARY_ERRLEN])
{
    void *library = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL)
        keep_error(err, "cannot be loaded");
    return library;
}

void *core_library_symbol(void *library, const char *name,
                          char err[CORE_LIBRARY_ERRLEN])
{
    void *address;
    (void)dlerror(); /* clear: a symbol's value could be NULL */
    address = dlsym(library, name);
    if (address == NULL)
        keep_error(err, name);
    return address;
}

void core_library_close(void *library)
{
    if (library != NULL)
        (void)dlclose(library);
}
