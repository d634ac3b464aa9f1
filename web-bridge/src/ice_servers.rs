//! The one place that decides which ICE servers a client of the bridge gets, the page (`/config.json`) and
//! a WHIP client (its 201's `Link` headers) alike: first the gateway's GetIceServers, asked for each client
//! so TURN credentials are minted for it and expire, then the bridge's own `--ice-server` entries. Those
//! of the bridge's own that carry credentials are static and long-lived, so they go only to a client that
//! proved a credential of its own (the WHIP bearer token), or to anyone when the operator opted in with
//! `--expose-turn-credentials`.

use media_proto::v1::GetIceServersResponse;

use crate::app::App;
use crate::config::IceServer;

/// The servers for one new client; `authenticated` when it proved a bearer token. A gateway that is down
/// or predates GetIceServers leaves the bridge's own list.
pub(crate) async fn for_client(app: &App, authenticated: bool) -> Vec<IceServer> {
    let mut servers = match app.gateway.ice_servers().await {
        Ok(minted) => from_gateway(minted),
        Err(why) => {
            tracing::debug!("no ICE servers from the gateway: {why}");
            Vec::new()
        }
    };
    servers.extend(own(&app.config, authenticated));
    servers
}

/// The bridge's own entries this client may have.
fn own(config: &crate::Config, authenticated: bool) -> impl Iterator<Item = IceServer> + '_ {
    let credentials_ok = authenticated || config.expose_turn_credentials;
    config
        .ice_servers
        .iter()
        .filter(move |s| credentials_ok || !s.has_credentials())
        .cloned()
}

/// The one conversion of the gateway's answer: one entry per URL, credentials where it gave them.
fn from_gateway(response: GetIceServersResponse) -> Vec<IceServer> {
    response
        .ice_servers
        .into_iter()
        .flat_map(|s| {
            let with_credentials = !s.username.is_empty() || !s.credential.is_empty();
            s.urls.into_iter().map(move |urls| IceServer {
                urls,
                username: with_credentials.then(|| s.username.clone()),
                credential: with_credentials.then(|| s.credential.clone()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    #[test]
    fn turn_credentials_need_the_token_or_the_opt_in() {
        let mut config = Config {
            ice_servers: vec![
                "stun:stun.example:3478".parse().unwrap(),
                "turn:turn.example:3478,u,p".parse().unwrap(),
            ],
            ..Config::default()
        };
        assert_eq!(own(&config, false).count(), 1);
        assert_eq!(own(&config, true).count(), 2);
        config.expose_turn_credentials = true;
        assert_eq!(own(&config, false).count(), 2);
    }

    #[test]
    fn the_gateways_servers_become_one_entry_per_url() {
        let servers = from_gateway(GetIceServersResponse {
            ice_servers: vec![
                media_proto::v1::IceServer {
                    urls: vec!["stun:a:3478".into()],
                    ..Default::default()
                },
                media_proto::v1::IceServer {
                    urls: vec!["turn:a:3478?transport=udp".into(), "turns:a:5349".into()],
                    username: "1:x".into(),
                    credential: "c".into(),
                },
            ],
            expires_at_unix: 1,
        });
        assert_eq!(servers.len(), 3);
        assert!(!servers[0].has_credentials());
        assert_eq!(servers[2].urls, "turns:a:5349");
        assert_eq!(servers[2].username.as_deref(), Some("1:x"));
    }
}
