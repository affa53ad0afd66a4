/* report.c -- score tables on stdout, in markdown, and a self-contained
 * HTML report whose plots are inline SVG (no script, no external file). */
#include "program.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int eval_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("maso-eval: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EVAL_EXIT_ERROR;
}

/* ---- tables ----------------------------------------------------------- */

int eval_table_init(eval_table *t, const char *title, size_t rows, size_t cols)
{
    memset(t, 0, sizeof *t);
    snprintf(t->title, sizeof t->title, "%s", title);
    t->n_rows = rows;
    t->n_cols = cols;
    t->digits = 3;
    t->row = calloc(rows ? rows : 1, sizeof *t->row);
    t->col = calloc(cols ? cols : 1, sizeof *t->col);
    size_t cells = rows * cols;
    t->cell = malloc((cells ? cells : 1) * sizeof *t->cell);
    if (!t->row || !t->col || !t->cell) {
        eval_table_free(t);
        return ENOMEM;
    }
    for (size_t i = 0; i < rows * cols; i++)
        t->cell[i] = NAN;
    return 0;
}

void eval_table_free(eval_table *t)
{
    free(t->row);
    free(t->col);
    free(t->cell);
    t->row = NULL;
    t->col = NULL;
    t->cell = NULL;
}

double *eval_table_at(eval_table *t, size_t r, size_t c)
{
    return &t->cell[r * t->n_cols + c];
}

static double cell(const eval_table *t, size_t r, size_t c)
{
    return t->cell[r * t->n_cols + c];
}

static void format_cell(char *buf, size_t len, const eval_table *t, double v)
{
    if (isnan(v))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.*f", t->digits, v);
}

void eval_table_print(FILE *out, const eval_table *t)
{
    size_t w0 = 5;
    for (size_t r = 0; r < t->n_rows; r++)
        w0 = strlen(t->row[r]) > w0 ? strlen(t->row[r]) : w0;
    fprintf(out, "%s\n", t->title);
    if (t->note[0])
        fprintf(out, "(%s)\n", t->note);
    fprintf(out, "%-*s", (int)w0, "");
    for (size_t c = 0; c < t->n_cols; c++)
        fprintf(out, "  %9s", t->col[c]);
    fputc('\n', out);
    for (size_t r = 0; r < t->n_rows; r++) {
        fprintf(out, "%-*s", (int)w0, t->row[r]);
        for (size_t c = 0; c < t->n_cols; c++) {
            char buf[32];
            format_cell(buf, sizeof buf, t, cell(t, r, c));
            fprintf(out, "  %9s", buf);
        }
        fputc('\n', out);
    }
    fputc('\n', out);
}

void eval_table_markdown(FILE *out, const eval_table *t)
{
    fprintf(out, "**%s**", t->title);
    if (t->note[0])
        fprintf(out, " (%s)", t->note);
    fputs("\n\n|", out);
    for (size_t c = 0; c < t->n_cols; c++)
        fprintf(out, " | %s", t->col[c]);
    fputs(" |\n|---", out);
    for (size_t c = 0; c < t->n_cols; c++)
        fputs("|---:", out);
    fputs("|\n", out);
    for (size_t r = 0; r < t->n_rows; r++) {
        fprintf(out, "| %s", t->row[r]);
        for (size_t c = 0; c < t->n_cols; c++) {
            char buf[32];
            format_cell(buf, sizeof buf, t, cell(t, r, c));
            fprintf(out, " | %s", buf);
        }
        fputs(" |\n", out);
    }
    fputc('\n', out);
}

static int close_file(FILE *f, const char *what, const char *path,
                      char err[MASO_CLI_ERRLEN])
{
    int e = ferror(f) ? EIO : 0;
    if (fclose(f) != 0 && !e)
        e = errno;
    if (e)
        snprintf(err, MASO_CLI_ERRLEN, "%s %s: %s", what, path, strerror(e));
    return e;
}

