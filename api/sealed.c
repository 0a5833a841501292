/* sealed.c: write-only options into the stack's SOPS .env (sealed.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sealed.h"
#include "secrets/rules.h"
#include "secrets/sops.h"
#include "util/strbuf.h"
#include "util/json.h"

#define SOPS_CONFIG ".sops.yaml"

static void wipe(cJSON *o)
{
        for (cJSON *c = o ? o->child : NULL; c; c = c->next)
                if (cJSON_IsString(c))
                        OPENSSL_cleanse(c->valuestring, strlen(c->valuestring));
        cJSON_Delete(o);
}

void sealed_done(Sealed *s)
{
        wipe(s->given);
        free(s->env);
        free(s->was);
        *s = (Sealed){ 0 };
}

int sealed_take(const Definition *d, cJSON *options, Sealed *s, Response *res)
{
        if (!(s->given = cJSON_CreateObject()))
                return api_problem(res, 500, "out of memory", NULL, "cannot read the options");
        for (size_t i = 0; i < d->n_write_only; i++) {
                const char *name = d->write_only[i].name;
                cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(options, name);
                if (!v)
                        continue;
                cJSON_AddItemToObject(s->given, name, v);
                /* One line: the value is one dotenv entry, and a control character in a password is
                 * far likelier a paste gone wrong than meant. */
                for (const unsigned char *p = (const unsigned char *)cJSON_GetStringValue(v); p && *p; p++)
                        if (*p < 0x20 || *p == 0x7f) {
                                char ptr[200];
                                snprintf(ptr, sizeof(ptr), "/options/%s", name);
                                return api_problem(res, 422, "invalid options", ptr,
                                                   "a write-only value is one line of text, without control "
                                                   "characters");
                        }
        }
        return 0;
}

/* The .env line for a value, in double quotes, which compose's dotenv reads back exactly: "\", """ and
 * "$" escaped, so that no part of a password is taken for a variable. */
static int env_line(StrBuf *out, const char *name, const char *value)
{
        int r = strbuf_addf(out, "%s=\"", name);
        for (const char *p = value; r >= 0 && *p; p++)
                r = *p == '\\' || *p == '"' || *p == '$' ? strbuf_addf(out, "\\%c", *p)
                                                         : strbuf_addch(out, *p);
        return r < 0 ? r : strbuf_addstr(out, "\"\n");
}

/* Whether the .env names (as "NAME=\n" lines) hold name. */
static bool names_hold(const char *names, const char *name)
{
        size_t n = strlen(name);
        for (const char *p = names; p && *p;) {
                const char *nl = strchrnul(p, '\n');
                if ((size_t)(nl - p) == n + 1 && strncmp(p, name, n) == 0)
                        return true;
                p = *nl ? nl + 1 : nl;
        }
        return false;
}

/* The recipients that .sops.yaml at head gives path; on a refusal fills res. */
static int recipients(Repo *repo, const char *head, const char *path, SopsRule *rule, Response *res)
{
        _cleanup_free_ char *cfg = NULL;
        size_t len = 0;
        BerthError err = { 0 };
        int r = head && head[0] ? repo_read(repo, head, SOPS_CONFIG, &cfg, &len, &err) : -ENOENT;
        if (r == -ENOENT)
                return api_problem(res, 422, "nowhere to encrypt to", NULL,
                                   "the config repo has no " SOPS_CONFIG
                                   ": write-only options are committed "
                                   "encrypted to the age recipients of its creation_rules; add one that "
                                   "matches %s",
                                   path);
        if (r < 0)
                return api_problem(res, 503, "cannot read the config repo", NULL, "%s", err.msg);
        r = sops_rule_find(cfg, len, SOPS_CONFIG, path, NULL, rule, &err);
        if (r == -ENOMEM)
                return api_problem(res, 500, "out of memory", NULL, "cannot read " SOPS_CONFIG);
        if (r < 0) {
                char line[1400];
                return api_problem(res, 422, "nowhere to encrypt to", NULL, "%s",
                                   error_format(&err, line, sizeof(line)));
        }
        /* Every value encrypted, whatever the rule's encrypted_regex or suffixes would leave in clear
         * (a rule written for other files): a write-only value is never in git as it is. */
        rule->o.encrypted_regex = rule->o.unencrypted_regex = NULL;
        rule->o.encrypted_suffix = rule->o.unencrypted_suffix = NULL;
        rule->o.mac_only_encrypted = false;
        return 0;
}

