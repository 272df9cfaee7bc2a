#!/usr/bin/env bash
# Runs every check and every test, on a fresh machine too: installs what the suite needs
# (redis-server), starts it on 127.0.0.1, and stops it on exit. The README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "need root (or sudo) to install: $*" >&2; return 1; fi
}

apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 ||
        { as_root apt-get update >/dev/null && as_root apt-get install -y --no-install-recommends "$@" >/dev/null; }
}

# --- services the tests need -------------------------------------------------------------
if ! command -v redis-server >/dev/null; then
    log "installing redis-server"
    apt_install redis-server
fi
redis_dir=$(mktemp -d)
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
    --dir "$redis_dir" --daemonize yes --pidfile "$redis_dir/redis.pid" >/dev/null
cleanup() {
    [ -f "$redis_dir/redis.pid" ] && kill "$(cat "$redis_dir/redis.pid")" 2>/dev/null || true
    rm -rf "$redis_dir"
}
trap cleanup EXIT
for _ in $(seq 50); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
done
export HELIX_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/"

# --- static checks -----------------------------------------------------------------------
log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings
log "cargo doc -D warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features --locked

# --- tests -------------------------------------------------------------------------------
log "cargo test (workspace, all features)"
cargo test --workspace --all-features --locked

# === Node: @helix-engage/native (bindings/node) and the NestJS example (examples/node) =======
# Debug build of the addon: the suite checks behaviour, not speed, and a release build of the
# whole dependency tree would double CI time. The simulator binary the tests spawn comes from
# the same cargo build.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    log "installing nodejs and npm"
    apt_install nodejs npm
fi
log "node: npm ci (bindings/node, examples/node)"
(cd bindings/node && npm ci --no-audit --no-fund --loglevel=error)
(cd examples/node && npm ci --no-audit --no-fund --loglevel=error)
log "node: build the simulator and the addon"
cargo build -p helix-engage-sim --bin helix-engage-sim --locked
(cd bindings/node && npx napi build --platform)
log "node: generated index.js / index.d.ts match the Rust"
git diff --exit-code -- bindings/node/index.js bindings/node/index.d.ts ||
    { echo "bindings/node/index.js or index.d.ts is stale: run 'npx napi build --platform' in bindings/node and commit" >&2; exit 1; }
log "node: binding tests (node --test, against the simulator)"
(cd bindings/node && node --test __test__/*.test.js)
log "node: NestJS example: tsc --noEmit and the e2e test"
(cd examples/node && npx tsc --noEmit -p tsconfig.json && npm run --silent test:e2e)
# === end of the Node section ================================================================

log "all checks and tests passed"
