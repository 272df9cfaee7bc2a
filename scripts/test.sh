#!/usr/bin/env bash
# Runs every check and every test, on a fresh machine too: installs what the suite needs
# (redis-server), starts it on 127.0.0.1, and stops it on exit. The README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step's start, in seconds since the script began: where a slow run spends its time.
log() { printf '\n==> [%4ds] %s\n' "$SECONDS" "$*"; }

# A CI run builds once from nothing: incremental caches cost time and disk and are never reused.
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi

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

# A test that hard-codes a date passes on the day it is written and fails a week later. Run
# the date-sensitive suites (watcher, CDR windows, token expiry, the simulator's clock rules,
# everything on the Ozonetel side) with the wall clock moved well into the future and the
# past, so such a time bomb fails today. libfaketime moves CLOCK_REALTIME only: timers and
# timeouts (monotonic) run as usual. The live-assist suites never read the wall clock.
if ! command -v faketime >/dev/null; then
    log "installing faketime"
    apt_install faketime
fi
log "date-sensitive tests with the clock moved (faketime +400 days, -400 days)"
# The core's library tests and these suites, from the workspace build the test step made (the
# same flags, so nothing is compiled again: `-p helix-engage` alone would resolve other
# features and rebuild the crate and its dependencies, ~1 min).
clock_suites=(lib watcher fetch_cdr abandon_calls generate_token bad_input hostile_server
    sim_ozonetel redis_account_store secret_canary shared_account hostile_ozonetel)
mapfile -t clock_bins < <(cargo test --workspace --all-features --locked --no-run \
    --message-format=json 2>/dev/null | python3 -c '
import json, sys
suites = set(sys.argv[1:])
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") != "compiler-artifact" or not m.get("executable") or not m["profile"]["test"]:
        continue
    if not m["manifest_path"].endswith("/core/Cargo.toml"):
        continue
    kinds = m["target"]["kind"]
    if ("lib" if "lib" in kinds else m["target"]["name"]) in suites and "bench" not in kinds:
        print(m["executable"])' "${clock_suites[@]}")
[ "${#clock_bins[@]}" -ge 12 ] || { echo "expected 12 date-sensitive test binaries, found ${#clock_bins[@]}" >&2; exit 1; }
for shift in +400d -400d; do
    moved=$(FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "$shift" date +%s)
    delta=$((moved - $(date +%s)))
    [ "${delta#-}" -gt $((300 * 86400)) ] || { echo "faketime did not move the clock ($shift)" >&2; exit 1; }
    # The suites at once: they mostly wait on servers and timeouts (one alone takes ~12 s, all
    # of them ~30 s one after another), and each uses its own ports and Redis key prefix.
    pids=()
    for i in "${!clock_bins[@]}"; do
        FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "$shift" "${clock_bins[$i]}" -q \
            >"$redis_dir/clock.$i.out" 2>&1 &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" || { cat "$redis_dir/clock.$i.out"
            echo "$(basename "${clock_bins[$i]}") fails with the clock at $shift" >&2; exit 1; }
    done
    echo "clock $shift: ${#clock_bins[@]} suites pass"
done

