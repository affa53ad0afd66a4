/* results_csv.c -- the per-pair CSV of --csv: one row per pair and metric. */
#include "program.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct eval_csv {
    FILE *f;
    char path[EVAL_PATH_MAX];
};

/* RFC 4180: quote a field when it holds a comma, a quote or a line
 * break, doubling the quotes inside. */
static void field(FILE *f, const char *s)
{
    if (!s)
        s = "";
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int eval_csv_open(const char *path, eval_csv **csv, char err[MASO_CLI_ERRLEN])
{
    *csv = NULL;
    eval_csv *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, MASO_CLI_ERRLEN, "out of memory");
        return ENOMEM;
    }
    snprintf(c->path, sizeof c->path, "%s", path);
    if (!(c->f = fopen(path, "w"))) {
        int e = errno;
        snprintf(err, MASO_CLI_ERRLEN, "--csv %s: %s", path, strerror(e));
        free(c);
        return e;
    }
    fputs("reference,distorted,metric,value,benchmark,group,truth\n", c->f);
    *csv = c;
    return 0;
}

void eval_csv_row(eval_csv *csv, const char *reference, const char *distorted,
                  const char *metric, double value, const char *benchmark,
                  const char *group, double truth)
{
    if (!csv)
        return;
    field(csv->f, reference);
    fputc(',', csv->f);
    field(csv->f, distorted);
    fputc(',', csv->f);
    field(csv->f, metric);
    /* %.10g keeps the precision that matters and prints inf for an
     * infinite PSNR, which Python's float() reads back. */
    fprintf(csv->f, ",%.10g,", value);
    field(csv->f, benchmark);
    fputc(',', csv->f);
    field(csv->f, group);
    fprintf(csv->f, ",%.10g\n", truth);
}

int eval_csv_close(eval_csv *csv, char err[MASO_CLI_ERRLEN])
{
    if (!csv)
        return 0;
    int e = ferror(csv->f) ? EIO : 0;
    if (fclose(csv->f) != 0 && !e)
        e = errno;
    if (e)
        snprintf(err, MASO_CLI_ERRLEN, "--csv %s: %s", csv->path,
                 strerror(e));
    free(csv);
    return e;
}
