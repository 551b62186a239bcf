#!/usr/bin/env bash
# Regenerates the `cargo tree` comparison fixtures of tests/it/graph_cargo_tree.rs:
# for each project below, `cargo metadata --format-version 1` (gzipped) and the listing of
#   cargo tree --workspace --target all -e normal,build,dev --prefix none -f '{p}'
# under tests/fixtures/graph/. Needs the crates.io index and crate downloads (cargo
# resolves and reads each package's manifest); the tests only read what this writes.
#
#   scripts/graph-fixtures.sh            # all projects
#   scripts/graph-fixtures.sh tokio-full # one project
#
# Absolute local paths are replaced: the project folder by /ws, CARGO_HOME by /cargo-home.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out="$repo/tests/fixtures/graph"
mkdir -p "$out"
cargo=${CARGO:-cargo}
cargo_home=${CARGO_HOME:-$HOME/.cargo}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A binary package `app` with the given [dependencies] lines.
app() {
    local dir=$1 deps=$2
    mkdir -p "$dir/src"
    printf '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n%s\n' "$deps" >"$dir/Cargo.toml"
    echo 'fn main() {}' >"$dir/src/main.rs"
}

# A library package at $1 named $2 with extra manifest text $3.
lib() {
    mkdir -p "$1/src"
    printf '[package]\nname = "%s"\nversion = "0.1.0"\nedition = "2021"\n\n%s\n' "$2" "$3" >"$1/Cargo.toml"
    : >"$1/src/lib.rs"
}

# A path-only workspace where host and target features differ (resolver 2), weak
# features name packages that are not built, and a pruned package enables a feature
# of a built one (the shape that made `web-time` appear on reqwest).
features_ws() {
    local ws=$1
    mkdir -p "$ws"
    # Path dependencies inside the workspace folder would be members: exclude them.
    printf '[workspace]\nmembers = ["app", "tool"]\nexclude = ["front", "pruned", "shared", "pm", "helper", "devonly", "heavy-dep", "extra-dep", "macro-dep"]\nresolver = "2"\n' >"$ws/Cargo.toml"
    lib "$ws/app" app '[dependencies]
shared = { path = "../shared" }
front = { path = "../front", features = ["x"] }
pm = { path = "../pm" }
[build-dependencies]
shared = { path = "../shared", features = ["heavy"] }
[dev-dependencies]
devonly = { path = "../devonly" }'
    lib "$ws/tool" tool '[dependencies]
front = { path = "../front" }'
    # front: `x` is weak on `pruned`, so pruned is in resolve but not built.
    lib "$ws/front" front '[dependencies]
pruned = { path = "../pruned", optional = true }
[features]
x = ["pruned?/on"]'
    # pruned (not built) enables `extra` on shared: shared must not build `extra-dep`.
    lib "$ws/pruned" pruned '[dependencies]
shared = { path = "../shared", features = ["extra"] }
[features]
on = []'
    lib "$ws/shared" shared '[dependencies]
heavy-dep = { path = "../heavy-dep", optional = true }
extra-dep = { path = "../extra-dep", optional = true }
[features]
heavy = ["dep:heavy-dep"]
extra = ["dep:extra-dep"]'
    # pm: a proc-macro whose dependency enables a host-only feature.
    mkdir -p "$ws/pm/src"
    printf '[package]\nname = "pm"\nversion = "0.1.0"\nedition = "2021"\n\n[lib]\nproc-macro = true\n\n[dependencies]\nhelper = { path = "../helper", features = ["macro"] }\n' >"$ws/pm/Cargo.toml"
    : >"$ws/pm/src/lib.rs"
    lib "$ws/helper" helper '[dependencies]
macro-dep = { path = "../macro-dep", optional = true }
[features]
macro = ["dep:macro-dep"]'
    lib "$ws/devonly" devonly '[dependencies]
helper = { path = "../helper" }'
    for leaf in heavy-dep extra-dep macro-dep; do
        lib "$ws/$leaf" "$leaf" '[features]
on = []'
    done
}

make() {
    local name=$1 dir="$work/$1"
    case $name in
        tokio-full) app "$dir" 'tokio = { version = "1", features = ["full"] }' ;;
        reqwest-rustls) app "$dir" 'reqwest = { version = "0.12", default-features = false, features = ["rustls-tls", "json"] }
tokio = { version = "1", features = ["full"] }' ;;
        sqlx) app "$dir" 'sqlx = { version = "0.8", features = ["postgres", "sqlite", "runtime-tokio"] }' ;;
        clap-derive) app "$dir" 'clap = { version = "4", features = ["derive"] }' ;;
        serde-derive) app "$dir" 'serde = { version = "1", features = ["derive"] }
serde_json = "1"' ;;
        features-ws) features_ws "$dir" ;;
        *) echo "unknown project $name" >&2; exit 2 ;;
    esac
    (cd "$dir" && "$cargo" generate-lockfile --quiet)
    local strip="s#$dir#/ws#g; s#$cargo_home#/cargo-home#g"
    (cd "$dir" && "$cargo" metadata --format-version 1 --locked) | sed "$strip" | gzip -9n >"$out/$name.metadata.json.gz"
    (cd "$dir" && "$cargo" tree --locked --workspace --target all -e normal,build,dev --prefix none -f '{p}') |
        sed "$strip" | sort -u >"$out/$name.tree.txt"
    echo "$name: $(wc -l <"$out/$name.tree.txt") packages in cargo tree"
}

projects=("$@")
[ ${#projects[@]} -gt 0 ] || projects=(tokio-full reqwest-rustls sqlx clap-derive serde-derive features-ws)
for p in "${projects[@]}"; do make "$p"; done