static FILE *open_file(const char *what, const char *path,
                       char err[MASO_CLI_ERRLEN])
{
    FILE *f = fopen(path, "w");
    if (!f)
        snprintf(err, MASO_CLI_ERRLEN, "%s %s: %s", what, path,
                 strerror(errno));
    return f;
}

int eval_report_markdown(const char *path, const char *note,
                         const eval_table *tables, size_t n_tables,
                         char err[MASO_CLI_ERRLEN])
{
    FILE *f = open_file("--markdown", path, err);
    if (!f)
        return errno ? errno : EIO;
    if (note && note[0])
        fprintf(f, "_%s_\n\n", note);
    for (size_t i = 0; i < n_tables; i++)
        eval_table_markdown(f, &tables[i]);
    return close_file(f, "--markdown", path, err);
}

/* ---- HTML ------------------------------------------------------------- */

static const char *const palette[] = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f",
};
#define PALETTE (sizeof palette / sizeof palette[0])

static void html_table(FILE *f, const eval_table *t)
{
    fputs("<table>\n<tr><th></th>", f);
    for (size_t c = 0; c < t->n_cols; c++) {
        fputs("<th>", f);
        maso_cli_html_escaped(f, t->col[c]);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (size_t r = 0; r < t->n_rows; r++) {
        fputs("<tr><th>", f);
        maso_cli_html_escaped(f, t->row[r]);
        fputs("</th>", f);
        for (size_t c = 0; c < t->n_cols; c++) {
            char buf[32];
            format_cell(buf, sizeof buf, t, cell(t, r, c));
            fprintf(f, "<td>%s</td>", buf);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* A horizontal bar per column of the table's last row (the summary). */
static void svg_bars(FILE *f, const eval_table *t)
{
    if (t->n_rows == 0 || t->n_cols == 0)
        return;
    size_t r = t->n_rows - 1;
    double top = 1.0;
    for (size_t c = 0; c < t->n_cols; c++)
        if (fabs(cell(t, r, c)) > top)
            top = fabs(cell(t, r, c));
    const int left = 110, width = 320, bar = 18, gap = 6;
    int height = (int)t->n_cols * (bar + gap) + 30;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
            "height=\"%d\" role=\"img\">\n", left + width + 70, height);
    fprintf(f, "<text x=\"%d\" y=\"12\" font-size=\"11\">", left);
    maso_cli_html_escaped(f, t->row[r]);
    fputs("</text>\n", f);
    for (size_t c = 0; c < t->n_cols; c++) {
        double v = cell(t, r, c);
        int y = 20 + (int)c * (bar + gap);
        double len = isnan(v) ? 0.0 : fabs(v) / top * width;
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" "
                "text-anchor=\"end\">", left - 6, y + bar - 5);
        maso_cli_html_escaped(f, t->col[c]);
        fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" "
                "height=\"%d\" fill=\"%s\"/>", left, y, len, bar,
                v < 0 ? "#555555" : palette[c % PALETTE]);
        char buf[32];
        format_cell(buf, sizeof buf, t, v);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\">%s</text>\n",
                left + len + 4, y + bar - 5, buf);
    }
    fputs("</svg>\n", f);
}

/* One small line plot per group: y against x = 1..n_x per series. */
static void svg_curves(FILE *f, const eval_curves *cv, size_t g)
{
    const int w = 260, h = 180, l = 40, b = 30, t = 22;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
            "height=\"%d\" role=\"img\">\n", w, h);
    fprintf(f, "<text x=\"%d\" y=\"14\" font-size=\"13\" "
            "font-weight=\"bold\">", l);
    maso_cli_html_escaped(f, cv->group[g]);
    fputs("</text>\n", f);
    int pw = w - l - 10, ph = h - t - b;
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
            "fill=\"none\" stroke=\"#999\"/>\n", l, t, pw, ph);
    for (size_t x = 0; x < cv->n_x; x++) {
        double px = l + (cv->n_x > 1 ? (double)x / (cv->n_x - 1) : 0.5) * pw;
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" "
                "text-anchor=\"middle\">%zu</text>\n", px, t + ph + 12, x + 1);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\">0</text>"
            "<text x=\"%d\" y=\"%d\" font-size=\"10\">1</text>\n",
            l - 12, t + ph, l - 12, t + 8);
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\">", l, h - 4);
    maso_cli_html_escaped(f, cv->x_label);
    fputs("</text>\n", f);
    for (size_t s = 0; s < cv->n_series; s++) {
        fprintf(f, "<polyline fill=\"none\" stroke-width=\"2\" "
                "stroke=\"%s\" points=\"", palette[s % PALETTE]);
        for (size_t x = 0; x < cv->n_x; x++) {
            double y = cv->y[(g * cv->n_series + s) * cv->n_x + x];
            if (isnan(y))
                continue;
            y = y < 0 ? 0 : y > 1 ? 1 : y;
            double px = l + (cv->n_x > 1 ? (double)x / (cv->n_x - 1) : 0.5)
                                * pw;
            fprintf(f, "%.1f,%.1f ", px, t + (1.0 - y) * ph);
        }
        fputs("\"/>\n", f);
    }
    fputs("</svg>\n", f);
}

