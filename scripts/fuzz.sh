#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS each (default 600), one after another, and
# prints per target the executions, the coverage (libFuzzer's last `cov:`) and the crashes.
# Exits non-zero if any target crashed (its input is in fuzz/artifacts/<target>/).
#
# Needs `cargo install cargo-fuzz --locked`. cargo-fuzz passes `-Z` flags to rustc (sanitizer,
# coverage instrumentation); the stable toolchain accepts them only with RUSTC_BOOTSTRAP=1, set
# here (harmless on nightly). See fuzz/README.md.
#
# The committed seeds in fuzz/corpus/<target>/ are read, never written: what a run discovers
# goes to a scratch corpus (FUZZ_WORK, default a fresh temporary directory), so a run leaves the
# tree clean. Copy inputs worth keeping into fuzz/corpus/ by hand (`cargo fuzz cmin` first).
#
# `scripts/fuzz.sh --smoke [SECONDS]` (scripts/test.sh's step; default 3 s) needs no cargo-fuzz
# and no nightly flags: it builds every target with plain cargo (no sanitizer, no coverage
# instrumentation) into the workspace's target directory with the workspace's dev profile, so
# the dependencies the workspace build already compiled are reused; then each binary replays
# every committed input of its corpus (seeds and the findings' inputs, each once) and runs
# SECONDS of libFuzzer's mutations (without instrumentation: unguided, from an empty input, as
# libFuzzer keeps no seed without coverage; every target's assertions still run on them). A target that no longer builds, a committed
# input that crashes again, or a crash in the mutations fails it. Measured on 2 cores after the
# workspace build: 78 s in all (37 s of build, then 10 targets x (replay + 3 s)), where
# cargo-fuzz would need installing and a sanitizer build of every dependency (minutes); see
# fuzz/README.md, "CI smoke".
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

if [ "${1:-}" = --smoke ]; then
    seconds=${2:-3}
    case $seconds in '' | *[!0-9]*) echo "usage: $0 --smoke [SECONDS]" >&2; exit 2 ;; esac
    target_dir=${CARGO_TARGET_DIR:-$(cd .. && cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')}
    targets=${FUZZ_TARGETS:-$(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^helix-engage')}
    CARGO_TARGET_DIR=$target_dir cargo build --locked --bins
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    failed=0
    for t in $targets; do
        bin="$target_dir/debug/$t"
        mkdir -p "$work/$t"
        # Every committed input once (files as arguments: libFuzzer runs each and stops).
        if ! "$bin" corpus/"$t"/* >"$work/$t.replay.log" 2>&1; then
            echo "$t: a committed input fails:"; grep -m 1 -A 8 -E 'panicked|ERROR' "$work/$t.replay.log" || tail -n 20 "$work/$t.replay.log"
            failed=1
            continue
        fi
        # New inputs go to the scratch directory (the first one), never into corpus/.
        if ! "$bin" -max_total_time="$seconds" -timeout=25 -artifact_prefix="$work/$t/" \
            -print_final_stats=1 "$work/$t" "corpus/$t" >"$work/$t.log" 2>&1; then
            echo "$t: crashed within ${seconds} s:"; grep -m 1 -A 8 -E 'panicked|ERROR' "$work/$t.log" || tail -n 20 "$work/$t.log"
            failed=1
            continue
        fi
        n=$(find "corpus/$t" -type f | wc -l)
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log" | tail -n 1)
        printf '%-20s %4s committed inputs replayed, %8s executions in %s s\n' "$t" "$n" "${execs:-?}" "$seconds"
    done
    exit "$failed"
fi

seconds=${1:-600}
case $seconds in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz --locked" >&2
    exit 2
fi
export RUSTC_BOOTSTRAP=1

work=${FUZZ_WORK:-$(mktemp -d)}
mkdir -p "$work"
echo "scratch corpora and logs: $work"

# FUZZ_TARGETS (space-separated) runs only those, e.g. again after fixing one.
targets=${FUZZ_TARGETS:-$(cargo fuzz list)}
# One build for all targets (release, debug assertions off; overflow checks are on in
# fuzz/Cargo.toml's profile), so the timed runs measure fuzzing, not compiling.
cargo fuzz build -O

failed=0
printf '\n%-20s %14s %8s %8s\n' target executions cov crashes
for t in $targets; do
    mkdir -p "$work/corpus/$t" "artifacts/$t"
    before=$(find "artifacts/$t" -type f | wc -l)
    log="$work/$t.log"
    # -timeout: an input slower than this is reported as a crash (a hang on hostile input is a
    # bug too). -print_final_stats gives the execution count.
    set +e
    cargo fuzz run -O "$t" "$work/corpus/$t" "corpus/$t" -- \
        -max_total_time="$seconds" -timeout=25 -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    crashes=$(($(find "artifacts/$t" -type f | wc -l) - before))
    if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
    printf '%-20s %14s %8s %8s\n' "$t" "${execs:-?}" "${cov:-?}" "$crashes"
    if [ "$crashes" -ne 0 ]; then
        failed=1
        grep -m 1 -A 5 -E 'panicked|ERROR: libFuzzer|SUMMARY' "$log" | sed 's/^/    /' || true
        echo "    log: $log; inputs: fuzz/artifacts/$t/"
    fi
done
exit "$failed"
