# repo.sh: the config repo of a shell test: a bare origin and a clone of it in $W (the test's directory),
# which becomes the working directory. g runs git in the clone; commit adds everything, commits and
# pushes to the origin.
repo_start() {
        export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
        git init -q --bare -b main "$W/origin.git"
        git clone -q "file://$W/origin.git" "$W/repo" 2>/dev/null
        cd "$W/repo" || exit 1
}
g() { git -C "$W/repo" "$@"; }
commit() { g add -A && g commit -qm "$1" && g push -q origin main 2>/dev/null; }
