#!/usr/bin/env bash
# The hostile-client benchmark: builds the three release binaries, then runs
# `cargo bench -p e2e-tests --bench hostile`, which prints one row per attack (idle sockets at the cap,
# slowloris, cross-origin upgrades, SessionAdmin with the MediaSession token, idle gRPC connections from one
# address, a candidate flood) with what
# a well-behaved client got meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 20000 2>/dev/null || echo "warning: could not raise the file-descriptor limit (now $(ulimit -n))" >&2
cargo build --release -p media-server -p media-gateway -p web-bridge
cargo bench -p e2e-tests --bench hostile