static void html_legend(FILE *f, const eval_curves *cv)
{
    fputs("<p>", f);
    for (size_t s = 0; s < cv->n_series; s++) {
        fprintf(f, "<span style=\"color:%s\">&#9632; ", palette[s % PALETTE]);
        maso_cli_html_escaped(f, cv->series[s]);
        fputs("</span> &nbsp; ", f);
    }
    fputs("</p>\n", f);
}

int eval_report_html(const char *path, const char *title, const char *note,
                     const eval_table *tables, size_t n_tables,
                     const eval_curves *curves, char err[MASO_CLI_ERRLEN])
{
    FILE *f = open_file("--html", path, err);
    if (!f)
        return errno ? errno : EIO;
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
          "\n<title>", f);
    maso_cli_html_escaped(f, title);
    fputs("</title>\n<style>\nbody{font-family:sans-serif;margin:2em}\n"
          "table{border-collapse:collapse;margin:1em 0}\n"
          "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}\n"
          ".note{color:#a33;font-weight:bold}\nsvg{margin:4px}\n</style>\n"
          "</head>\n<body>\n<h1>", f);
    maso_cli_html_escaped(f, title);
    fputs("</h1>\n", f);
    if (note && note[0]) {
        fputs("<p class=\"note\">", f);
        maso_cli_html_escaped(f, note);
        fputs("</p>\n", f);
    }
    for (size_t i = 0; i < n_tables; i++) {
        fputs("<h2>", f);
        maso_cli_html_escaped(f, tables[i].title);
        fputs("</h2>\n", f);
        if (tables[i].note[0]) {
            fputs("<p>", f);
            maso_cli_html_escaped(f, tables[i].note);
            fputs("</p>\n", f);
        }
        html_table(f, &tables[i]);
        svg_bars(f, &tables[i]);
    }
    if (curves) {
        fputs("<h2>", f);
        maso_cli_html_escaped(f, curves->y_label);
        fputs("</h2>\n", f);
        html_legend(f, curves);
        fputs("<div>\n", f);
        for (size_t g = 0; g < curves->n_groups; g++)
            svg_curves(f, curves, g);
        fputs("</div>\n", f);
    }
    fputs("</body>\n</html>\n", f);
    return close_file(f, "--html", path, err);
}

int eval_emit(const eval_options *opt, const char *title, const char *note,
              const eval_table *tables, size_t n_tables,
              const eval_curves *curves)
{
    char err[MASO_CLI_ERRLEN];
    printf("%s\n", title);
    if (note && note[0])
        printf("%s\n", note);
    putchar('\n');
    for (size_t i = 0; i < n_tables; i++)
        eval_table_print(stdout, &tables[i]);
    fflush(stdout);
    if (opt->markdown &&
        eval_report_markdown(opt->markdown, note, tables, n_tables, err))
        return eval_fail("%s", err);
    if (opt->html && eval_report_html(opt->html, title, note, tables,
                                      n_tables, curves, err))
        return eval_fail("%s", err);
    return EVAL_EXIT_OK;
}
