//! A real TURN server (Debian's coturn, `turnserver`) for the tests that check TURN credentials and relay
//! media, and its own client (`turnutils_uclient`) to try an allocation with given credentials. The server
//! runs with the TURN REST API's shared secret, as an operator would configure it for the gateway.

use std::net::{IpAddr, UdpSocket};
use std::process::Command;
use std::time::Duration;

use crate::process::Binary;

/// A running `turnserver`; dropping it kills the process.
pub struct Coturn {
    /// The address it listens on (UDP and TCP).
    pub ip: IpAddr,
    /// Its listening port.
    pub port: u16,
    process: Binary,
}

/// Why coturn cannot be used here, or `None` when both programs are installed.
pub fn missing() -> Option<String> {
    for program in ["turnserver", "turnutils_uclient"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            return Some(format!(
                "{program} is missing: install Debian's coturn (`apt-get install -y coturn`; ./scripts/test.sh does)"
            ));
        }
    }
    None
}

/// A free UDP port on `ip` (freed again before returning: coturn binds it right after).
fn free_port(ip: IpAddr) -> anyhow::Result<u16> {
    Ok(UdpSocket::bind((ip, 0))?.local_addr()?.port())
}

/// Where a coturn runs: its namespace (`None`: the test's own), the address it listens on and the one it
/// relays from, and its port (0: a free one on `listen`, only possible in the test's own namespace).
#[derive(Debug, Clone)]
pub struct Setup {
    /// A namespace made by `netns::Net` to run it in (`ip netns exec`), or `None`.
    pub netns: Option<String>,
    /// The listening address (UDP and TCP), where clients and STUN requests reach it.
    pub listen: IpAddr,
    /// The address its relayed allocations use towards peers.
    pub relay: IpAddr,
    /// The listening port; 0 picks a free one (not inside another namespace).
    pub port: u16,
}

impl Coturn {
    /// Starts coturn on `ip` with the REST API shared `secret`, relaying on `ip` too (loopback peers
    /// allowed, since the tests' peers are local), and waits until it listens.
    pub fn start(ip: IpAddr, secret: &str) -> anyhow::Result<Coturn> {
        Coturn::start_with(
            &Setup {
                netns: None,
                listen: ip,
                relay: ip,
                port: 0,
            },
            secret,
        )
    }

    /// Starts coturn as `setup` says with the REST API shared `secret`, and waits until it listens.
    pub fn start_with(setup: &Setup, secret: &str) -> anyhow::Result<Coturn> {
        if let Some(why) = missing() {
            anyhow::bail!(why);
        }
        let ip = setup.listen;
        let port = match setup.port {
            0 => free_port(ip)?,
            port => port,
        };
        let mut args = Vec::new();
        if let Some(ns) = &setup.netns {
            args.extend(["netns".to_owned(), "exec".to_owned(), ns.clone()]);
            args.push("turnserver".to_owned());
        }
        args.extend([
            "-n".to_owned(),
            format!("--listening-ip={ip}"),
            format!("--listening-port={port}"),
            format!("--relay-ip={}", setup.relay),
            "--use-auth-secret".to_owned(),
            format!("--static-auth-secret={secret}"),
            "--realm=kurento-hello.test".to_owned(),
            "--no-tls".to_owned(),
            "--no-dtls".to_owned(),
            "--no-cli".to_owned(),
            "--allow-loopback-peers".to_owned(),
            "--log-file=stdout".to_owned(),
            "--simple-log".to_owned(),
        ]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let program = if setup.netns.is_some() {
            "ip"
        } else {
            "turnserver"
        };
        let process = Binary::start(program, &args, "")?;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let line = process.stdout_line(Duration::from_secs(10))?;
            // coturn logs each listener as it opens it.
            if line.contains("listener opened on") || line.contains("Total General servers") {
                break;
            }
            anyhow::ensure!(
                std::time::Instant::now() < deadline,
                "coturn did not start listening"
            );
        }
        Ok(Coturn { ip, port, process })
    }

    /// The process id (to check it is still running).
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Whether coturn grants an allocation to `username`/`password` and relays a few packets through it
    /// (`turnutils_uclient` in client-to-client mode): the check a browser's TURN use depends on.
    pub fn allocates(&self, username: &str, password: &str) -> anyhow::Result<bool> {
        let output = Command::new("timeout")
            .args([
                "20",
                "turnutils_uclient",
                "-y",
                "-n",
                "3",
                "-u",
                username,
                "-w",
                password,
                "-p",
                &self.port.to_string(),
                &self.ip.to_string(),
            ])
            .output()?;
        let text = String::from_utf8_lossy(&output.stdout);
        Ok(output.status.success() && text.contains("Total lost packets 0"))
    }
}
