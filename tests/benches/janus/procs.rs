//! The servers under test as processes inside the bench's network namespace (`ip netns exec` execs the
//! binary in place, so the child's pid is the server's), and what /proc says about them.

use std::fs::File;
use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// How long a server may take to start answering.
const STARTUP: Duration = Duration::from_secs(20);

/// One server process; dropping it sends SIGTERM, then SIGKILL after a grace period.
pub(crate) struct Proc {
    pub(crate) name: &'static str,
    child: Child,
}

impl Proc {
    /// Starts `program args` in namespace `netns`, its stderr (and, unless `read_stdout`, its stdout)
    /// appended to `log`. Our binaries print their address on stdout and log on stderr; Janus logs on
    /// stdout, which must not fill a pipe nobody reads.
    pub(crate) fn start(
        name: &'static str,
        netns: &str,
        program: &Path,
        args: &[String],
        log: &Path,
        read_stdout: bool,
    ) -> anyhow::Result<Self> {
        let out = File::options().create(true).append(true).open(log)?;
        let stdout = if read_stdout {
            Stdio::piped()
        } else {
            Stdio::from(out.try_clone()?)
        };
        let child = Command::new("ip")
            .args(["netns", "exec", netns])
            .arg(program)
            .args(args)
            // The servers' logs go to the bench's log folder; JANUS_BENCH_LOG widens them for a look.
            .env(
                "RUST_LOG",
                std::env::var("JANUS_BENCH_LOG").unwrap_or_else(|_| "warn".to_owned()),
            )
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(out)
            .spawn()
            .with_context(|| format!("starting {name} ({})", program.display()))?;
        Ok(Proc { name, child })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The first line the server printed (our binaries print their address when they listen).
    pub(crate) fn first_line(&mut self) -> anyhow::Result<String> {
        let stdout = self.child.stdout.take().context("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        if line.is_empty() {
            bail!("{} exited without printing its address", self.name);
        }
        Ok(line.trim().to_owned())
    }

    /// utime + stime of the whole process (dead threads included) from /proc/PID/stat.
    pub(crate) fn cpu(&self) -> anyhow::Result<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))?;
        // The command name (field 2) may hold spaces; the fields after its ')' are fixed.
        let rest = stat.rsplit_once(')').context("no ')' in stat")?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of stat, so 11 and 12 after the state (field 3).
        let ticks: u64 = fields.get(11).context("utime")?.parse::<u64>()?
            + fields.get(12).context("stime")?.parse::<u64>()?;
        Ok(Duration::from_secs_f64(ticks as f64 / clock_ticks() as f64))
    }

    /// Resident memory (VmRSS).
    pub(crate) fn rss_bytes(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .context("no VmRSS")?
            .parse()?;
        Ok(kb * 1024)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// USER_HZ, the unit of /proc/PID/stat's times (100 on Linux unless built otherwise).
fn clock_ticks() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100)
    })
}

/// Waits until something accepts TCP connections on `addr`.
pub(crate) async fn wait_listening(addr: SocketAddr) -> anyhow::Result<()> {
    let deadline = Instant::now() + STARTUP;
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("nothing listens on {addr} after {STARTUP:?}")
}

/// Waits until the gateway's /readyz says 200 (a media server link is up).
pub(crate) async fn wait_ready(metrics: SocketAddr) -> anyhow::Result<()> {
    let deadline = Instant::now() + STARTUP;
    while Instant::now() < deadline {
        if let Ok(r) = test_support::http::get(metrics, "/readyz").await
            && r.status == 200
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the gateway's {metrics}/readyz is not 200 after {STARTUP:?}")
}
