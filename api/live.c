/* live.c: one engine client, made when first needed, cloned for each request's thread. */
#include <stdio.h>
#include <string.h>

#include "live.h"

void live_init(Live *l, const char *host, const EnvMap *env)
{
        BerthError err = { 0 };
        memset(l, 0, sizeof(*l));
        pthread_mutex_init(&l->lock, NULL);
        if (engine_config_from_env(&l->cfg, env, host, &err) < 0)
                snprintf(l->why, sizeof(l->why), "no engine: %s", err.msg);
        else
                l->configured = true;
}

void live_fini(Live *l)
{
        engine_client_free(l->client);
        if (l->configured)
                engine_config_done(&l->cfg);
        pthread_mutex_destroy(&l->lock);
}

EngineClient *live_client(Live *l, char *why, size_t size)
{
        EngineClient *c = NULL;
        BerthError err = { 0 };
        if (!l->configured) {
                snprintf(why, size, "%s", l->why);
                return NULL;
        }
        pthread_mutex_lock(&l->lock);
        /* Made again after a failure: an engine that was down at start may be up now. */
        if (!l->client && engine_client_new(&l->cfg, &l->client, &err) < 0)
                snprintf(why, size, "the engine does not answer: %s", err.msg);
        else if (engine_client_clone(l->client, &c, &err) < 0)
                snprintf(why, size, "the engine does not answer: %s", err.msg);
        pthread_mutex_unlock(&l->lock);
        return c;
}
