/* gitrepo.h: a scratch git repo for the unit tests that read commits (built with git(1), read back
 * through berth's repo layer). */
#pragma once

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Runs a shell command in dir; returns its output without the trailing newlines (to be freed). */
static inline __attribute__((format(printf, 2, 3))) char *repo_sh(const char *dir, const char *fmt, ...)
{
        char cmd[2048], full[2400], *out = calloc(1, 8192);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        snprintf(full, sizeof(full), "cd %s && (%s)", dir, cmd);
        FILE *f = popen(full, "r");
        size_t n = f ? fread(out, 1, 8191, f) : 0;
        if (f)
                pclose(f);
        while (n > 0 && out[n - 1] == '\n')
                out[--n] = '\0';
        return out;
}

static inline void repo_commit(const char *dir, const char *what)
{
        free(repo_sh(dir, "git add -A && git -c user.name=t -c user.email=t@t commit -qm '%s' --allow-empty",
                     what));
}

/* The commit id of rev (git rev-parse). */
static inline void repo_rev(const char *dir, const char *rev, char ret[41])
{
        char *s = repo_sh(dir, "git rev-parse %s", rev);
        snprintf(ret, 41, "%s", s);
        free(s);
}
