//! The page, its assets, `/config.json` and even a 404 carry a strict Content-Security-Policy (no inline
//! script or style, never framed) and `X-Content-Type-Options: nosniff`; and the embedded page works under
//! that policy: no inline scripts, event-handler attributes, inline styles or `javascript:` URLs.

use crate::support::{Bridge, http_get};

const PAGE: &str = include_str!("../../../web/index.html");
const SCRIPT: &str = include_str!("../../../web/app.js");

#[tokio::test]
async fn page_carries_security_headers() -> anyhow::Result<()> {
    let bridge = Bridge::start("http://127.0.0.1:1", |_| {}).await?;
    for path in ["/", "/app.js", "/style.css", "/config.json", "/nope"] {
        let (_, head, _) = http_get(bridge.addr, path).await?;
        let head = head.to_ascii_lowercase();
        let csp = head
            .lines()
            .find_map(|l| l.strip_prefix("content-security-policy: "))
            .ok_or_else(|| anyhow::anyhow!("{path}: no CSP in {head}"))?;
        for needed in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ] {
            assert!(csp.contains(needed), "{path}: {csp} lacks {needed}");
        }
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        assert!(
            head.contains("x-content-type-options: nosniff"),
            "{path}: {head}"
        );
    }
    bridge.stop().await
}

#[test]
fn embedded_page_needs_nothing_the_policy_forbids() {
    let lower = PAGE.to_ascii_lowercase();
    for (at, _) in lower.match_indices("<script") {
        let tag = &lower[at..lower[at..].find('>').map_or(lower.len(), |end| at + end)];
        assert!(tag.contains(" src="), "inline script: {tag}");
    }
    assert!(!lower.contains("<style"), "inline <style> block");
    assert!(!lower.contains(" style="), "inline style attribute");
    assert!(!lower.contains("javascript:"), "javascript: URL");
    for attr in [
        " onclick=",
        " onload=",
        " onerror=",
        " onchange=",
        " onsubmit=",
    ] {
        assert!(!lower.contains(attr), "event-handler attribute {attr}");
    }
    for forbidden in ["eval(", "new Function", "setAttribute('style'", "style="] {
        assert!(!SCRIPT.contains(forbidden), "app.js uses {forbidden}");
    }
}
