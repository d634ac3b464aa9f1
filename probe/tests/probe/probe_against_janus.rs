//! `media_probe::run_janus` against a real Janus (Debian's `janus`, the echotest plugin): the probe's
//! Janus HTTP API client and the shared echo flow work end to end, media comes back intact and the
//! session is destroyed.
//!
//! Janus skips loopback interfaces when it gathers, so it runs in a network namespace of the test's own
//! behind a veth pair (as `scripts/janus-bench.sh` does). That needs root, `ip` and `janus`
//! (`scripts/test.sh` installs it); without them the test says why and passes without running.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use media_probe::{EchoCheckConfig, ProbeConfig};

/// A namespace with a veth pair to the root namespace; removed on drop.
struct Netns {
    name: String,
    host_if: String,
    host_ip: String,
    ns_ip: String,
}

impl Netns {
    fn create() -> anyhow::Result<Netns> {
        // Unique per process, so parallel runs on one machine do not collide (names fit IFNAMSIZ).
        let id = std::process::id() % 100_000;
        let subnet = 10 + id % 200;
        let ns = Netns {
            name: format!("mprobe{id}"),
            host_if: format!("mp{id}a"),
            host_ip: format!("10.79.{subnet}.1"),
            ns_ip: format!("10.79.{subnet}.2"),
        };
        let ns_if = format!("mp{id}b");
        let steps: [&[&str]; 8] = [
            &["netns", "add", &ns.name],
            &[
                "link",
                "add",
                &ns.host_if,
                "type",
                "veth",
                "peer",
                "name",
                &ns_if,
            ],
            &["link", "set", &ns_if, "netns", &ns.name],
            &[
                "addr",
                "add",
                &format!("{}/24", ns.host_ip),
                "dev",
                &ns.host_if,
            ],
            &["link", "set", &ns.host_if, "up"],
            &[
                "-n",
                &ns.name,
                "addr",
                "add",
                &format!("{}/24", ns.ns_ip),
                "dev",
                &ns_if,
            ],
            &["-n", &ns.name, "link", "set", &ns_if, "up"],
            &["-n", &ns.name, "link", "set", "lo", "up"],
        ];
        for step in steps {
            let status = Command::new("ip")
                .args(step)
                .stderr(Stdio::null())
                .status()?;
            if !status.success() {
                bail!("ip {} failed", step.join(" "));
            }
        }
        Ok(ns)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_if])
            .stderr(Stdio::null())
            .status();
    }
}

/// Janus inside the namespace with only the HTTP transport and the echotest; killed on drop.
struct Janus {
    child: Child,
    dir: PathBuf,
}

impl Drop for Janus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Why the test cannot run here, if it cannot.
fn unavailable() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("needs root for a network namespace".into());
    }
    if Command::new("janus").arg("--version").output().is_err() {
        return Some("janus is not installed (apt-get install janus; scripts/test.sh does)".into());
    }
    None
}

/// The folder Debian's package puts the plugins and transports in.
fn janus_lib() -> anyhow::Result<PathBuf> {
    let out = Command::new("dpkg").args(["-L", "janus"]).output()?;
    let listing = String::from_utf8_lossy(&out.stdout);
    let echotest = listing
        .lines()
        .find(|l| l.ends_with("/plugins/libjanus_echotest.so"))
        .context("janus's echotest plugin is not installed")?;
    Ok(Path::new(echotest)
        .parent()
        .and_then(Path::parent)
        .context("plugin path")?
        .to_owned())
}

fn start_janus(ns: &Netns) -> anyhow::Result<Janus> {
    let dir = std::env::temp_dir().join(format!("probe-janus-{}", std::process::id()));
    let lib = janus_lib()?;
    for sub in ["conf", "plugins", "transports", "events", "loggers"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    std::os::unix::fs::symlink(
        lib.join("plugins/libjanus_echotest.so"),
        dir.join("plugins/libjanus_echotest.so"),
    )?;
    std::os::unix::fs::symlink(
        lib.join("transports/libjanus_http.so"),
        dir.join("transports/libjanus_http.so"),
    )?;
    let d = dir.display();
    let ip = &ns.ns_ip;
    std::fs::write(
        dir.join("conf/janus.jcfg"),
        format!(
            "general: {{\n configs_folder = \"{d}/conf\"\n plugins_folder = \"{d}/plugins\"\n \
             transports_folder = \"{d}/transports\"\n events_folder = \"{d}/events\"\n \
             loggers_folder = \"{d}/loggers\"\n debug_level = 3\n interface = \"{ip}\"\n}}\n\
             nat: {{\n ice_enforce_list = \"{ip}\"\n}}\n"
        ),
    )?;
    std::fs::write(
        dir.join("conf/janus.transport.http.jcfg"),
        format!(
            "general: {{\n base_path = \"/janus\"\n http = true\n port = 8088\n ip = \"{ip}\"\n https = false\n}}\n\
             admin: {{\n admin_http = false\n admin_https = false\n}}\n"
        ),
    )?;
    std::fs::write(
        dir.join("conf/janus.plugin.echotest.jcfg"),
        "general: {\n}\n",
    )?;
    let child = Command::new("ip")
        .args(["netns", "exec", &ns.name, "janus", "-o", "-C"])
        .arg(dir.join("conf/janus.jcfg"))
        .arg("-F")
        .arg(dir.join("conf"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    Ok(Janus { child, dir })
}

async fn wait_listening(addr: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("Janus does not listen on {addr}")
}

#[tokio::test]
async fn janus_echotest_echoes_the_probes_media() -> anyhow::Result<()> {
    if let Some(reason) = unavailable() {
        println!("skipped: {reason}");
        return Ok(());
    }
    let ns = Netns::create()?;
    let _janus = start_janus(&ns)?;
    wait_listening(&format!("{}:8088", ns.ns_ip)).await?;
    let url = format!("http://{}:8088/janus", ns.ns_ip);
    // Both ways of pacing the probe's ICE checks connect (the eager one as browsers do).
    for eager_checks in [false, true] {
        let config = ProbeConfig {
            bind_ip: ns.host_ip.parse()?,
            eager_checks,
            echo: EchoCheckConfig {
                duration: Duration::from_millis(800),
                ..EchoCheckConfig::default()
            },
            ..ProbeConfig::default()
        };
        let report = media_probe::run_janus(&url, config).await?;
        println!("{report}");
        assert!(report.passed(), "{report}");
        assert_eq!(report.echo.mismatches, 0);
        // Janus has no GetSessionStats: the server's view is absent, not made up.
        assert_eq!(report.server_stats, None, "{report}");
        assert!(
            report.start.answer_candidates > 0,
            "Janus answers with its candidates"
        );
        assert!(
            report.states.iter().any(|s| s.ends_with("webrtcup")),
            "Janus said webrtcup: {:?}",
            report.states
        );
    }
    // Janus's errors name the call that failed.
    let err = media_probe::run_janus(
        &format!("http://{}:8088/nope", ns.ns_ip),
        ProbeConfig::default(),
    )
    .await
    .err()
    .context("a wrong base path must fail")?;
    assert!(err.to_string().contains("create"), "{err}");
    Ok(())
}
