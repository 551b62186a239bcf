#!/usr/bin/env bash
# Regenerates tests/fixtures/corpus/dod-crates.metadata.json.gz: the `cargo metadata` of a
# workspace that depends on real crates.io crates tied to entities of builtin:us-dod
# (Tencent, Baidu, Alibaba), on an employee-authored multi-vendor crate (vm-memory) and
# on look-alike crates by third parties. tests/it/real_crates_dod.rs audits it offline.
#
# Needs the crates.io index and crate downloads (cargo resolves and fetches the
# manifests); run from the repository root. Direct dependencies are pinned; transitive
# versions are whatever cargo resolves today.
set -euo pipefail

out="$(pwd)/tests/fixtures/corpus/dod-crates.metadata.json.gz"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/dod-app/src"
cat > "$dir/dod-app/Cargo.toml" <<'TOML'
[package]
name = "dod-app"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
# Tencent (github.com/Tencent)
tquic = "=1.6.0"
goosefs-sdk = "=0.2.2"
# Baidu: sgx_types up to 1.0.9 is Baidu's (github.com/baidu); brpc-rs is in mesalock-linux
sgx_types = "=1.0.9"
brpc-rs = "=0.1.0"
# Alibaba (openanolis, authors = ["Alibaba Dragonball Team"])
dbs-utils = "=0.2.1"
# negative controls: an Alibaba employee's multi-vendor crate, and look-alike names
vm-memory = "=0.16.2"
tencent-sdk = "=0.1.5"
alibabacloud = "=0.1.1"
dji-log-parser = "=0.5.7"
TOML
echo 'fn main() {}' > "$dir/dod-app/src/main.rs"
(cd "$dir/dod-app" && cargo metadata --format-version 1) | gzip -9n > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out"
