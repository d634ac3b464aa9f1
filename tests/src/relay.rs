//! Three hosts for the TURN relay tests, built from network namespaces the test owns ([`test_support::netns`]):
//!
//! ```text
//!  client ns (Chromium)          edge ns (coturn, HTTPS forwarder)          this ns (gateway, media server,
//!  C.2 ──────── veth ──────────── C.1        S.2 ──────── veth ─────────── S.1   web-bridge)
//! ```
//!
//! The client's only link goes to the edge host, which does not route (forwarding off) and which the
//! client has no route beyond: the only way its media reaches the media server (`S.1`) is coturn,
//! listening on `C.1` and relaying from `S.2`. The page itself comes through a plain TCP forwarder on
//! the edge host (`C.1:8443` → web-bridge on `S.1`), as a reverse proxy in a DMZ would carry it; it
//! carries TCP only, and the media server takes no TCP. [`RelayStack::client_cannot_reach_server`]
//! checks that the client has no direct path.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use anyhow::{Context as _, bail};
use test_support::coturn::{self, Coturn};
use test_support::netns::{self, Net, Side};
use test_support::process::Binary;

use crate::{Gateway, Stack};

/// Where coturn and the forwarder listen inside the edge namespace (its own, so fixed ports are free).
const TURN_PORT: u16 = 3478;
const PAGE_PORT: u16 = 8443;

/// A TCP forwarder in node (the test machine has node for the browser driver; socat may be missing).
const FORWARDER: &str = r"
const net = require('node:net');
const [listenIp, listenPort, toIp, toPort] = process.argv.slice(1);
net.createServer((c) => {
  const s = net.connect(Number(toPort), toIp);
  c.pipe(s); s.pipe(c);
  c.on('error', () => s.destroy()); s.on('error', () => c.destroy());
}).listen(Number(listenPort), listenIp, () => console.log('listening'));
";

/// Why the relay tests cannot run here (no namespaces, no coturn), or `None`.
pub fn unavailable() -> Option<String> {
    netns::unavailable().or_else(coturn::missing)
}

/// The whole stack behind the three hosts. Fields drop in order: processes first, the namespaces last.
pub struct RelayStack {
    /// The gateway (TURN secret, media server on `S.1`) and the bridge (on `S.1`).
    pub stack: Stack,
    /// The page as the client reaches it: `https://C.1:8443/`.
    pub url: String,
    /// The namespace Chromium runs in.
    pub client_ns: String,
    /// The media server's (and web-bridge's) address.
    pub server_ip: Ipv4Addr,
    /// The address coturn relays from.
    pub relay_ip: Ipv4Addr,
    bridge_port: u16,
    _coturn: Coturn,
    _forwarder: Binary,
    _net: Net,
}

impl RelayStack {
    /// Builds the hosts, starts coturn with a REST secret, a gateway minting TURN credentials for it, a
    /// media server on `S.1` and web-bridge on `S.1`, whose config `tweak` adjusts.
    pub async fn start(tweak: impl FnOnce(&mut web_bridge::Config)) -> anyhow::Result<RelayStack> {
        let mut net = Net::new();
        let client_ns = net.namespace("cli").context("the client namespace")?;
        let edge_ns = net.namespace("edge").context("the edge namespace")?;
        let (c, s) = (net.subnet(), net.subnet());
        net.link(
            Side::Ns(&client_ns),
            c.host(2),
            Side::Ns(&edge_ns),
            c.host(1),
        )
        .context("the client-edge link")?;
        net.link(Side::Ns(&edge_ns), s.host(2), Side::Root, s.host(1))
            .context("the edge-server link")?;
        let (server_ip, relay_ip, turn_ip) = (s.host(1), s.host(2), c.host(1));

        let secret = format!("relay-{}", std::process::id());
        let coturn = Coturn::start_with(
            &coturn::Setup {
                netns: Some(edge_ns.clone()),
                listen: turn_ip.into(),
                relay: relay_ip.into(),
                port: TURN_PORT,
            },
            &secret,
        )
        .context("coturn in the edge namespace")?;
        let gateway = Gateway::start_with_media(
            media_gateway::Config {
                candidate_networks: media_gateway::CandidateNetworks::LOCAL,
                ice_servers: media_gateway::IceServers {
                    stun_urls: Vec::new(),
                    turn_urls: vec![format!("turn:{turn_ip}:{TURN_PORT}?transport=udp")],
                    turn_auth: media_gateway::TurnAuth::SharedSecret(media_gateway::Secret(secret)),
                    credential_ttl: Duration::from_secs(600),
                },
                ..media_gateway::Config::default()
            },
            crate::media_on(IpAddr::V4(server_ip)),
        )
        .await?;
        let url = format!("https://{turn_ip}:{PAGE_PORT}/");
        let origin = url.trim_end_matches('/').to_owned();
        let stack = Stack::start_bridge(gateway, server_ip.into(), |config| {
            config.allowed_origins = vec![origin];
            tweak(config);
        })
        .await?;
        let bridge_port: u16 = stack
            .url
            .trim_end_matches('/')
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .context("the bridge's port")?;
        let forwarder = Binary::start(
            "ip",
            &[
                "netns",
                "exec",
                &edge_ns,
                "node",
                "-e",
                FORWARDER,
                &turn_ip.to_string(),
                &PAGE_PORT.to_string(),
                &server_ip.to_string(),
                &bridge_port.to_string(),
            ],
            "",
        )
        .context("the forwarder in the edge namespace")?;
        let ready = forwarder
            .stdout_line(Duration::from_secs(10))
            .context("the forwarder did not start")?;
        anyhow::ensure!(ready == "listening", "the forwarder said {ready:?}");
        Ok(RelayStack {
            stack,
            url,
            client_ns,
            server_ip,
            relay_ip,
            bridge_port,
            _coturn: coturn,
            _forwarder: forwarder,
            _net: net,
        })
    }

    /// Fails unless the client host has no route to the media server's address and a TCP connection
    /// from it to web-bridge's own port there fails: whatever media reaches the server came via coturn.
    pub fn client_cannot_reach_server(&self) -> anyhow::Result<()> {
        let route = std::process::Command::new("ip")
            .args(["-n", &self.client_ns, "route", "get"])
            .arg(self.server_ip.to_string())
            .output()?;
        if route.status.success() {
            bail!(
                "the client host has a route to the media server: {}",
                String::from_utf8_lossy(&route.stdout)
            );
        }
        let connect = Net::exec(&self.client_ns, "timeout")
            .args(["3", "bash", "-c"])
            .arg(format!(
                "exec 3<>/dev/tcp/{}/{}",
                self.server_ip, self.bridge_port
            ))
            .stderr(std::process::Stdio::null())
            .status()?;
        if connect.success() {
            bail!("the client host connected to the media server's host directly");
        }
        Ok(())
    }

    /// Stops the bridge and the gateway, then the edge host's processes, then removes the namespaces.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.stack.stop().await
    }
}
