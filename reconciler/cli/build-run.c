/* build-run.c: the output of berth build and release (build-run.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-run.h"
#include "cli.h"
#include "report/ci.h"
#include "util/fileio.h"
#include "yaml/emit.h"

extern char **environ;

typedef struct Shell {
        const CliBuild *b;
        CiKind ci;
} Shell;

static void on_line(void *ud, const BuildJob *j, const char *line)
{
        printf("image %s: %s\n", j->d->name, line);
        fflush(stdout); /* live, as the engine says it */
}

static void section_id(const BuildJob *j, char *buf, size_t size)
{
        snprintf(buf, size, "berth_build_%s", j->d->name);
}

static void on_start(void *ud, const BuildJob *j)
{
        const Shell *sh = ud;
        char id[80], title[96];
        section_id(j, id, sizeof(id));
        snprintf(title, sizeof(title), "berth: image %s", j->d->name);
        ci_section_start(stdout, sh->ci, id, title, true);
}

static void on_end(void *ud, const BuildJob *j)
{
        const Shell *sh = ud;
        char id[80], line[1600];
        section_id(j, id, sizeof(id));
        ci_section_end(stdout, sh->ci, id);
        if (j->ok)
                return;
        fflush(stdout); /* in order with what came before it */
        fprintf(stderr, "image %s: %s\n", j->d->name, error_format(&j->error, line, sizeof(line)));
        if (j->error.hint[0])
                fprintf(stderr, "hint: %s\n", j->error.hint);
}

/* The table of results and, with --report, the JSON report; false when an image failed or the report
 * could not be written. */
static bool summarize(const CliBuild *b, const BuildSet *s)
{
        bool ok = true;
        printf("\n%-22s %-22s %s\n", "IMAGE", "RESULT", "DURATION");
        for (size_t i = 0; i < s->n; i++)
                if (s->jobs[i].selected) {
                        printf("%-22s %-22s %.1fs\n", s->jobs[i].d->name,
                               build_job_result(&s->jobs[i], b->run.push), s->jobs[i].built.seconds);
                        ok &= s->jobs[i].ok;
                }
        if (!b->report)
                return ok;
        _cleanup_cjson_ cJSON *doc = build_set_report(s, &b->run);
        _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
        int r = emit_json(doc, 0, &out);
        if (r >= 0)
                r = file_replace_at(AT_FDCWD, b->report, strbuf_str(&out), out.len, 0644);
        if (r < 0) {
                fprintf(stderr, "%s: cannot write the report to \"%s\": %s\n", b->command, b->report,
                        strerror(-r));
                ok = false;
        }
        return ok;
}

int cli_build_run(const CliBuild *b)
{
        _cleanup_envmap_ EnvMap env;
        _cleanup_engine_ EngineClient *engine = NULL;
        BuildSet set = { 0 };
        BerthError err = { 0 };
        int r;

        envmap_init(&env);
        if (envmap_from_environ(&env, environ) < 0)
                return cli_report_error(NULL, -ENOMEM, b->command);
        if ((r = build_set_load(&b->run, &env, &set, &err)) == -ESRCH) {
                fprintf(stderr, "%s: %s\n", b->command, err.msg);
                return EXIT_USAGE;
        }
        if (r < 0)
                return cli_report_error(&err, r, b->command);
        printf("repo %s at %.12s: %zu of %zu images to %s%s\n", repo_identity(set.repo), set.head,
               set.selected, set.n, b->run.release ? "release" : "build",
               b->run.since ? " (changed since --since)" : "");
        if (b->run.release)
                printf("release %s: version %s\n", b->run.release, b->run.version);
        fflush(stdout);
        if (!set.selected || (r = cli_engine_connect(b->host, &engine)) == EXIT_DONE) {
                Shell sh = { .b = b, .ci = ci_detect(&env) };
                BuildEvents ev = { .line = on_line, .start = on_start, .end = on_end, .ud = &sh };
                build_set_run(&set, &b->run, engine, &env, &ev);
                r = summarize(b, &set) ? EXIT_DONE : EXIT_FAILED;
        }
        build_set_done(&set);
        return r;
}
