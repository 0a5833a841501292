/* labels.h: the labels berth writes on what it deploys, in either mode, and reads back to know what
 * runs (DESIGN.md: state lives on the target). Compose's own names where compose has one, so `docker
 * compose -p STACK ps` and `docker stack ps` see berth's containers and services. */
#pragma once

#define LABEL_PROJECT      "com.docker.compose.project"
#define LABEL_SERVICE      "com.docker.compose.service"
#define LABEL_NUMBER       "com.docker.compose.container-number"
#define LABEL_ONEOFF       "com.docker.compose.oneoff"
#define LABEL_CONFIG_HASH  "com.docker.compose.config-hash"
#define LABEL_DEPENDS_ON   "com.docker.compose.depends_on"
#define LABEL_NETWORK      "com.docker.compose.network"
#define LABEL_VOLUME       "com.docker.compose.volume"
#define LABEL_MANAGED      "io.berth.managed"
#define LABEL_REPO         "io.berth.repo"
#define LABEL_STACK        "io.berth.stack"
#define LABEL_COMMIT       "io.berth.commit"
#define LABEL_CONTENT_HASH "io.berth.content-hash"
#define LABEL_IMAGE_DIGEST "io.berth.image-digest"
#define LABEL_REFS         "io.berth.refs"
#define LABEL_CONTAINERS   "io.berth.containers"
/* On a stack's deploy record (deploy/record.h), which is not a container. */
#define LABEL_DEPLOY_RECORD "io.berth.deploy-record"

typedef struct DeployIdentity {
        const char *repo;   /* io.berth.repo; "local" outside a repo */
        const char *commit; /* io.berth.commit; may be NULL */
        const char *refs; /* io.berth.refs: repo files outside the stack's directory it reads; may be NULL */
        /* io.berth.containers: how many the stack has at this commit, so that a deploy cut short (the
         * engine died) is noticed from the labels alone; 0: not written */
        unsigned containers;
        /* Where the stack's decrypted SOPS files are (runtime.h); NULL: it has none. */
        const char *runtime_dir;
} DeployIdentity;
