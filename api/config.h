/* config.h: berth-api's settings, from its config file, then its flags, then the environment.
 *
 * A container is configured from one mounted file (--config FILE or BERTH_API_CONFIG) or from
 * BERTH_API_<SETTING> variables; a flag given on the command line wins over the file, the file over
 * the environment. Git credentials come from the environment or from files,
 * never from the command line (where ps shows them) or the origin's URL (which errors and logs print).
 * A Config owns its strings. */
#pragma once

#include "util/error.h"

typedef struct Config {
        char *listen, *repo, *branch, *workdir, *token_file, *policy, *templates;
        char *docker_host; /* NULL: DOCKER_HOST, then the local socket */
        char *git_user;
        char *git_password; /* a secret: zeroed when freed */
} Config;

/* Reads the YAML config file at path into c (keys: listen, repo, branch, workdir, token_file, policy,
 * templates, docker_host, git_user, git_password_file); errors name file:line:col. Keys already set
 * in c (from flags) are kept. */
int config_load(const char *path, Config *c, BerthError *err);
/* Fills what neither the file nor the flags said from the environment (BERTH_API_LISTEN, _REPO,
 * _BRANCH, _WORKDIR, _TOKEN_FILE, _POLICY, _TEMPLATES, _DOCKER_HOST, _GIT_USER; BERTH_API_GIT_PASSWORD,
 * BERTH_API_GIT_PASSWORD_FILE, BERTH_API_GIT_TOKEN) and the defaults, and checks the result. */
int config_finish(Config *c, BerthError *err);
void config_done(Config *c);
