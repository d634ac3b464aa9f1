//! The gRPC surface: the server assembly (`server.rs`), the MediaSession and SessionAdmin services, health,
//! the bearer-token interceptor, the per-call metrics layer and the connection caps (`incoming.rs`).

pub(crate) mod admin;
pub(crate) mod auth;
pub(crate) mod health;
mod incoming;
pub(crate) mod rpc_metrics;
mod server;
pub(crate) mod service;

pub(crate) use server::{Keepalive, Services, serve};
