# api.sh: berth-api for a shell test: a token, the server on a free port of 127.0.0.1, and a request
# helper. Sourced after tap.sh; needs W (the test's scratch directory) and BERTH_API.
#   api_token NAME ROLE           -> prints a fresh token, and appends its line to $W/tokens
#   api_serve ORIGIN [FLAGS...]   -> starts berth-api on ORIGIN (clone in $W/clone, log in $W/api.log),
#                                    sets api_pid and api_url, and waits until /healthz answers
#   api_req TOKEN METHOD PATH [BODY] -> prints "STATUS BODY"; the body also stays in $W/body

api_free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

api_token() {
        local t=$1-token-$RANDOM$RANDOM-0123456789
        printf '%s' "$t" | "$BERTH_API" hash-token "$1" "$2" >>"$W/tokens" || tap_bail "hash-token failed"
        printf '%s' "$t"
}

api_serve() {
        local origin=$1 port
        shift
        port=$(api_free_port)
        "$BERTH_API" --listen "127.0.0.1:$port" --repo "$origin" --workdir "$W/clone" --token-file "$W/tokens" \
                "$@" 2>"$W/api.log" &
        api_pid=$!
        api_url=http://127.0.0.1:$port
        for _ in $(seq 100); do curl -fs "$api_url/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done
        tap_bail "berth-api did not start: $(tail -n 5 "$W/api.log")"
}

api_req() {
        curl -s -o "$W/body" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $1" \
                ${4:+-H "Content-Type: application/json" --data-binary "$4"} "$api_url$3" >"$W/status"
        printf '%s %s' "$(cat "$W/status")" "$(cat "$W/body")"
}
