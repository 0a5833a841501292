#!/bin/bash
# test-templates-deploy.sh: every definition berth ships (templates/) renders a stack that passes its own
# health gate. Each is created through berth-api in an empty origin with its defaults (only images, which
# cannot be pulled here, and host ports, which must be free, are given), then `berth reconcile` deploys
# them all on the rig's engine; the docker CLI checks that every container runs, healthy where it has a
# healthcheck. A definition added to templates/ without a case here fails the test.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/api.sh"
[ -n "${BERTH_RIG_DIR:-}" ] || tap_bail "the test rig is not running: run the suite through tests/run.sh"
W=$(mktemp -d)
stacks="t-static t-worker t-job t-webapp"
cleanup() {
        [ -n "${api_pid:-}" ] && kill "$api_pid" 2>/dev/null
        for s in $stacks; do "$BERTH" down -p "$s" -v -t 0 >/dev/null 2>&1; done
        rm -rf "$W"
}
trap cleanup EXIT
for s in $stacks; do "$BERTH" down -p "$s" -v -t 0 >/dev/null 2>&1; done
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com

# Stand-ins for images that would come from a registry: an application that answers HTTP, and a database
# with what the template's healthcheck calls (pg_isready).
mkdir -p "$W/app" "$W/db"
printf 'FROM berth-test/busybox:latest\nRUN mkdir -p /www && echo app >/www/index.html\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n' >"$W/app/Dockerfile"
printf 'FROM berth-test/busybox:latest\nRUN printf "#!/bin/sh\\nexit 0\\n" >/bin/pg_isready && chmod +x /bin/pg_isready\nCMD ["sleep", "3600"]\n' >"$W/db/Dockerfile"
docker build -q -t berth-test/app:latest "$W/app" >/dev/null 2>&1 && docker build -q -t berth-test/postgres:latest "$W/db" >/dev/null 2>&1 ||
        tap_bail "cannot build the stand-in images"

# webapp-db's password is a write-only option: committed encrypted to the repo's age recipient.
git init -q --bare -b main "$W/origin.git"
age-keygen -o "$W/age.key" 2>/dev/null || tap_bail "age-keygen failed (tests/install-deps.sh installs age)"
git clone -q "file://$W/origin.git" "$W/seed" 2>/dev/null
printf 'creation_rules:\n  - path_regex: ^stacks/.*/\\.env$\n    age: %s\n' "$(age-keygen -y "$W/age.key")" >"$W/seed/.sops.yaml"
(cd "$W/seed" && git add -A && git commit -qm sops && git push -q origin main 2>/dev/null) || tap_bail "cannot seed the origin"
password=tpl-db-password-$RANDOM$RANDOM
token=$(api_token t write)
api_serve "$W/origin.git" --templates "$SOURCE_DIR/templates"
post() { api_req "$token" POST /stacks "$1" | cut -d' ' -f1; }
free() { api_free_port; }

declare -A cases=(
        [static-site]="{\"name\": \"t-static\", \"definition\": \"static-site\", \"options\": {\"image\": \"berth-test/busybox:latest\", \"port\": $(free)}}"
        [worker]='{"name": "t-worker", "definition": "worker", "options": {"image": "berth-test/busybox:latest", "command": "sleep 3600", "healthcheck": "true"}}'
        [scheduled-job]='{"name": "t-job", "definition": "scheduled-job", "options": {"image": "berth-test/busybox:latest", "command": "echo ran"}}'
        [webapp-db]="{\"name\": \"t-webapp\", \"definition\": \"webapp-db\", \"options\": {\"image\": \"berth-test/app:latest\", \"db_image\": \"berth-test/postgres:latest\", \"db_password\": \"$password\", \"port\": $(free)}}"
)
shipped=$(ls -d "$SOURCE_DIR"/templates/*/ | xargs -n1 basename | sort | tr '\n' ' ')
tap_is "every shipped definition has a case" "$shipped" "$(printf '%s\n' "${!cases[@]}" | sort | tr '\n' ' ')"
for def in $(printf '%s\n' "${!cases[@]}" | sort); do
        tap_is "$def: created with its defaults" "$(post "${cases[$def]}")" "201" || sed 's/^/# /' "$W/body"
done

git clone -q "file://$W/origin.git" "$W/repo" 2>/dev/null
# The pipeline holds the age key, as a masked CI variable would.
out=$(cd "$W/repo" && SOPS_AGE_KEY_FILE=$W/age.key "$BERTH" reconcile 2>&1)
tap_is "berth reconcile deploys them all and their health gates pass" "$?" "0" || printf '%s\n' "$out" | tail -n 30 | sed 's/^/# /'
for s in $stacks; do
        states=$(docker ps -a --filter "label=com.docker.compose.project=$s" --format '{{.Names}} {{.State}} {{.Status}}')
        tap_like "$s: every container runs" "$states" "running" || printf '%s\n' "$states" | sed 's/^/# /'
        tap_is "$s: none that is not running, none unhealthy" "$(printf '%s\n' "$states" | grep -v -e ' running ' -e '^$' | wc -l) $(printf '%s\n' "$states" | grep -c unhealthy)" "0 0" ||
                printf '%s\n' "$states" | sed 's/^/# /'
done
tap_is "webapp-db: the database has the password given to berth-api (docker inspect)" \
        "$(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' t-webapp-db-1 | grep -x "POSTGRES_PASSWORD=$password")" "POSTGRES_PASSWORD=$password"
tap_is "webapp-db: and nothing in git holds it in clear" "$(git -C "$W/origin.git" log -p --all | grep -c -- "$password")" "0"
tap_like "the static site's health is checked and healthy" "$(docker ps --filter label=com.docker.compose.project=t-static --format '{{.Status}}')" "\(healthy\)"
tap_done
