//! A browser page on an allowed origin gets the CORS answer WHIP needs: its preflight (no token needed)
//! allows POST, PATCH and DELETE with Authorization, Content-Type and If-Match, and the 201 exposes
//! Location, ETag and Link, for that origin alone (echoed, with `Vary: Origin`).
use crate::support::Bridge;
use crate::support::fake_gateway::FakeGateway;
use crate::support::whip::{self, WHIP_OFFER};
use web_bridge::WhipToken;

const PAGE: &str = "https://app.example";

#[tokio::test]
async fn whip_cors_lets_allowed_pages_read_answers() -> anyhow::Result<()> {
    let gateway = FakeGateway::start(false).await?;
    let bridge = Bridge::start(&gateway.uri(), |c| {
        c.allowed_origins = vec![PAGE.to_owned()];
        c.whip_token = Some(WhipToken::new("t0ken"));
    })
    .await?;
    let preflight = test_support::http::request(
        bridge.addr,
        "OPTIONS",
        "/whip",
        &[
            ("Origin", PAGE),
            ("Access-Control-Request-Method", "POST"),
            (
                "Access-Control-Request-Headers",
                "authorization, content-type",
            ),
        ],
        b"",
    )
    .await?;
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.header("access-control-allow-origin"), Some(PAGE));
    assert_eq!(preflight.header("vary"), Some("Origin"));
    assert!(
        preflight
            .header("access-control-allow-methods")
            .unwrap_or_default()
            .contains("POST")
    );
    let allowed = preflight
        .header("access-control-allow-headers")
        .unwrap_or_default();
    for h in ["Authorization", "Content-Type", "If-Match"] {
        assert!(allowed.contains(h), "{allowed}");
    }

    let created = whip::post(
        bridge.addr,
        WHIP_OFFER,
        &[("Origin", PAGE), ("Authorization", "Bearer t0ken")],
    )
    .await?;
    assert_eq!(created.status, 201);
    assert_eq!(created.header("access-control-allow-origin"), Some(PAGE));
    let exposed = created
        .header("access-control-expose-headers")
        .unwrap_or_default();
    for h in ["Location", "ETag", "Link"] {
        assert!(exposed.contains(h), "{exposed}");
    }
    let location = created.header("location").unwrap_or_default().to_owned();
    let resource = test_support::http::request(
        bridge.addr,
        "OPTIONS",
        &location,
        &[("Origin", PAGE), ("Access-Control-Request-Method", "PATCH")],
        b"",
    )
    .await?;
    assert_eq!(resource.status, 204);
    let methods = resource
        .header("access-control-allow-methods")
        .unwrap_or_default();
    assert!(
        methods.contains("PATCH") && methods.contains("DELETE"),
        "{methods}"
    );
    bridge.stop().await
}
