//! The gRPC surface: the server assembly (`server.rs`), the MediaSession and SessionAdmin services, health,
//! the bearer-token interceptor and the per-call metrics layer.

pub(crate) mod admin;
pub(crate) mod auth;
pub(crate) mod health;
pub(crate) mod rpc_metrics;
mod server;
pub(crate) mod service;

pub(crate) use server::{Keepalive, Services, serve};
