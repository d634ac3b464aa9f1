#!/usr/bin/env bash
# The chaos benchmark: builds the three release binaries the scenarios run as processes, then runs
# `cargo bench -p e2e-tests --bench chaos`, which prints one row per fault scenario. CHAOS_SCALE=0.1 for a
# quick look. Needs a file-descriptor limit of a few times the session count (4000 by default).
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 20000 2>/dev/null || echo "warning: could not raise the file-descriptor limit (now $(ulimit -n))" >&2
cargo build --release -p media-server -p media-gateway -p web-bridge
cargo bench -p e2e-tests --bench chaos
