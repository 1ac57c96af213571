# Helpers for tests that trace a running process (-p): the process blocks
# reading the FIFO "go" until dtrace is ready, so no probe firing is missed.

# start_held OUTPUT COMMAND...: starts COMMAND with its stdin on the FIFO and
# its stdout in OUTPUT, and waits until it has exec'd; sets $w to its pid.
start_held() {
    local output=$1
    shift
    mkfifo go
    exec 3<>go
    "$@" <go >"$output" &
    w=$!
    for _ in $(seq 100); do
        [ "$(readlink /proc/$w/exe)" = "$(realpath "$1")" ] && break
        sleep 0.05
    done
}

# release_when_ready FILE: waits until dtrace has written "ready" to FILE,
# then lets the held process go on.
release_when_ready() {
    for _ in $(seq 100); do
        grep -q ready "$1" && break
        sleep 0.05
    done
    echo go >&3
}
