//! The engine's media threads: each runs a single-threaded tokio runtime that drives the endpoint tasks
//! placed on it. A datagram then wakes one thread that does all of the work for it, instead of waking a
//! worker of the shared multi-threaded runtime that hands tasks to (and wakes) its siblings; several
//! endpoints' datagrams that arrive together are served in one wakeup.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

/// One media thread. Dropping the last reference stops it: its runtime, and every task still on it
/// (closing their sockets), is dropped on the thread itself.
pub(crate) struct MediaThread {
    handle: Handle,
    /// Dropped to tell the thread to stop.
    _stop: oneshot::Sender<()>,
}

impl MediaThread {
    fn start(index: usize) -> io::Result<MediaThread> {
        let runtime = Builder::new_current_thread().enable_all().build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name(format!("media-{index}"))
            .spawn(move || {
                // Either a send or the sender's drop ends the wait; both mean stop.
                let _ = runtime.block_on(stopped);
                drop(runtime);
            })?;
        Ok(MediaThread {
            handle,
            _stop: stop,
        })
    }

    /// The runtime to bind sockets in (`Handle::enter`) and to spawn endpoint tasks on.
    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }
}

/// The engine's media threads; endpoints are spread over them in turn.
pub(crate) struct MediaThreads {
    threads: Vec<Arc<MediaThread>>,
    next: AtomicUsize,
}

impl MediaThreads {
    /// Starts `count` threads (at least one).
    pub(super) fn start(count: usize) -> io::Result<MediaThreads> {
        let threads = (0..count.max(1))
            .map(|i| MediaThread::start(i).map(Arc::new))
            .collect::<io::Result<Vec<_>>>()?;
        Ok(MediaThreads {
            threads,
            next: AtomicUsize::new(0),
        })
    }

    /// The thread for the next endpoint. Endpoints keep theirs alive for as long as they exist.
    pub(super) fn pick(&self) -> Arc<MediaThread> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.threads.len();
        Arc::clone(&self.threads[i])
    }
}
