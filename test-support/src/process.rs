//! The real binaries as child processes, for the tests that must see what an operator sees (`docker stop`
//! sends SIGTERM): start one with piped output, read its lines without ever blocking it, send it SIGTERM,
//! and wait for its exit. A child still running when the test ends (a failed assertion) is killed.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running binary whose stdout and stderr are read line by line on threads of their own, so a full
/// pipe never stalls it. Dropping it kills the process if it is still running.
pub struct Binary {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

impl Binary {
    /// Starts `path` with `args` and `RUST_LOG=rust_log`.
    pub fn start(path: &str, args: &[&str], rust_log: &str) -> anyhow::Result<Binary> {
        let mut child = Command::new(path)
            .args(args)
            .env("RUST_LOG", rust_log)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start {path}: {e}"))?;
        let stdout = lines_of(child.stdout.take().expect("piped stdout"));
        let stderr = lines_of(child.stderr.take().expect("piped stderr"));
        Ok(Binary {
            child,
            stdout,
            stderr,
        })
    }

    /// The next line the binary writes on stdout (where each service says where it listens).
    pub fn stdout_line(&self, limit: Duration) -> anyhow::Result<String> {
        self.stdout
            .recv_timeout(limit)
            .map_err(|e| anyhow::anyhow!("no stdout line within {limit:?}: {e}"))
    }

    /// Sends SIGTERM, as `docker stop`, systemd and Kubernetes do.
    pub fn terminate(&self) -> anyhow::Result<()> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        anyhow::ensure!(status.success(), "kill -TERM failed: {status}");
        Ok(())
    }

    /// The process id (to read its `/proc/<pid>/status`, say).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGKILL: no drain, no cleanup, as a crash or the OOM killer.
    pub fn kill(&mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        Ok(())
    }

    /// Waits for the exit, polling (a child process runs on real time); `None` if the
    /// process is still running after `limit`.
    pub async fn exit_within(&mut self, limit: Duration) -> Option<ExitStatus> {
        crate::wait::until_some(limit, || {
            std::future::ready(self.child.try_wait().ok().flatten())
        })
        .await
    }

    /// Every stderr line written so far (all of them once the process has exited).
    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr.try_iter().collect()
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Lines of a pipe, read on a thread until it closes.
fn lines_of(pipe: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}
