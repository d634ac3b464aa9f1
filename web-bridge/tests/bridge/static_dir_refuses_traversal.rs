//! `--static-dir` serves that folder with content types and nothing outside it, whatever the path says.

use crate::support::{Bridge, http_get};

#[tokio::test]
async fn static_dir_refuses_traversal() -> anyhow::Result<()> {
    let base = std::env::temp_dir().join(format!("web-bridge-static-{}", std::process::id()));
    let site = base.join("site");
    std::fs::create_dir_all(site.join("css"))?;
    std::fs::write(site.join("index.html"), "<p>tutorial page</p>")?;
    std::fs::write(site.join("css/kurento.css"), "body{}")?;
    std::fs::write(base.join("secret.txt"), "outside the site")?;

    let bridge = Bridge::start("http://127.0.0.1:1", |c| c.static_dir = Some(site.clone())).await?;
    let (status, head, body) = http_get(bridge.addr, "/").await?;
    assert_eq!(
        (status, body.as_slice()),
        (200, b"<p>tutorial page</p>".as_slice())
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/html"),
        "{head}"
    );
    let (status, head, _) = http_get(bridge.addr, "/css/kurento.css").await?;
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase().contains("content-type: text/css"),
        "{head}"
    );

    for path in [
        "/../secret.txt",
        "/css/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/css/..%2f..%2fsecret.txt",
        "/missing.js",
    ] {
        let (status, _, body) = http_get(bridge.addr, path).await?;
        assert_eq!(status, 404, "{path}");
        assert!(
            !String::from_utf8_lossy(&body).contains("outside the site"),
            "{path}"
        );
    }
    bridge.stop().await?;
    std::fs::remove_dir_all(&base)?;
    Ok(())
}
