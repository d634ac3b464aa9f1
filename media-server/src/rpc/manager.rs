//! The ServerManager singleton (`manager_ServerManager`): server info, pipelines, sessions, resources.

use super::objects::Class;
use super::{Core, sysinfo};
use kurento::types::ModuleInfo;
use kurento::{ErrorCode, Factory, RpcError, SERVER_MANAGER, ServerInfo, ServerManagerOp};
use serde_json::Value;
use std::time::Duration;

/// The version we claim: the KMS protocol version we follow.
const VERSION: &str = "7.2.0";
/// Build time of our "modules"; clients only display it.
const GENERATION_TIME: &str = "Jan  1 2025 00:00:00";
/// Longest `getUsedCpu` measurement we wait for, so one request cannot hold a connection for long.
const MAX_CPU_INTERVAL: Duration = Duration::from_secs(10);

/// `getInfo`: the modules kurento-client-js checks for in strict mode, listing only what we implement.
pub(super) fn server_info() -> ServerInfo {
    let module = |name: &str, factories: &[&str]| ModuleInfo {
        name: name.into(),
        version: VERSION.into(),
        generation_time: GENERATION_TIME.into(),
        factories: factories
            .iter()
            .map(std::string::ToString::to_string)
            .collect(),
    };
    ServerInfo {
        version: VERSION.into(),
        modules: vec![
            module("core", &[Factory::MediaPipeline.name()]),
            module("elements", &[Factory::WebRtcEndpoint.name()]),
            module("filters", &[]),
        ],
        capabilities: vec![
            ServerInfo::CAPABILITY_TRANSACTIONS.into(),
            ServerInfo::CAPABILITY_ICE_RESTART.into(),
        ],
    }
}

impl Core {
    pub(crate) async fn invoke_manager(&self, op: ServerManagerOp) -> Result<Value, RpcError> {
        Ok(match op {
            ServerManagerOp::GetInfo => server_info().to_value(),
            ServerManagerOp::GetPipelines => {
                let st = self.lock();
                let mut ids: Vec<&kurento::ObjectId> = st
                    .objects
                    .values()
                    .filter(|o| o.class == Class::MediaPipeline)
                    .map(|o| &o.id)
                    .collect();
                ids.sort();
                serde_json::json!(ids)
            }
            ServerManagerOp::GetSessions => {
                let st = self.lock();
                let mut ids: Vec<_> = st.sessions.keys().collect();
                ids.sort();
                serde_json::json!(ids)
            }
            ServerManagerOp::GetMetadata => "".into(),
            ServerManagerOp::GetKmd { module_name } => {
                return Err(RpcError::new(
                    ErrorCode::ServerManagerErrorKmdNotFound,
                    format!("KMD of module '{module_name}' is not available from this server"),
                ));
            }
            ServerManagerOp::GetCpuCount => std::thread::available_parallelism()
                .map_or(1, std::num::NonZero::get)
                .into(),
            ServerManagerOp::GetUsedCpu { interval_ms } => {
                let ms = interval_ms.unwrap_or(1000);
                let interval = Duration::from_millis(ms).min(MAX_CPU_INTERVAL);
                sysinfo::used_cpu_percent(interval).await.into()
            }
            ServerManagerOp::GetUsedMemory => sysinfo::used_memory_kib().into(),
            ServerManagerOp::GetId | ServerManagerOp::GetName => SERVER_MANAGER.into(),
            ServerManagerOp::GetChildren => Value::Array(vec![]),
        })
    }
}
