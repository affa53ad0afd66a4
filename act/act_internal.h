/* act_internal.h -- what the files of libmaso_act share. */
#ifndef MASO_ACT_INTERNAL_H
#define MASO_ACT_INTERNAL_H

#include <stdarg.h>

#include "maso_act.h"

/* Write "<formatted>: <maso_strerror(rc)>" into @p err; returns @p rc. */
int act_fail(char err[MASO_ACT_ERRLEN], int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* mkdir -p of the folder that holds @p path; 0 or an errno. */
int act_make_parents(const char *path);

#endif
