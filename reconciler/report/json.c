/* json.c: the reconcile report as JSON. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

#include "../util/fileio.h"
#include "../util/strbuf.h"
#include "../yaml/emit.h"
#include "json.h"

cJSON *report_json(const ReconcilePlan *const *plans, size_t n)
{
        cJSON *doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "commit", n ? plans[0]->head : "");
        cJSON_AddStringToObject(doc, "repo", n && plans[0]->repo_identity ? plans[0]->repo_identity : "");
        cJSON *stacks = cJSON_AddArrayToObject(doc, "stacks");
        for (size_t p = 0; p < n; p++)
                for (size_t i = 0; i < plans[p]->n; i++) {
                        const StackPlan *s = &plans[p]->stacks[i];
                        cJSON *o = cJSON_CreateObject();
                        char line[1200];
                        cJSON_AddStringToObject(o, "stack", s->name);
                        if (plans[p]->target)
                                cJSON_AddStringToObject(o, "target", plans[p]->target);
                        cJSON_AddStringToObject(o, "engine", plans[p]->engine);
                        cJSON_AddStringToObject(o, "action", stack_verdict_name(s->verdict));
                        cJSON_AddStringToObject(o, "reason", s->reason);
                        if (s->deployed[0])
                                cJSON_AddStringToObject(o, "deployed_commit", s->deployed);
                        if (s->n_after) {
                                cJSON *after = cJSON_AddArrayToObject(o, "after");
                                for (size_t k = 0; k < s->n_after; k++)
                                        cJSON_AddItemToArray(
                                                after,
                                                cJSON_CreateString(plans[p]->stacks[s->after[k]].name));
                        }
                        if (s->error.set)
                                cJSON_AddStringToObject(o, "error",
                                                        error_format(&s->error, line, sizeof(line)));
                        if (s->rollback_error.set)
                                cJSON_AddStringToObject(
                                        o, "rollback_error",
                                        error_format(&s->rollback_error, line, sizeof(line)));
                        cJSON_AddStringToObject(o, "result", stack_result_name(s));
                        if (s->applied)
                                cJSON_AddNumberToObject(o, "seconds", s->seconds);
                        cJSON *svc = cJSON_AddArrayToObject(o, "services");
                        for (size_t k = 0; k < s->result.plan.n; k++) {
                                const Action *a = &s->result.plan.actions[k];
                                cJSON *x = cJSON_CreateObject();
                                cJSON_AddStringToObject(x, "service", a->service);
                                cJSON_AddStringToObject(x, "container", a->container_name);
                                cJSON_AddStringToObject(x, "action", action_kind_name(a->kind));
                                cJSON_AddStringToObject(x, "reason", a->reason);
                                cJSON_AddItemToArray(svc, x);
                        }
                        cJSON_AddItemToArray(stacks, o);
                }
        return doc;
}

static int report_text(const ReconcilePlan *const *plans, size_t n, StrBuf *out)
{
        _cleanup_cjson_ cJSON *doc = report_json(plans, n);
        return doc ? emit_json(doc, 0, out) : -ENOMEM;
}

int report_json_print(FILE *f, const ReconcilePlan *const *plans, size_t n)
{
        _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
        int r = report_text(plans, n, &out);
        if (r >= 0 && fwrite(strbuf_str(&out), 1, out.len, f) != out.len)
                r = -EIO;
        return r;
}

int report_json_write(const char *path, const ReconcilePlan *const *plans, size_t n)
{
        _cleanup_strbuf_ StrBuf out = STRBUF_INIT;
        int r = report_text(plans, n, &out);
        return r < 0 ? r : file_replace_at(AT_FDCWD, path, strbuf_str(&out), out.len, 0644);
}