int sealed_seal(Repo *repo, const char *head, const char *stack, const Definition *d, Sealed *s,
                Response *res)
{
        _cleanup_strbuf_ StrBuf names = STRBUF_INIT;
        char path[300], ptr[200];
        snprintf(path, sizeof(path), "stacks/%s/.env", stack);
        int r = head && head[0] ? repo_read(repo, head, path, &s->was, &s->was_len, NULL) : -ENOENT;
        if (r < 0 && r != -ENOENT)
                return api_problem(res, 503, "cannot read the config repo", NULL, "cannot read %s", path);
        if (s->was && !sops_maybe(SOPS_DOTENV, s->was, s->was_len)) {
                /* Someone's own .env: nothing berth-api may replace. */
                if (s->given && s->given->child)
                        return api_problem(res, 409, "a plain .env is in the way", NULL,
                                           "%s is not a SOPS file: berth-api writes write-only options "
                                           "there encrypted and would replace it; move its entries first",
                                           path);
        } else if (s->was && sops_dotenv_names(s->was, s->was_len, &names) < 0)
                return api_problem(res, 500, "out of memory", NULL, "cannot read %s", path);
        const char *had = strbuf_str(&names);
        bool giving = s->given && s->given->child;
        for (size_t i = 0; i < d->n_write_only; i++) {
                const WriteOnly *w = &d->write_only[i];
                snprintf(ptr, sizeof(ptr), "/options/%s", w->name);
                bool given = cJSON_GetObjectItemCaseSensitive(s->given, w->name) != NULL;
                if (w->required && !given && !names_hold(had, w->name))
                        return api_problem(res, 422, "invalid options", ptr,
                                           "is required (a write-only option, and the stack has no value "
                                           "for it yet)");
                /* A new .env replaces the whole file, and the old values cannot be read to carry over. */
                if (giving && !given && names_hold(had, w->name))
                        return api_problem(res, 422, "invalid options", ptr,
                                           "give it again: a new value for a write-only option replaces "
                                           "the stack's encrypted .env, and berth-api cannot read the "
                                           "value stored there");
        }
        if (!giving)
                return 0;
        /* A name the file holds that is no write-only option would be lost the same way. */
        for (const char *p = had; *p;) {
                const char *eq = strchr(p, '=');
                char name[128];
                snprintf(name, sizeof(name), "%.*s", (int)(eq ? (size_t)(eq - p) : 0), p);
                if (name[0] && !definition_write_only(d, name))
                        return api_problem(
                                res, 409, "the .env holds more", NULL,
                                "%s sets %s, which is not a write-only option of \"%s\": berth-api "
                                "cannot re-encrypt a value it cannot read; move it (berth secrets "
                                "edit) first",
                                path, name, d->name);
                p = strchrnul(p, '\n');
                p += *p != '\0';
        }
        _cleanup_(sops_rule_done) SopsRule rule = { 0 };
        if ((r = recipients(repo, head, path, &rule, res)))
                return r;
        StrBuf plain = STRBUF_INIT;
        for (const cJSON *c = s->given->child; c && r >= 0; c = c->next)
                r = env_line(&plain, c->string, c->valuestring);
        BerthError err = { 0 };
        if (r >= 0)
                r = sops_encrypt(SOPS_DOTENV, plain.buf, plain.len, path, &rule.o, &s->env, &s->env_len,
                                 &err);
        if (plain.buf)
                OPENSSL_cleanse(plain.buf, plain.len);
        strbuf_done(&plain);
        if (r == -ENOMEM)
                return api_problem(res, 500, "out of memory", NULL, "cannot encrypt");
        if (r < 0)
                return api_problem(res, 422, "cannot encrypt", NULL, "%s", err.msg);
        return 0;
}

bool sealed_current(const Sealed *s, Repo *repo, const char *head, const char *stack)
{
        _cleanup_free_ char *now = NULL;
        size_t len = 0;
        char path[300];
        snprintf(path, sizeof(path), "stacks/%s/.env", stack);
        if (repo_read(repo, head, path, &now, &len, NULL) < 0)
                return !s->was;
        return s->was && len == s->was_len && memcmp(now, s->was, len) == 0;
}

cJSON *sealed_names(Repo *repo, const char *head, const char *dir)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_strbuf_ StrBuf names = STRBUF_INIT;
        size_t len = 0;
        char path[300];
        snprintf(path, sizeof(path), "%s/.env", dir);
        if (repo_read(repo, head, path, &buf, &len, NULL) < 0 || !sops_maybe(SOPS_DOTENV, buf, len) ||
            sops_dotenv_names(buf, len, &names) < 0 || !names.len)
                return NULL;
        cJSON *list = cJSON_CreateArray();
        for (const char *p = strbuf_str(&names); list && *p;) {
                const char *eq = strchrnul(p, '=');
                _cleanup_free_ char *n = strndup(p, (size_t)(eq - p));
                if (n)
                        json_append(list, cJSON_CreateString(n));
                p = strchrnul(p, '\n');
                p += *p != '\0';
        }
        return list;
}

void sealed_given_names(const Sealed *s, char *out, size_t size)
{
        size_t n = 0;
        out[0] = '\0';
        for (const cJSON *c = s->given ? s->given->child : NULL; c && n < size; c = c->next)
                n += (size_t)snprintf(out + n, size - n, "%s%s", n ? ", " : "", c->string);
}
