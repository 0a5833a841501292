/* record.c: a stack's deploy record as a labelled, empty volume (record.h says why). */
#include <errno.h>
#include <stdio.h>

#include "record.h"
#include "../util/json.h"
#include "../util/strbuf.h"

static void record_name(const char *project, char *buf, size_t size)
{
        snprintf(buf, size, "berth-record.%s", project);
}

int record_remove(EngineClient *c, const char *project, BerthError *err)
{
        _cleanup_strbuf_ StrBuf path = STRBUF_INIT;
        char name[300];
        int r;
        record_name(project, name, sizeof(name));
        if (strbuf_addstr(&path, "/volumes/") < 0 || (r = engine_escape(name, &path)) < 0)
                return -ENOMEM;
        /* Its own error slot: a record that is not there is the usual case, not the stack's error. */
        BerthError e = { 0 };
        r = engine_call(c, "DELETE", strbuf_str(&path), NULL, "remove the stack's deploy record", 0, NULL,
                        NULL, &e);
        if (r == -ENOENT)
                return 0;
        if (r < 0 && err)
                *err = e;
        return r;
}

int record_write(EngineClient *c, const char *project, const DeployIdentity *id, BerthError *err)
{
        _cleanup_cjson_ cJSON *body = cJSON_CreateObject();
        char name[300], num[16];
        int r;
        if ((r = record_remove(c, project, err)) < 0)
                return r;
        record_name(project, name, sizeof(name));
        snprintf(num, sizeof(num), "%u", id->containers);
        cJSON *labels = cJSON_AddObjectToObject(body, "Labels");
        if (!cJSON_AddStringToObject(body, "Name", name) || !labels ||
            !cJSON_AddStringToObject(labels, LABEL_DEPLOY_RECORD, "true") ||
            !cJSON_AddStringToObject(labels, LABEL_STACK, project) ||
            !cJSON_AddStringToObject(labels, LABEL_REPO, id->repo ? id->repo : "local") ||
            (id->commit && !cJSON_AddStringToObject(labels, LABEL_COMMIT, id->commit)) ||
            !cJSON_AddStringToObject(labels, LABEL_CONTAINERS, num))
                return -ENOMEM;
        return engine_call(c, "POST", "/volumes/create", body, "write the stack's deploy record", 0, NULL,
                           NULL, err);
}
