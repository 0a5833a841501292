/* cli.c: reporting helpers shared by the subcommands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_report_error(const BerthError *err, int r, const char *what)
{
        char line[2048];

        if (err && err->set) {
                fprintf(stderr, "%s\n", error_format(err, line, sizeof(line)));
                if (err->hint[0])
                        fprintf(stderr, "hint: %s\n", err->hint);
        } else
                fprintf(stderr, "%s: %s\n", what, strerror(r < 0 ? -r : r));
        return EXIT_FAILED;
}

void cli_warn(const char *fmt, ...)
{
        va_list ap;
        fputs("warning: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}