# ==== C ABI: bindings/c, include/helix_engage.h, examples/c ===============================
# Regenerates the header (fails on drift), builds libhelix_engage and the simulator, compiles
# the C dialer and tests with gcc -std=c11 -Werror and the header with g++ -std=c++17 -Werror,
# links through pkg-config (shared) and the archive (static), and runs them against the
# simulator under valgrind. See bindings/c/tests/ and examples/c/.
c_section() {
    local tools=()
    command -v gcc >/dev/null || tools+=(gcc libc6-dev)
    command -v g++ >/dev/null || tools+=(g++)
    command -v valgrind >/dev/null || tools+=(valgrind)
    command -v pkg-config >/dev/null || tools+=(pkg-config)
    if [ ${#tools[@]} -gt 0 ]; then
        log "C: installing ${tools[*]}"
        apt_install "${tools[@]}"
    fi

    log "C: the workspace's targets (library, header generator, simulator)"
    # Same feature set as the workspace test run above, so nothing is compiled twice.
    cargo build --workspace --all-features --all-targets --locked
    local target
    target="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')}"
    local libdir="$target/debug"

    log "C: include/helix_engage.h is what cbindgen generates"
    "$libdir/examples/generate_header"
    if ! git diff --exit-code -- include/helix_engage.h; then
        echo "include/helix_engage.h is stale: commit the regenerated header" >&2
        return 1
    fi
    log "C: rustdoc -D warnings (the crate's docs are the header's)"
    cargo rustdoc -p helix-engage-c --lib --locked -- -D warnings

    log "C: compile (gcc -std=c11, g++ -std=c++17, -Werror) and link via pkg-config"
    bindings/c/install.sh --in-tree --debug --no-build >/dev/null
    local cdir pc
    cdir=$(mktemp -d)
    c_dir="$cdir"
    pc() { PKG_CONFIG_PATH="$libdir" pkg-config "$@" helix_engage; }
    local rpath="-Wl,-rpath,$(pc --variable=libdir)"
    # shellcheck disable=SC2046
    gcc -std=c11 -Wall -Wextra -Werror -g examples/c/dialer.c $(pc --cflags --libs) "$rpath" \
        -o "$cdir/dialer"
    # shellcheck disable=SC2046
    gcc -std=c11 -Wall -Wextra -Werror -g bindings/c/tests/bad_input.c $(pc --cflags --libs) \
        "$rpath" -o "$cdir/bad_input"
    # shellcheck disable=SC2046
    gcc -std=c11 -Wall -Wextra -Werror -g bindings/c/tests/accounts.c $(pc --cflags --libs) \
        "$rpath" -o "$cdir/accounts"
    # shellcheck disable=SC2046
    gcc -std=c11 -Wall -Wextra -Werror -g bindings/c/tests/assist_privacy.c $(pc --cflags --libs) \
        "$rpath" -o "$cdir/assist_privacy"
    # shellcheck disable=SC2046
    g++ -std=c++17 -Wall -Wextra -Werror bindings/c/tests/header.cpp $(pc --cflags --libs) \
        "$rpath" -o "$cdir/header_cpp"
    # shellcheck disable=SC2046
    gcc -std=c11 -Wall -Wextra -Werror examples/c/dialer.c $(pc --cflags) \
        "$(pc --variable=libdir)/libhelix_engage.a" $(pc --variable=static_libs) \
        -o "$cdir/dialer_static"
    "$cdir/header_cpp"

    # A simulator printing its URLs to $1 (`url_in $1 NAME` reads one); its pid in $sim_pid.
    start_sim() {
        "$libdir/helix-engage-sim" serve --port 0 >"$1" 2>"${1%.out}.err" &
        sim_pid=$!
        for _ in $(seq 100); do
            [ "$(wc -l <"$1")" -ge 4 ] && break
            sleep 0.1
        done
    }
    url_in() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

    log "C: start the simulator"
    local sim_pid
    start_sim "$cdir/sim.out"
    c_sim_pid=$sim_pid
    url() { url_in "$cdir/sim.out" "$1"; }
    export OZONETEL_BASE_URL DEEPGRAM_URL OPENAI_BASE_URL
    OZONETEL_BASE_URL=$(url ozonetel)
    DEEPGRAM_URL=$(url deepgram)
    OPENAI_BASE_URL=$(url openai)
    local control
    control=$(url control)
    [ -n "$OZONETEL_BASE_URL" ] && [ -n "$control" ] || { cat "$cdir/sim.err" >&2; return 1; }
    export OZONETEL_API_KEY=sim-api-key DEEPGRAM_API_KEY=sim-deepgram-key \
        OPENAI_API_KEY=sim-openai-key HELIX_TRANSFER_TARGET=9000012345 \
        HELIX_AGENT_ID=agent1 HELIX_AGENT_PHONE_NAME=523590 HELIX_AGENT_NUMBER=9123456780 \
        HELIX_AGENT_CAMPAIGN=Outbound_918041763265 HELIX_AGENT_DID=918041763265 \
        HELIX_AGENT_PASSWORD=sim-agent1-pass HELIX_DIAL_NUMBER=9876512345 \
        HELIX_DISPOSITION="General Enquiry" OZONETEL_EVENTS_BASE_URL="$OZONETEL_BASE_URL"

    # Seeds two live calls and some history; writes 20.5 s of 16 kHz stereo linear16 (a quiet
    # tone: the simulator plays its script against the audio's duration, not its content).
    python3 - "$control" "$cdir" <<'EOF'
import json, math, struct, sys, urllib.request
from datetime import datetime, timedelta, timezone
control, out = sys.argv[1], sys.argv[2]
def post(path, body):
    req = urllib.request.Request(control + path, json.dumps(body).encode(), method="POST",
                                 headers={"content-type": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=10))
for name in ("ucid_dynamic", "ucid_static"):
    open(f"{out}/{name}", "w").write(post("/calls", {})["ucid"])
post("/history", [{"answered": False, "customer_number": "9988776655", "talk_secs": 0,
                   "hangup_by": "System"}, {"answered": True}])
ist = timezone(timedelta(hours=5, minutes=30))
now = datetime.now(ist)
fmt = "%Y-%m-%d %H:%M:%S"
open(f"{out}/cdr_window", "w").write(
    (now - timedelta(minutes=10)).strftime(fmt) + "|" + (now + timedelta(minutes=1)).strftime(fmt))
rate, frames = 16000, int(16000 * 20.5)
samples = (int(800 * math.sin(2 * math.pi * 220 * i / rate)) for i in range(frames))
open(f"{out}/call.raw", "wb").write(b"".join(struct.pack("<hh", v, v) for v in samples))
EOF
    local window
    window=$(cat "$cdir/cdr_window")
    export HELIX_CDR_FROM="${window%|*}" HELIX_CDR_TO="${window#*|}"

    # valgrind: every error and every definite leak fails the run. "Still reachable" blocks are
    # process-wide statics (tokio's signal registry, std's thread-locals) that live until exit;
    # they are not leaks and are reported but not counted.
    local vg=(valgrind --quiet --error-exitcode=1 --leak-check=full
        --errors-for-leak-kinds=definite --show-leak-kinds=definite)

    # The hostile table passes 10 MB arguments natively; under valgrind, which spends minutes on
    # them, 1 MiB (still above every bound the library has). Each run logs agents in, so the
    # native one gets a simulator of its own: one account may generate 10 tokens an hour.
    log "C: bad input (NULLs, bad UTF-8, hostile JSON, 1 MiB arguments, after stop) under valgrind"
    BAD_INPUT_HUGE_BYTES=1048576 "${vg[@]}" "$cdir/bad_input" >"$cdir/bad_input.out" ||
        { cat "$cdir/bad_input.out"; return 1; }
    tail -n 1 "$cdir/bad_input.out"
    log "C: bad input with 10 MB arguments (native, a second simulator)"
    start_sim "$cdir/sim2.out"
    local sim2=$sim_pid sim2_url
    sim2_url=$(url_in "$cdir/sim2.out" ozonetel)
    OZONETEL_BASE_URL="$sim2_url" OZONETEL_EVENTS_BASE_URL="$sim2_url" \
        DEEPGRAM_URL=$(url_in "$cdir/sim2.out" deepgram) \
        OPENAI_BASE_URL=$(url_in "$cdir/sim2.out" openai) "$cdir/bad_input" >"$cdir/bad_input_native.out" ||
        { cat "$cdir/bad_input_native.out"; kill "$sim2"; return 1; }
    kill "$sim2" && wait "$sim2" 2>/dev/null || true
    tail -n 1 "$cdir/bad_input_native.out"

    log "C: a private stretch, the post-call summary and helix_redact against the simulator (under valgrind)"
    HELIX_SIM_CONTROL="$control" "${vg[@]}" "$cdir/assist_privacy" >"$cdir/assist_privacy.out" ||
        { cat "$cdir/assist_privacy.out"; return 1; }
    tail -n 1 "$cdir/assist_privacy.out"

    # Both dialers share the account's token through Redis: one generation between them.
    local tokens_before
    tokens_before=$(c_generations "$control")
    export HELIX_REDIS_URL="$HELIX_TEST_REDIS_URL"

    log "C: the dialer against the simulator under valgrind"
    "${vg[@]}" "$cdir/dialer" "$(cat "$cdir/ucid_dynamic")" "$cdir/call.raw"

    log "C: the statically linked dialer"
    "$cdir/dialer_static" "$(cat "$cdir/ucid_static")" "$cdir/call.raw" >"$cdir/static.out" ||
        { cat "$cdir/static.out"; return 1; }
    tail -n 1 "$cdir/static.out"
    unset HELIX_REDIS_URL

    log "C: two dialer processes, one token (shared through Redis)"
    local generated=$(($(c_generations "$control") - tokens_before))
    [ "$generated" = 1 ] || { echo "expected 1 token generation across both dialers, saw $generated" >&2; return 1; }
    echo "token generations across both dialer processes: $generated"

    log "C: the simulator saw the dialer's actions"
    python3 - "$control" "$(cat "$cdir/ucid_dynamic")" <<'EOF'
import json, sys, urllib.request
control, ucid = sys.argv[1], sys.argv[2]
call = json.load(urllib.request.urlopen(f"{control}/calls/{ucid}", timeout=10))
numbers = {p["number"][-10:]: p for p in call["participants"]}
assert "9123456780" not in numbers, f"the agent should have left after the transfer: {call}"
assert "9000012345" in numbers, f"the transfer target should be on the call: {call}"
assert "9988776655" not in numbers, f"the supervisor should have been kicked: {call}"
assert not call["recording_paused"], call
assert not any(p["on_hold"] or p["muted"] for p in call["participants"]), call
print("simulator state: agent left, target joined, recording on, nobody held or muted")
agent = json.load(urllib.request.urlopen(f"{control}/agents/acme/agent1", timeout=10))
assert agent["state"]["state"] == "logged_out", f"the dialer logs its agent out: {agent}"
requests = json.load(urllib.request.urlopen(f"{control}/requests", timeout=10))
paths = [r["path"] for r in requests]
for path in ("/CAServices/AgentAuthenticationV2/index.php", "/ca_apis/AgentManualDial",
             "/ca_apis/PhoneManualDial", "/ca_apis/changeAgentState",
             "/ca_apis/DispositionAPIV2", "/events/subscribe"):
    assert path in paths, f"no {path} request"
assert not any("sim-agent1-pass" in r["body"] or "sim-agent1-pass" in (r["query"] or "")
               for r in requests), "an agent password travelled outside the Basic header"
print("simulator state: the desk logged in, dialled, disposed, subscribed; agent1 logged out")
EOF

    # After the dialers: a new acme token from this process supersedes the one in Redis.
    log "C: two accounts in one process, one token per account (under valgrind)"
    HELIX_SIM_CONTROL="$control" "${vg[@]}" "$cdir/accounts" >"$cdir/accounts.out" ||
        { cat "$cdir/accounts.out"; return 1; }
    tail -n 2 "$cdir/accounts.out"
}
c_generations() {
    python3 -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1] + "/tokens/acme", timeout=10))["generations_total"])' "$1"
}
c_dir="" c_sim_pid=""
c_cleanup() {
    [ -n "$c_sim_pid" ] && kill "$c_sim_pid" 2>/dev/null && wait "$c_sim_pid" 2>/dev/null || true
    [ -n "$c_dir" ] && rm -rf "$c_dir"
    return 0
}
trap 'c_cleanup; cleanup' EXIT
c_section
# ==== end of the C ABI section ===========================================================

