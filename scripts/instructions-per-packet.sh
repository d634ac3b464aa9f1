#!/usr/bin/env bash
# The media server's own (userland) instructions per echoed packet, counted by valgrind's callgrind:
# one media-probe peer echoes 50 audio + 50 video packets a second through the gateway and a media
# server run under callgrind, and only a 10 s window of steady media is counted (instrumentation is
# switched on once the peer is connected and off before it stops). Instruction counts do not depend
# on what else the machine is doing, unlike the CPU times of the other benchmarks, so this is the one
# to compare two builds with; it leaves out the kernel (sockets, wakeups), which those include.
#
# Usage: ./scripts/instructions-per-packet.sh [MEDIA_SERVER_BINARY ...]
# (default: the release build's). Several binaries are measured one after another, for A/B runs.
# Needs valgrind (installed from Debian when missing); uses 127.0.0.1 ports 8888, 50051 and 9090.
set -euo pipefail
cd "$(dirname "$0")/.."

WINDOW_SECS=10
RATE=50 # per kind: the probe's default

if ! command -v valgrind >/dev/null 2>&1; then
  echo "== installing Debian's valgrind"
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
  $sudo_ apt-get update -qq
  $sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind </dev/null
fi

target=${CARGO_TARGET_DIR:-target}
echo "== building the release binaries"
cargo build --release -p media-server -p media-gateway -p media-probe
binaries=("$@")
[ ${#binaries[@]} -gt 0 ] || binaries=("$target/release/media-server")

work=$(mktemp -d /tmp/instructions.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

wait_for() { # what, command...
  local what=$1; shift
  for _ in $(seq 1 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.3; done
  echo "instructions-per-packet: $what did not come up" >&2
  return 1
}

measure() {
  local bin=$1 out=$work/run
  rm -f "$out".*
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out.cg" \
    "$bin" --listen 127.0.0.1:8888 --interfaces 127.0.0.1 --allow-private-candidates \
    >"$out.media.log" 2>&1 &
  local media=$!
  pids+=("$media")
  wait_for "the media server" grep -q "ws://" "$out.media.log"
  local uri
  uri=$(grep -o "ws://[^ ]*" "$out.media.log" | head -1)
  "$target/release/media-gateway" --listen 127.0.0.1:50051 --metrics-listen 127.0.0.1:9090 \
    --kms-uri "$uri" --allow-candidate-networks loopback >"$out.gateway.log" 2>&1 &
  local gateway=$!
  pids+=("$gateway")
  wait_for "the gateway" curl -sf http://127.0.0.1:9090/metrics
  # Set-up under valgrind takes about a second; the window starts well after it and ends before
  # the probe stops sending.
  "$target/release/media-probe" --gateway http://127.0.0.1:50051 --duration $((WINDOW_SECS + 6)) \
    --json >"$out.probe.json" 2>"$out.probe.log" &
  local probe=$!
  sleep 4
  callgrind_control -i on "$media" >/dev/null 2>&1
  sleep "$WINDOW_SECS"
  callgrind_control -i off "$media" >/dev/null 2>&1
  wait "$probe" || { echo "the probe failed:" >&2; cat "$out.probe.log" >&2; return 1; }
  kill "$gateway"
  wait "$gateway" 2>/dev/null || true
  kill -INT "$media"
  wait "$media" 2>/dev/null || true
  local total
  total=$(awk '/^totals:/ {print $2; exit}' "$out".cg*)
  python3 - "$out.probe.json" "$bin" "$total" "$WINDOW_SECS" "$RATE" <<'EOF'
import json, sys
report, binary, total, window, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
echo = json.load(open(report))["echo"]
lost = sum(echo[k]["sent"] - echo[k]["echoed"] for k in ("audio", "video"))
packets = 2 * rate * window
print(f"| {binary} | {total:,} | {packets} | {total / packets:,.0f} | {lost} |")
EOF
}

echo
echo "| media server | instructions in the ${WINDOW_SECS} s window | packets in it (100 a second) | instructions per echoed packet | packets the probe missed (whole run) |"
echo "|---|---:|---:|---:|---:|"
for bin in "${binaries[@]}"; do
  measure "$bin"
done
