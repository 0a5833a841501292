/* sections.c: per-stack buffers, printed whole under one lock. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/strbuf.h"
#include "sections.h"

/* Targets apply at once, each with its own Sections, into one stream. */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static bool counter_shown;

struct Sections {
        FILE *f;
        CiKind ci;
        bool counter;
        const ReconcilePlan *plan;
        StrBuf *lines; /* one per stack of the plan */
};

int sections_new(FILE *f, CiKind ci, bool counter, const ReconcilePlan *plan, Sections **ret)
{
        Sections *s = calloc(1, sizeof(Sections));
        if (!s || !(s->lines = calloc(plan->n ? plan->n : 1, sizeof(StrBuf)))) {
                free(s);
                return -ENOMEM;
        }
        for (size_t i = 0; i < plan->n; i++)
                strbuf_init(&s->lines[i], 1024 * 1024);
        *s = (Sections){ .f = f, .ci = ci, .counter = counter, .plan = plan, .lines = s->lines };
        *ret = s;
        return 0;
}

Sections *sections_free(Sections *s)
{
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->plan->n; i++)
                strbuf_done(&s->lines[i]);
        free(s->lines);
        free(s);
        return NULL;
}

static StrBuf *lines_of(Sections *s, const char *stack)
{
        for (size_t i = 0; i < s->plan->n; i++)
                if (strcmp(s->plan->stacks[i].name, stack) == 0)
                        return &s->lines[i];
        return NULL;
}

void sections_progress(Sections *s, const char *stack, const Action *a, const char *phase, const char *error)
{
        StrBuf *b = lines_of(s, stack);
        if (!b || strcmp(phase, "begin") == 0)
                return;
        strbuf_addf(b, "  %s: %-9s %s: %s\n", stack, action_kind_name(a->kind), a->container_name,
                    error ? error : "done");
}

static void counter_clear(FILE *f)
{
        if (counter_shown)
                fputs("\r\033[K", f);
        counter_shown = false;
}

void sections_print_plan(FILE *f, CiKind ci, const ReconcilePlan *plan)
{
        const char *t = plan->target;
        char id[80], title[96];
        char *text = NULL;
        size_t len = 0;
        /* Made whole first, then written under the lock: targets plan side by side. */
        FILE *m = open_memstream(&text, &len);
        if (!m)
                return;
        snprintf(id, sizeof(id), "berth_plan%s%s", t ? "_" : "", t ? t : "");
        snprintf(title, sizeof(title), "berth: plan%s%s", t ? ", target " : "", t ? t : "");
        ci_section_start(m, ci, id, title, true);
        ci_print_plan(m, ci, plan);
        ci_section_end(m, ci, id);
        fclose(m);
        pthread_mutex_lock(&out_lock);
        counter_clear(f);
        fputs(text, f);
        fflush(f);
        pthread_mutex_unlock(&out_lock);
        free(text);
}

void sections_finished(Sections *s, const StackPlan *sp, size_t done, size_t total, size_t failed)
{
        StrBuf *b = lines_of(s, sp->name);
        char id[200], title[300], line[1200];
        const char *t = s->plan->target;
        snprintf(id, sizeof(id), "berth_stack_%s%s%s", t ? t : "", t ? "_" : "", sp->name);
        snprintf(title, sizeof(title), "berth: stack %s%s%s: %s %s, %.1fs", sp->name, t ? " on " : "",
                 t ? t : "", stack_verdict_name(sp->verdict), stack_result_name(sp), sp->seconds);
        pthread_mutex_lock(&out_lock);
        counter_clear(s->f);
        ci_section_start(s->f, s->ci, id, title, sp->ok);
        if (b && b->len)
                fputs(strbuf_str(b), s->f);
        if (!sp->ok && sp->error.set) {
                fprintf(s->f, "  %s: %s\n", sp->name, error_format(&sp->error, line, sizeof(line)));
                if (sp->error.hint[0])
                        fprintf(s->f, "  %s: hint: %s\n", sp->name, sp->error.hint);
        }
        if (sp->rollback_error.set)
                fprintf(s->f, "  %s: the rollback failed too: %s\n", sp->name,
                        error_format(&sp->rollback_error, line, sizeof(line)));
        ci_section_end(s->f, s->ci, id);
        if (b)
                strbuf_reset(b);
        if (s->counter) {
                fprintf(s->f, "%s%s%zu/%zu stacks, %zu failed", t ? t : "", t ? ": " : "", done, total,
                        failed);
                counter_shown = true;
        }
        fflush(s->f);
        pthread_mutex_unlock(&out_lock);
}

void sections_end(Sections *s)
{
        pthread_mutex_lock(&out_lock);
        counter_clear(s->f);
        fflush(s->f);
        pthread_mutex_unlock(&out_lock);
}
