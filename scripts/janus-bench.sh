#!/usr/bin/env bash
# Side by side: our gateway + media server against Janus's echotest, driven by media-probe (str0m).
#
# Janus skips loopback interfaces when it gathers ICE candidates, so both servers run in a network
# namespace (`kbench`) reached over a veth pair: 10.77.0.1 in the root namespace (the probe peers),
# 10.77.0.2 inside (Janus, or our media-gateway + media-server). Both servers' signaling and media cross
# the same veth. The namespace is removed on exit.
#
# Needs root (netns). Installs Debian's janus when missing. Extra arguments go to the bench, e.g.
# `./scripts/janus-bench.sh 1 25 50 --window-secs 8`.
# MEDIA_SERVER_UDP_PORT=N runs our media server in one-port mode; JANUS_BENCH_LOG is the servers' RUST_LOG
# (default warn; their logs go to the folder the bench names).
# With JANUS_BENCH_SETUP_ONLY=1 it sets the namespace and config up, prints them, and waits (for a manual run).
set -euo pipefail
cd "$(dirname "$0")/.."

NS=kbench
HOST_IF=kb0
NS_IF=kb1
HOST_IP=10.77.0.1
NS_IP=10.77.0.2

if [ "$(id -u)" != 0 ]; then
  echo "janus-bench: needs root for the network namespace (ip netns)" >&2
  exit 1
fi
ulimit -n 20000 2>/dev/null || echo "warning: could not raise the file-descriptor limit (now $(ulimit -n))" >&2

if ! command -v janus >/dev/null 2>&1; then
  echo "== installing Debian's janus"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends janus </dev/null
fi

# Janus's own config, in a temp dir: only the HTTP transport and the echotest plugin are loadable (the
# folders hold links to those two libraries alone, so nothing else starts, fails or takes CPU), no event
# handlers, no loggers, HTTP and ICE bound to the namespace's veth address.
work=$(mktemp -d /tmp/janus-bench.XXXXXX)
cleanup() {
  ip netns del "$NS" 2>/dev/null || true
  ip link del "$HOST_IF" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

lib=$(dirname "$(dpkg -L janus | grep '/plugins/libjanus_echotest.so$' | head -1)")/..
mkdir -p "$work/conf" "$work/plugins" "$work/transports" "$work/events" "$work/loggers"
ln -s "$lib/plugins/libjanus_echotest.so" "$work/plugins/"
ln -s "$lib/transports/libjanus_http.so" "$work/transports/"
cat >"$work/conf/janus.jcfg" <<EOF
general: {
	configs_folder = "$work/conf"
	plugins_folder = "$work/plugins"
	transports_folder = "$work/transports"
	events_folder = "$work/events"
	loggers_folder = "$work/loggers"
	debug_level = 3
	interface = "$NS_IP"
	session_timeout = 60
}
certificates: {
}
media: {
}
nat: {
	nice_debug = false
	ice_enforce_list = "$NS_IP"
	full_trickle = false
}
plugins: {
}
transports: {
}
loggers: {
}
events: {
	broadcast = false
}
EOF
cat >"$work/conf/janus.transport.http.jcfg" <<EOF
general: {
	json = "plain"
	base_path = "/janus"
	http = true
	port = 8088
	ip = "$NS_IP"
	https = false
}
admin: {
	admin_http = false
	admin_https = false
}
EOF
cat >"$work/conf/janus.plugin.echotest.jcfg" <<EOF
general: {
}
EOF

echo "== network namespace $NS: $HOST_IP ($HOST_IF) <-> $NS_IP ($NS_IF)"
ip netns del "$NS" 2>/dev/null || true
ip link del "$HOST_IF" 2>/dev/null || true
ip netns add "$NS"
ip link add "$HOST_IF" type veth peer name "$NS_IF"
ip link set "$NS_IF" netns "$NS"
ip addr add "$HOST_IP/24" dev "$HOST_IF"
ip link set "$HOST_IF" up
ip -n "$NS" addr add "$NS_IP/24" dev "$NS_IF"
ip -n "$NS" link set "$NS_IF" up
ip -n "$NS" link set lo up

if [ "${JANUS_BENCH_SETUP_ONLY:-}" = 1 ]; then
  echo "janus config in $work/conf; run: ip netns exec $NS janus -C $work/conf/janus.jcfg -F $work/conf"
  echo "ctrl-c removes the namespace"
  sleep infinity &
  wait $!
fi

echo "== building the release binaries"
export CARGO_INCREMENTAL=0
cargo build --release -p media-server -p media-gateway -p media-probe
# Absolute: cargo runs the bench from the package folder, so a relative path would not resolve there.
target=$(realpath -m "${CARGO_TARGET_DIR:-target}")
cargo bench -p e2e-tests --bench janus -- \
  --netns "$NS" --client-ip "$HOST_IP" --server-ip "$NS_IP" \
  --janus-config "$work/conf" --bin-dir "$target/release" "$@"
