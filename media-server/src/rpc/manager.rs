//! The ServerManager singleton (`manager_ServerManager`): server info, pipelines, sessions, resources.

use super::invoke::method_not_found;
use super::objects::Class;
use super::params::Params;
use super::{Core, sysinfo};
use kurento::types::ModuleInfo;
use kurento::{ErrorCode, RpcError, SERVER_MANAGER, ServerInfo};
use serde_json::Value;
use std::time::Duration;

/// The version we claim: the KMS protocol version we follow.
const VERSION: &str = "7.2.0";
/// Build time of our "modules"; clients only display it.
const GENERATION_TIME: &str = "Jan  1 2025 00:00:00";
/// Longest `getUsedCpu` measurement we wait for, so one request cannot hold a connection for long.
const MAX_CPU_INTERVAL: Duration = Duration::from_secs(10);

/// `getInfo`: the modules kurento-client-js checks for in strict mode, listing only what we implement.
pub fn server_info() -> ServerInfo {
    let module = |name: &str, factories: &[&str]| ModuleInfo {
        name: name.into(),
        version: VERSION.into(),
        generation_time: GENERATION_TIME.into(),
        factories: factories.iter().map(|f| f.to_string()).collect(),
    };
    ServerInfo {
        version: VERSION.into(),
        modules: vec![
            module("core", &["MediaPipeline"]),
            module("elements", &["WebRtcEndpoint"]),
            module("filters", &[]),
        ],
        capabilities: vec![ServerInfo::CAPABILITY_TRANSACTIONS.into()],
    }
}

impl Core {
    pub(crate) async fn invoke_manager(
        &self,
        operation: &str,
        p: Params<'_>,
    ) -> Result<Value, RpcError> {
        Ok(match operation {
            "getInfo" => server_info().to_value(),
            "getPipelines" => {
                let st = self.lock();
                let mut ids: Vec<&String> = st
                    .objects
                    .values()
                    .filter(|o| o.class == Class::MediaPipeline)
                    .map(|o| &o.id)
                    .collect();
                ids.sort();
                serde_json::json!(ids)
            }
            "getSessions" => {
                let st = self.lock();
                let mut ids: Vec<&String> = st.sessions.keys().collect();
                ids.sort();
                serde_json::json!(ids)
            }
            "getMetadata" => "".into(),
            "getKmd" => {
                let module = p.str("moduleName")?;
                return Err(RpcError::new(
                    ErrorCode::ServerManagerErrorKmdNotFound,
                    format!("KMD of module '{module}' is not available from this server"),
                ));
            }
            "getCpuCount" => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .into(),
            "getUsedCpu" => {
                let ms = p.opt_u64("interval")?.unwrap_or(1000);
                let interval = Duration::from_millis(ms).min(MAX_CPU_INTERVAL);
                sysinfo::used_cpu_percent(interval).await.into()
            }
            "getUsedMemory" => sysinfo::used_memory_kib().into(),
            "getId" | "getName" => SERVER_MANAGER.into(),
            "getChildren" => Value::Array(vec![]),
            _ => return Err(method_not_found(operation, p)),
        })
    }
}
