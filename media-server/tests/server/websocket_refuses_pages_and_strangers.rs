//! The WebSocket refuses what a hostile web page or a stranger would send: an upgrade with a browser
//! `Origin` gets 403 unless the origin is allowed, and with a shared secret configured an upgrade
//! without `Authorization: Bearer <secret>` gets 401. Clients that send neither (the gateway,
//! kurento-client on Node) still connect, and KMS's health check still gets its 500.

use crate::common;

use media_server::{AuthSecret, Config};
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// Opens the WebSocket with extra headers: `Ok(())` if the upgrade succeeded, else the HTTP status.
async fn upgrade(url: &str, headers: &[(&'static str, &str)]) -> anyhow::Result<Result<(), u16>> {
    let mut request = url.into_client_request()?;
    for (name, value) in headers {
        request
            .headers_mut()
            .insert(*name, HeaderValue::from_str(value)?);
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((mut ws, _)) => {
            let _ = ws.close(None).await;
            Ok(Ok(()))
        }
        Err(WsError::Http(response)) => Ok(Err(response.status().as_u16())),
        Err(e) => Err(e.into()),
    }
}

#[tokio::test]
async fn browser_origins_are_refused_unless_allowed() -> anyhow::Result<()> {
    let server = common::start(Config {
        allowed_origins: vec!["https://app.example".into()],
        ..Config::default()
    })
    .await?;
    let url = server.url();
    assert_eq!(
        upgrade(&url, &[("Origin", "https://evil.example")]).await?,
        Err(403)
    );
    assert_eq!(upgrade(&url, &[("Origin", "null")]).await?, Err(403));
    assert_eq!(
        upgrade(&url, &[("Origin", "https://app.example")]).await?,
        Ok(())
    );
    assert_eq!(
        upgrade(&url, &[]).await?,
        Ok(()),
        "no Origin: not a browser"
    );
    server.shutdown().await?;

    // The default allows no page at all, loopback ones included.
    let server = common::start(Config::default()).await?;
    let page = format!("http://{}", server.local_addr());
    assert_eq!(
        upgrade(&server.url(), &[("Origin", &page)]).await?,
        Err(403)
    );
    assert_eq!(server.stats().connections, 0);
    server.shutdown().await?;
    Ok(())
}

#[tokio::test]
async fn a_configured_secret_is_required() -> anyhow::Result<()> {
    let server = common::start(Config {
        auth_secret: Some(AuthSecret::new("correct horse")),
        ..Config::default()
    })
    .await?;
    let url = server.url();
    assert_eq!(upgrade(&url, &[]).await?, Err(401));
    assert_eq!(
        upgrade(&url, &[("Authorization", "Bearer correct horsf")]).await?,
        Err(401)
    );
    assert_eq!(
        upgrade(&url, &[("Authorization", "Basic correct horse")]).await?,
        Err(401)
    );
    assert_eq!(
        upgrade(&url, &[("Authorization", "Bearer correct horse")]).await?,
        Ok(())
    );
    // The secret does not let a page in: the origin rule still holds.
    assert_eq!(
        upgrade(
            &url,
            &[
                ("Authorization", "Bearer correct horse"),
                ("Origin", "https://evil.example")
            ]
        )
        .await?,
        Err(403)
    );
    assert!(
        !format!(
            "{:?}",
            Config {
                auth_secret: Some(AuthSecret::new("correct horse")),
                ..Config::default()
            }
        )
        .contains("horse")
    );
    server.shutdown().await?;
    Ok(())
}
