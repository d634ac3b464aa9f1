//! The 201 lists the configured ICE servers as `Link: <url>; rel="ice-server"` headers; TURN entries (with
//! their username and credential) only for a client that proved the WHIP token, as `/config.json` withholds
//! them from anonymous pages.
use crate::support::Bridge;
use crate::support::fake_gateway::FakeGateway;
use crate::support::whip::{self, WHIP_OFFER};
use web_bridge::{Config, WhipToken};

fn ice(c: &mut Config) {
    c.ice_servers = vec![
        "stun:stun.example.net:3478"
            .parse()
            .unwrap_or_else(|e: String| panic!("{e}")),
        "turn:turn.example.net:3478,user,pass"
            .parse()
            .unwrap_or_else(|e: String| panic!("{e}")),
    ];
}

#[tokio::test]
async fn whip_link_headers_carry_ice_servers() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    let open = Bridge::start(&gateway.uri(), ice).await?;
    let r = whip::post(open.addr, WHIP_OFFER, &[]).await?;
    assert_eq!(r.status, 201);
    assert_eq!(
        r.headers("link"),
        [r#"<stun:stun.example.net:3478>; rel="ice-server""#]
    );
    open.stop().await?;

    let guarded = Bridge::start(&gateway.uri(), |c| {
        ice(c);
        c.whip_token = Some(WhipToken::new("t0ken"));
    })
    .await?;
    let r = whip::post(
        guarded.addr,
        WHIP_OFFER,
        &[("Authorization", "Bearer t0ken")],
    )
    .await?;
    assert_eq!(r.status, 201);
    assert_eq!(
        r.headers("link"),
        [
            r#"<stun:stun.example.net:3478>; rel="ice-server""#,
            r#"<turn:turn.example.net:3478>; rel="ice-server"; username="user"; credential="pass"; credential-type="password""#,
        ]
    );
    guarded.stop().await
}
