/* builtpins.c: a commit's stacks run the images that commit's descriptors built. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../registry/digest.h"
#include "../deploy/ops.h"
#include "../image/image.h"
#include "builtpins.h"
#include "settings.h"

/* ref:tag split at the tag's colon; no tag is "latest". Digests are not tags. */
static bool split_ref(const char *image, char *ref, size_t ref_size, const char **tag)
{
        if (strchr(image, '@'))
                return false;
        size_t n = registry_repository_len(image);
        if (n >= ref_size)
                return false;
        memcpy(ref, image, n);
        ref[n] = '\0';
        *tag = image[n] == ':' ? image + n + 1 : "latest";
        return true;
}

static bool has_tag(const ImageSpec *s, const char *tag)
{
        for (size_t i = 0; i < s->n_tags; i++)
                if (strcmp(s->tags[i], tag) == 0)
                        return true;
        return false;
}

struct BuiltImages {
        Repo *repo;
        char commit[41];
        ImageSpec *specs; /* one per loadable descriptor */
        size_t n;
        BuiltImage *built; /* what the engine has of each: id "" when none (looked up once) */
        bool *looked_up;
};

BuiltImages *built_images_free(BuiltImages *b)
{
        if (!b)
                return NULL;
        for (size_t i = 0; i < b->n; i++)
                image_spec_done(&b->specs[i]);
        free(b->specs);
        free(b->built);
        free(b->looked_up);
        free(b);
        return NULL;
}

BuiltImages *built_images_new(Repo *repo, const Settings *s, const EnvMap *env)
{
        const char *commit = s->commit;
        _cleanup_free_ char *registry = NULL;
        _cleanup_envmap_ EnvMap image_env;
        ImageList images = { 0 };
        BerthError err = { 0 };
        char short_id[9];
        char *extra[] = { short_id, "latest", NULL };
        BuiltImages *b = NULL;

        envmap_init(&image_env);
        snprintf(short_id, sizeof(short_id), "%.8s", commit);
        if (settings_images(s, repo, &images, &err) < 0 || images.n == 0 ||
            settings_registry(s, env, &registry, &err) < 0 || settings_image_env(s, env, &image_env) < 0 ||
            !(b = calloc(1, sizeof(*b))) || !(b->specs = calloc(images.n, sizeof(ImageSpec))) ||
            !(b->built = calloc(images.n, sizeof(BuiltImage))) ||
            !(b->looked_up = calloc(images.n, sizeof(bool)))) {
                image_list_done(&images);
                return built_images_free(b);
        }
        b->repo = repo;
        snprintf(b->commit, sizeof(b->commit), "%s", commit);
        for (size_t i = 0; i < images.n; i++) {
                BerthError e = { 0 };
                if (image_load(repo, commit, &images.items[i], &image_env, registry, true, extra,
                               &b->specs[b->n], &e) >= 0)
                        b->n++;
        }
        image_list_done(&images);
        return b;
}

/* The engine's image of descriptor i's build at the commit, or NULL. */
static const BuiltImage *built_of(EngineClient *c, BuiltImages *b, size_t i)
{
        if (!b->looked_up[i]) {
                const ImageSpec *s = &b->specs[i];
                BerthError e = { 0 };
                char hash[65];
                b->looked_up[i] = true;
                if (context_hash(b->repo, b->commit, s->context, s->dockerfile, s->target, s->build_args,
                                 hash, &e) < 0 ||
                    image_find_built(c, hash, &b->built[i], &e) <= 0)
                        b->built[i].id[0] = '\0';
        }
        return b->built[i].id[0] ? &b->built[i] : NULL;
}

int built_pins(EngineClient *c, BuiltImages *b, const Project *p, cJSON **ret)
{
        cJSON *pins = NULL;

        *ret = NULL;
        if (!b)
                return 0;
        for (const cJSON *s = cJSON_GetObjectItemCaseSensitive(p->model, "services")->child; s;
             s = s->next) {
                const char *image = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "image"));
                char ref[512];
                const char *tag;
                if (!image || !split_ref(image, ref, sizeof(ref), &tag))
                        continue;
                for (size_t i = 0; i < b->n; i++) {
                        if (strcmp(b->specs[i].reference, ref) != 0 || !has_tag(&b->specs[i], tag))
                                continue;
                        const BuiltImage *built = built_of(c, b, i);
                        _cleanup_free_ char *built_id = NULL, *built_digest = NULL, *now_id = NULL,
                                            *now_digest = NULL;
                        BerthError e = { 0 };
                        /* The tag still names what this commit built: nothing to pin. */
                        if (!built || ops_image(c, built->id, ref, &built_id, &built_digest, &e) < 0 ||
                            (ops_image(c, image, ref, &now_id, &now_digest, &e) >= 0 &&
                             strcmp(now_id, built_id) == 0))
                                break;
                        if (!pins && !(pins = cJSON_CreateObject()))
                                return -ENOMEM;
                        cJSON_AddStringToObject(pins, s->string, built_digest ? built_digest : built_id);
                        break;
                }
        }
        *ret = pins;
        return 0;
}
