#!/usr/bin/env bash
# The held-sessions benchmark: builds the three release binaries, then runs
# `cargo bench -p e2e-tests --bench held`, which holds HELD_SESSIONS (default 10,000) sessions open through
# web-bridge and prints each process's memory per held session. Needs a file-descriptor limit above twice
# the session count (the bench's own sockets, and each process's).
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 20000 2>/dev/null || echo "warning: could not raise the file-descriptor limit (now $(ulimit -n))" >&2
cargo build --release -p media-server -p media-gateway -p web-bridge
cargo bench -p e2e-tests --bench held
