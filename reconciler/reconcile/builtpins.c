/* builtpins.c: a commit's stacks run the images that commit's descriptors built. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../deploy/ops.h"
#include "../image/image.h"
#include "builtpins.h"
#include "settings.h"

/* ref:tag split at the tag's colon (after the last '/'); no tag is "latest". Digests are not tags. */
static bool split_ref(const char *image, char *ref, size_t ref_size, const char **tag)
{
        if (strchr(image, '@'))
                return false;
        const char *slash = strrchr(image, '/');
        const char *colon = strrchr(slash ? slash : image, ':');
        size_t n = colon ? (size_t)(colon - image) : strlen(image);
        if (n >= ref_size)
                return false;
        memcpy(ref, image, n);
        ref[n] = '\0';
        *tag = colon ? colon + 1 : "latest";
        return true;
}

static bool has_tag(const ImageSpec *s, const char *tag)
{
        for (size_t i = 0; i < s->n_tags; i++)
                if (strcmp(s->tags[i], tag) == 0)
                        return true;
        return false;
}

int built_pins(EngineClient *c, Repo *repo, const char *commit, const EnvMap *env, const Project *p,
               cJSON **ret)
{
        _cleanup_free_ char *registry = NULL;
        _cleanup_envmap_ EnvMap image_env;
        ImageList images = { 0 };
        BerthError err = { 0 };
        cJSON *pins = NULL;
        char short_id[9];
        char *extra[] = { short_id, "latest", NULL };
        int r;

        *ret = NULL;
        envmap_init(&image_env);
        snprintf(short_id, sizeof(short_id), "%.8s", commit);
        if (repo_images(repo, commit, &images, NULL, NULL, &err) < 0 || images.n == 0 ||
            settings_registry(repo, commit, env, &registry, &err) < 0 ||
            settings_image_env(repo, commit, env, &image_env, &err) < 0) {
                image_list_done(&images);
                return 0;
        }
        for (const cJSON *s = cJSON_GetObjectItemCaseSensitive(p->model, "services")->child; s;
             s = s->next) {
                const char *image = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "image"));
                char ref[512], hash[65];
                const char *tag;
                if (!image || !split_ref(image, ref, sizeof(ref), &tag))
                        continue;
                for (size_t i = 0; i < images.n; i++) {
                        ImageSpec spec = { 0 };
                        BuiltImage built = { { 0 } };
                        BerthError e = { 0 };
                        bool ours = image_load(repo, commit, &images.items[i], &image_env, registry, true,
                                               extra, &spec, &e) >= 0 &&
                                    strcmp(spec.reference, ref) == 0 && has_tag(&spec, tag);
                        bool found = ours &&
                                     context_hash(repo, commit, spec.context, spec.dockerfile, spec.target,
                                                  spec.build_args, hash, &e) >= 0 &&
                                     image_find_built(c, hash, &built, &e) > 0;
                        image_spec_done(&spec);
                        if (!ours)
                                continue;
                        _cleanup_free_ char *built_id = NULL, *built_digest = NULL, *now_id = NULL,
                                            *now_digest = NULL;
                        /* The tag still names what this commit built: nothing to pin. */
                        if (!found || ops_image(c, built.id, ref, &built_id, &built_digest, &e) < 0 ||
                            (ops_image(c, image, ref, &now_id, &now_digest, &e) >= 0 &&
                             strcmp(now_id, built_id) == 0))
                                break;
                        if (!pins && !(pins = cJSON_CreateObject())) {
                                r = -ENOMEM;
                                goto out;
                        }
                        cJSON_AddStringToObject(pins, s->string, built_digest ? built_digest : built_id);
                        break;
                }
        }
        r = 0;
out:
        image_list_done(&images);
        if (r < 0)
                cJSON_Delete(pins);
        else
                *ret = pins;
        return r;
}