# ==== fuzz targets (fuzz/): a smoke, not a fuzzing run =====================================
# Every target built with plain cargo in this target directory (the dependencies above are
# reused; libFuzzer needs the g++ the C section installed), every committed seed and finding
# input replayed, then 3 s of unguided mutations (from an empty input) each: a target that no longer builds or a
# regression input that crashes again fails here. Cost and why not cargo-fuzz: fuzz/README.md,
# "CI smoke". Real runs: scripts/fuzz.sh SECONDS.
log "fuzz: every target built (plain cargo), its committed inputs replayed, 3 s of mutations each"
scripts/fuzz.sh --smoke 3

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
log "node: build the simulator, the helix CLI (examples/node runs its dispatcher) and the addon"
# The C step's build already made both binaries; the same flags keep them (another feature set
# would compile the workspace a second time, ~1.5 min on a cold run).
cargo build --workspace --all-features --all-targets --locked
(cd bindings/node && npx napi build --platform)
log "node: generated index.js / index.d.ts match the Rust"
git diff --exit-code -- bindings/node/index.js bindings/node/index.d.ts ||
    { echo "bindings/node/index.js or index.d.ts is stale: run 'npx napi build --platform' in bindings/node and commit" >&2; exit 1; }
log "node: binding tests (node --test, against the simulator)"
(cd bindings/node && node --test __test__/*.test.js)
# The example's browser e2e test (test/browser.e2e.test.ts) drives Debian's chromium through
# playwright-core and loads bindings/browser's compiled ESM from the example's /assist-demo/lib/.
if [ ! -x /usr/bin/chromium ]; then
    log "installing chromium (the assist demo's browser test)"
    apt_install chromium
fi
log "node: build @helix-engage/browser for the assist demo (bindings/browser)"
(cd bindings/browser && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
log "node: NestJS example: tsc --noEmit and the e2e tests (the HTTP API, the assist gateway, the demo call in chromium)"
(cd examples/node && npx tsc --noEmit -p tsconfig.json && npm run --silent test:e2e)
# === end of the Node section ================================================================

# === Browser: @helix-engage/browser (bindings/browser) ========================================
# The capture's DSP core (resampler, frame encoder): tsc, then node:test. Needs only the node
# and npm the Node section installed.
log "browser: npm ci, tsc and unit tests (bindings/browser)"
(cd bindings/browser && npm ci --no-audit --no-fund --loglevel=error && npm test)
# === end of the browser section =============================================================

log "all checks and tests passed"
