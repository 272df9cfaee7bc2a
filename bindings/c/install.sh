#!/usr/bin/env bash
# Builds libhelix_engage and makes it usable through pkg-config.
#
#   bindings/c/install.sh --prefix /usr/local     # release build; installs lib, header, .pc
#   bindings/c/install.sh --in-tree [--debug]     # writes helix_engage.pc next to the built
#                                                 # library, pointing into this checkout
#
# Options: --debug (dev profile instead of release), --no-build (use what is built),
# --destdir DIR (stage an install under DIR, for packagers).
#
# Installed layout: PREFIX/include/helix_engage.h, PREFIX/lib/libhelix_engage.{so,a},
# PREFIX/lib/pkgconfig/helix_engage.pc. Linux (glibc) is what this script knows: the static
# library's system dependencies (Libs.private) are those `rustc --print native-static-libs`
# reports there.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"

prefix="" in_tree=0 profile=release build=1 destdir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="$2"; shift 2 ;;
        --in-tree) in_tree=1; shift ;;
        --debug) profile=debug; shift ;;
        --no-build) build=0; shift ;;
        --destdir) destdir="$2"; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done
if [ "$in_tree" = 0 ] && [ -z "$prefix" ]; then
    echo "pass --prefix PREFIX or --in-tree (see --help)" >&2
    exit 2
fi

cd "$repo"
if [ "$build" = 1 ]; then
    if [ "$profile" = release ]; then
        cargo build -p helix-engage-c --release --locked
    else
        cargo build -p helix-engage-c --locked
    fi
fi
target_dir="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')}"
libdir_built="$target_dir/$profile"
for f in libhelix_engage.so libhelix_engage.a; do
    [ -f "$libdir_built/$f" ] || { echo "missing $libdir_built/$f: build first" >&2; exit 1; }
done
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"

# write_pc FILE PREFIX LIBDIR INCLUDEDIR
write_pc() {
    cat >"$1" <<EOF
prefix=$2
libdir=$3
includedir=$4
# What linking libhelix_engage.a needs besides it (rustc --print native-static-libs).
static_libs=-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

Name: helix_engage
Description: helix-engage C ABI: Ozonetel CloudAgent call control and live call assist
URL: https://github.com/helix-engage/helix-engage
Version: $version
Libs: -L\${libdir} -lhelix_engage
Libs.private: \${static_libs}
Cflags: -I\${includedir}
EOF
}

if [ "$in_tree" = 1 ]; then
    write_pc "$libdir_built/helix_engage.pc" "$repo" "$libdir_built" "$repo/include"
    echo "wrote $libdir_built/helix_engage.pc"
    echo "use: PKG_CONFIG_PATH=$libdir_built pkg-config --cflags --libs helix_engage"
    exit 0
fi

root="$destdir$prefix"
install -d "$root/include" "$root/lib/pkgconfig"
install -m 0644 include/helix_engage.h "$root/include/"
install -m 0755 "$libdir_built/libhelix_engage.so" "$root/lib/"
install -m 0644 "$libdir_built/libhelix_engage.a" "$root/lib/"
write_pc "$root/lib/pkgconfig/helix_engage.pc" "$prefix" '${prefix}/lib' '${prefix}/include'
echo "installed helix_engage $version under $root"
echo "use: PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs helix_engage"
