//! GetIceServers hands out what the gateway was configured with, and with a TURN REST API shared secret
//! it mints credentials per call that a real coturn (Debian's, started by the test with the same secret)
//! accepts, and refuses once they have expired or when minted with another secret.

use crate::common;
use media_gateway::{Config, IceServers, Secret, TurnAuth};
use media_proto::v1::{GetIceServersRequest, GetIceServersResponse};
use std::time::Duration;
use test_support::coturn::Coturn;

fn with_turn(coturn: &Coturn, secret: &str, ttl: Duration) -> Config {
    Config {
        ice_servers: IceServers {
            stun_urls: vec![format!("stun:{}:{}", coturn.ip, coturn.port)],
            turn_urls: vec![format!("turn:{}:{}?transport=udp", coturn.ip, coturn.port)],
            turn_auth: TurnAuth::SharedSecret(Secret(secret.into())),
            credential_ttl: ttl,
        },
        ..common::config(Vec::new())
    }
}

async fn ice_servers(config: Config) -> GetIceServersResponse {
    let mut gw = common::gateway(config).await;
    gw.client
        .get_ice_servers(GetIceServersRequest {})
        .await
        .expect("GetIceServers")
        .into_inner()
}

fn turn(r: &GetIceServersResponse) -> (String, String) {
    let turn = r
        .ice_servers
        .iter()
        .find(|s| s.urls.iter().any(|u| u.starts_with("turn:")))
        .expect("a TURN entry");
    (turn.username.clone(), turn.credential.clone())
}

#[tokio::test]
async fn without_servers_the_list_is_empty() {
    let r = ice_servers(common::config(Vec::new())).await;
    assert!(r.ice_servers.is_empty());
    assert_eq!(r.expires_at_unix, 0);
}

#[tokio::test]
async fn minted_credentials_allocate_on_coturn_until_they_expire() -> anyhow::Result<()> {
    let secret = format!("test-{}", std::process::id());
    let coturn = Coturn::start("127.0.0.1".parse()?, &secret)?;

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let r = ice_servers(with_turn(&coturn, &secret, Duration::from_secs(600))).await;
    assert_eq!(r.ice_servers.len(), 2, "{r:?}");
    assert!(r.ice_servers[0].urls[0].starts_with("stun:") && r.ice_servers[0].username.is_empty());
    let (username, credential) = turn(&r);
    let (expiry, name) = username.split_once(':').expect("<expiry>:<name>");
    assert_eq!(expiry, r.expires_at_unix.to_string());
    assert!((now + 599..=now + 602).contains(&expiry.parse::<u64>()?));
    assert_eq!(name.len(), 16);
    assert!(
        coturn.allocates(&username, &credential)?,
        "fresh credentials"
    );

    // Each call mints its own.
    let again = ice_servers(with_turn(&coturn, &secret, Duration::from_secs(600))).await;
    assert_ne!(turn(&again).0, username);

    // Minted with another secret: refused.
    let (u, c) = turn(
        &ice_servers(with_turn(
            &coturn,
            "not-the-secret",
            Duration::from_secs(600),
        ))
        .await,
    );
    assert!(!coturn.allocates(&u, &c)?, "credentials of another secret");

    // Expired: refused.
    let (u, c) = turn(&ice_servers(with_turn(&coturn, &secret, Duration::from_secs(1))).await);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(!coturn.allocates(&u, &c)?, "expired credentials");
    Ok(())
}
