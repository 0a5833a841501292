/* emit.c: YAML and JSON output of a model. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <yaml.h>

#include "emit.h"
#include "../util/json.h"

static int write_cb(void *data, unsigned char *buffer, size_t size)
{
        return strbuf_add(data, buffer, size) == 0;
}

static bool plain_would_change_type(const char *s)
{
        /* Every special word and number starts with one of these; most strings are out at once. */
        if (*s && !strchr("~nNtTfFyYoO.+-0123456789", *s) && !strchr(s, ':'))
                return false;
        static const char *const words[] = {
                "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", ".inf",
                ".nan", "-.inf", "+.inf",
                /* YAML 1.1 readers (PyYAML, docker-compose 1.x) take these as booleans */
                "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n",
                "N"
        };
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (strcmp(s, words[i]) == 0)
                        return true;
        /* YAML 1.1 reads 2024-03-25 (and with a time after it) as a timestamp. */
        if (strlen(s) >= 8 && strspn(s, "0123456789") == 4 && s[4] == '-' && s[5] >= '0' && s[5] <= '9')
                return true;
        /* YAML 1.1 reads "80:80" as a base-60 integer. */
        if (strchr(s, ':') && strspn(s, "0123456789:.") == strlen(s))
                return true;
        const char *p = s;
        if (*p == '-' || *p == '+')
                p++;
        if (!*p)
                return false;
        /* Anything that starts like a number and has only number characters could resolve as one. */
        return strspn(p, "0123456789.eExXoOabcdefABCDEF_+-") == strlen(p) &&
               ((*p >= '0' && *p <= '9') || *p == '.');
}

static int emit_scalar(yaml_emitter_t *e, const char *value, bool force_quote, unsigned flags)
{
        yaml_event_t ev;
        yaml_scalar_style_t style = force_quote ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE;
        if ((flags & EMIT_LITERAL_BLOCKS) && strchr(value, '\n'))
                style = YAML_LITERAL_SCALAR_STYLE;
        if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)value, (int)strlen(value),
                                          !force_quote, 1, style))
                return -ENOMEM;
        return yaml_emitter_emit(e, &ev) ? 0 : -EIO;
}

/* Doubles every "$" in string values below node, in place. Depth is bounded by the loader's limit. */
static int escape_dollars(cJSON *node)
{
        if (cJSON_IsString(node) && strchr(node->valuestring, '$')) {
                StrBuf sb = STRBUF_INIT;
                for (const char *p = node->valuestring; *p; p++)
                        if (strbuf_addch(&sb, *p) < 0 || (*p == '$' && strbuf_addch(&sb, '$') < 0)) {
                                strbuf_done(&sb);
                                return -ENOMEM;
                        }
                free(node->valuestring);
                node->valuestring = strbuf_detach(&sb);
                return node->valuestring ? 0 : -ENOMEM;
        }
        for (cJSON *ch = node->child; ch; ch = ch->next) {
                int r = escape_dollars(ch);
                if (r < 0)
                        return r;
        }
        return 0;
}

static cJSON *escaped_copy(const cJSON *node)
{
        cJSON *c = cJSON_Duplicate(node, 1);
        if (c && escape_dollars(c) < 0) {
                cJSON_Delete(c);
                return NULL;
        }
        return c;
}

static int emit_node(yaml_emitter_t *e, const cJSON *n, unsigned flags)
{
        yaml_event_t ev;
        char buf[64];
        int r;

        if (cJSON_IsObject(n)) {
                if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
                    !yaml_emitter_emit(e, &ev))
                        return -EIO;
                for (const cJSON *c = n->child; c; c = c->next) {
                        /* A plain "<<" key is a merge key; a "<<" that was quoted stays a string. */
                        bool quote = plain_would_change_type(c->string) || strcmp(c->string, "<<") == 0;
                        if ((r = emit_scalar(e, c->string, quote, flags)) < 0 ||
                            (r = emit_node(e, c, flags)) < 0)
                                return r;
                }
                if (!yaml_mapping_end_event_initialize(&ev) || !yaml_emitter_emit(e, &ev))
                        return -EIO;
                return 0;
        }
        if (cJSON_IsArray(n)) {
                if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
                    !yaml_emitter_emit(e, &ev))
                        return -EIO;
                for (const cJSON *c = n->child; c; c = c->next)
                        if ((r = emit_node(e, c, flags)) < 0)
                                return r;
                if (!yaml_sequence_end_event_initialize(&ev) || !yaml_emitter_emit(e, &ev))
                        return -EIO;
                return 0;
        }
        if (cJSON_IsString(n))
                return emit_scalar(e, n->valuestring, plain_would_change_type(n->valuestring), flags);
        if (cJSON_IsNumber(n)) {
                if (n->valuestring)
                        return emit_scalar(e, n->valuestring, false, flags);
                snprintf(buf, sizeof(buf), "%.17g", n->valuedouble);
                return emit_scalar(e, buf, false, flags);
        }
        if (cJSON_IsBool(n))
                return emit_scalar(e, cJSON_IsTrue(n) ? "true" : "false", false, flags);
        return emit_scalar(e, "null", false, flags);
}

int emit_yaml(const cJSON *node, unsigned flags, StrBuf *out)
{
        _cleanup_cjson_ cJSON *copy = NULL;
        yaml_emitter_t e;
        yaml_event_t ev;
        int r = -EIO;

        if (json_failures())
                return -ENOMEM; /* the tree may have lost a part (json.h) */
        if (flags & EMIT_ESCAPE_DOLLAR) {
                if (!(copy = escaped_copy(node)))
                        return -ENOMEM;
                node = copy;
        }
        if (!yaml_emitter_initialize(&e))
                return -ENOMEM;
        yaml_emitter_set_output(&e, write_cb, out);
        yaml_emitter_set_unicode(&e, 1);
        yaml_emitter_set_width(&e, -1);
        yaml_emitter_set_indent(&e, 2);
        if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || !yaml_emitter_emit(&e, &ev))
                goto out;
        if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) || !yaml_emitter_emit(&e, &ev))
                goto out;
        if ((r = emit_node(&e, node, flags)) < 0)
                goto out;
        r = -EIO;
        if (!yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(&e, &ev))
                goto out;
        if (!yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(&e, &ev))
                goto out;
        r = yaml_emitter_flush(&e) ? 0 : -EIO;
out:
        yaml_emitter_delete(&e);
        return r;
}

int emit_json(const cJSON *node, unsigned flags, StrBuf *out)
{
        _cleanup_cjson_ cJSON *copy = (flags & EMIT_ESCAPE_DOLLAR) ? escaped_copy(node) : NULL;
        if ((flags & EMIT_ESCAPE_DOLLAR) && !copy)
                return -ENOMEM;
        _cleanup_free_ char *text = json_print(copy ? copy : node, true);
        int r = 0;

        if (!text)
                return -ENOMEM;
        /* cJSON indents with tabs and puts one after each ':'; a raw tab cannot be inside a string, since
         * strings escape it, so each one is layout. */
        for (const char *p = text; *p && r >= 0; p++) {
                if (*p != '\t')
                        r = strbuf_addch(out, *p);
                else
                        r = p > text && p[-1] == ':' ? strbuf_addch(out, ' ') : strbuf_add(out, "  ", 2);
        }
        if (r >= 0)
                r = strbuf_addch(out, '\n');
        return r;
}
