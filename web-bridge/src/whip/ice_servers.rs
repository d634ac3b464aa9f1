//! The one place that decides which ICE servers a WHIP client is given in its 201's `Link` headers. Today
//! that is the page's list (`--ice-server`); per-session TURN credentials, when they come, are minted here.

use crate::config::{Config, IceServer};

/// The ICE servers for a new resource. Entries with credentials (TURN) go only to a client that proved the
/// WHIP bearer token, or to anyone when the operator opted in with `--expose-turn-credentials`: without a
/// token the endpoint is as open as `/config.json`, and follows the same rule.
pub(crate) fn for_new_resource(config: &Config, authenticated: bool) -> Vec<IceServer> {
    let credentials_ok = authenticated || config.expose_turn_credentials;
    config
        .ice_servers
        .iter()
        .filter(|s| credentials_ok || !s.has_credentials())
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_credentials_need_the_token_or_the_opt_in() {
        let mut config = Config {
            ice_servers: vec![
                "stun:stun.example:3478".parse().unwrap(),
                "turn:turn.example:3478,u,p".parse().unwrap(),
            ],
            ..Config::default()
        };
        assert_eq!(for_new_resource(&config, false).len(), 1);
        assert_eq!(for_new_resource(&config, true).len(), 2);
        config.expose_turn_credentials = true;
        assert_eq!(for_new_resource(&config, false).len(), 2);
    }
}
