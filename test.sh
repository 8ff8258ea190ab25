#!/usr/bin/env bash
# The test command: installs what the tests need when it is missing, then runs every test of the
# workspace (arguments go to `cargo test`). The differential tests compare replies with a real
# Redis 7.0 and the tool tests run redis-cli, redis-benchmark and redis-check-rdb (and redis-cli
# inside tmux): on Debian they come from the packages redis-server, redis-tools and tmux,
# installed here with apt-get (as root, or through sudo).
set -euo pipefail
cd "$(dirname "$0")"

# Installs Debian packages with apt-get, as root or through sudo.
install_packages() {
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq "$@" >/dev/null
}

missing=()
for tool in redis-server redis-cli redis-benchmark redis-check-rdb; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "test.sh: ${missing[*]} missing; installing Debian's redis-server and redis-tools" >&2
    install_packages redis-server redis-tools
    for tool in redis-server redis-cli redis-benchmark redis-check-rdb; do
        command -v "$tool" >/dev/null || { echo "test.sh: $tool is still missing" >&2; exit 1; }
    done
fi

# The hints test types into redis-cli inside a tmux pane.
if ! command -v tmux >/dev/null; then
    echo "test.sh: tmux missing; installing Debian's tmux" >&2
    install_packages tmux
    command -v tmux >/dev/null || { echo "test.sh: tmux is still missing" >&2; exit 1; }
fi

# Every test bounds its own waits (socket reads give up after 20 s); this bounds the whole run,
# so that a test that hangs anyway ends it with a message rather than running on.
minutes="${FERRODIS_TEST_MINUTES:-30}"
status=0
timeout --foreground "${minutes}m" cargo test --workspace "$@" || status=$?
if [ "$status" -eq 124 ]; then
    echo "test.sh: the tests ran past ${minutes} minutes and were stopped: one of them hangs" >&2
fi
exit "$status"
