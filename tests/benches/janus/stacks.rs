//! The two stacks, started the same way: inside the namespace, bound to its veth address, media and
//! signaling reached from the root namespace over the veth.
//!
//! Ours is `media-server` (ICE on the veth address, the peers' private candidates allowed) and
//! `media-gateway` pointed at it (callers' private candidates allowed): two processes, as deployed.
//! Janus is one process with only the HTTP transport and the echotest plugin (the config the bench
//! script writes).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context as _;

use crate::procs::{self, Proc};

/// Where the stacks run and what they run.
#[derive(Debug, Clone)]
pub(crate) struct Setup {
    pub(crate) netns: String,
    pub(crate) server_ip: IpAddr,
    pub(crate) bin_dir: PathBuf,
    pub(crate) janus_config: PathBuf,
    pub(crate) log_dir: PathBuf,
}

/// Which server a measurement is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Which {
    Ours,
    Janus,
}

/// A running stack: the media process (whose CPU and memory the table compares), our gateway beside it,
/// and the URL the probe talks to.
pub(crate) struct Stack {
    pub(crate) media: Proc,
    pub(crate) gateway: Option<Proc>,
    pub(crate) url: String,
}

impl Stack {
    pub(crate) async fn start(which: Which, setup: &Setup) -> anyhow::Result<Stack> {
        match which {
            Which::Ours => ours(setup).await,
            Which::Janus => janus(setup).await,
        }
    }
}

async fn ours(setup: &Setup) -> anyhow::Result<Stack> {
    let ip = setup.server_ip;
    let log = setup.log_dir.join("ours.log");
    let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let kurento = format!("{ip}:8888");
    let mut media = Proc::start(
        "media-server",
        &setup.netns,
        &setup.bin_dir.join("media-server"),
        &args(&[
            "--listen",
            &kurento,
            "--interfaces",
            &ip.to_string(),
            "--allow-private-candidates",
        ]),
        &log,
        true,
    )?;
    let kms_uri = media.first_line().context("media-server's URL")?;
    let grpc = SocketAddr::new(ip, 50051);
    let metrics = SocketAddr::new(ip, 9090);
    let gateway = Proc::start(
        "media-gateway",
        &setup.netns,
        &setup.bin_dir.join("media-gateway"),
        &args(&[
            "--listen",
            &grpc.to_string(),
            "--metrics-listen",
            &metrics.to_string(),
            "--kms-uri",
            &kms_uri,
            "--allow-candidate-networks",
            "private",
        ]),
        &log,
        true,
    )?;
    procs::wait_ready(metrics).await?;
    Ok(Stack {
        media,
        gateway: Some(gateway),
        url: format!("http://{grpc}"),
    })
}

async fn janus(setup: &Setup) -> anyhow::Result<Stack> {
    let conf = &setup.janus_config;
    let args = vec![
        "-C".to_owned(),
        conf.join("janus.jcfg").to_string_lossy().into_owned(),
        "-F".to_owned(),
        conf.to_string_lossy().into_owned(),
        // No colours in the log file.
        "-o".to_owned(),
    ];
    let media = Proc::start(
        "janus",
        &setup.netns,
        &PathBuf::from("janus"),
        &args,
        &setup.log_dir.join("janus.log"),
        false,
    )?;
    let http = SocketAddr::new(setup.server_ip, 8088);
    procs::wait_listening(http).await?;
    Ok(Stack {
        media,
        gateway: None,
        url: format!("http://{http}/janus"),
    })
}
