//! The one way a process learns it should stop: the first SIGINT (ctrl-c) or SIGTERM (`docker stop`,
//! systemd, Kubernetes) cancels a token; everything that serves watches that token and drains.

use tokio_util::sync::CancellationToken;

/// Which signal asked the process to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT, usually ctrl-c in a terminal.
    Interrupt,
    /// SIGTERM, what orchestrators send before they kill.
    Terminate,
}

/// SIGINT and SIGTERM handlers, installed when this is made: from then on neither signal takes its
/// default action (ending the process at once, without a drain).
#[derive(Debug)]
pub struct Signals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    /// Installs both handlers. One that cannot be installed is logged and never fires, so the other
    /// still works. Must be called inside a tokio runtime.
    pub fn install() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let install = |kind: SignalKind, name: &str| match signal(kind) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::error!(error = %e, "cannot listen for {name}");
                    None
                }
            };
            Signals {
                interrupt: install(SignalKind::interrupt(), "SIGINT"),
                terminate: install(SignalKind::terminate(), "SIGTERM"),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// Resolves on the first of the two signals.
    pub async fn recv(mut self) -> Signal {
        #[cfg(unix)]
        {
            async fn next(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                () = next(&mut self.interrupt) => Signal::Interrupt,
                () = next(&mut self.terminate) => Signal::Terminate,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = &mut self;
            if let Err(e) = tokio::signal::ctrl_c().await {
                tracing::error!(error = %e, "cannot listen for ctrl-c");
                std::future::pending::<()>().await;
            }
            Signal::Interrupt
        }
    }
}

/// A token cancelled on the first SIGINT or SIGTERM. The handlers are installed before this returns, so
/// a signal sent right after cannot kill the process before its drain starts.
pub fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    let signals = Signals::install();
    tokio::spawn(async move {
        let signal = signals.recv().await;
        tracing::info!(?signal, "draining on signal");
        cancel.cancel();
    });
    token
}
