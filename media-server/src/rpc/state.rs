//! The registry behind the protocol (KMS's MediaSet): objects, Kurento JSON-RPC sessions
//! ([`RpcSession`]), their references, and which connection each session is bound to. Plain data; no
//! I/O and no awaiting, so it lives under one mutex.

use super::objects::{Class, MediaObject};
use super::outbox::Outbox;
use kurento::{EventType, ObjectId, RpcSessionId};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Identifies one WebSocket connection for the server's lifetime.
pub(crate) type ConnId = u64;

/// A registered Kurento JSON-RPC session (what `sessionId` names; not a gateway MediaSession).
#[derive(Debug, Default)]
pub(crate) struct RpcSession {
    /// Objects this session holds a reference to.
    pub objects: HashSet<ObjectId>,
    /// Set by binding, `connect` and `keepAlive`; cleared by each GC run.
    pub in_use: bool,
}

/// An open connection: where its events go, and the session it is bound to.
#[derive(Debug)]
pub(crate) struct Connection {
    pub events: Arc<Outbox>,
    pub session: Option<RpcSessionId>,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub objects: HashMap<ObjectId, MediaObject>,
    pub sessions: HashMap<RpcSessionId, RpcSession>,
    pub connections: HashMap<ConnId, Connection>,
    /// session -> the connection it is bound to (the newest binding wins).
    pub bindings: HashMap<RpcSessionId, ConnId>,
    /// The ServerManager's subscriptions (event type -> session -> ids); it is not in `objects`.
    pub manager_subscriptions: Subscriptions,
}

/// event type -> session -> subscription ids. One handler per (session, object, type).
pub(crate) type Subscriptions = HashMap<EventType, HashMap<RpcSessionId, HashSet<String>>>;

/// Live counts, for operators and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Rpc sessions registered.
    pub sessions: usize,
    /// MediaPipelines alive.
    pub pipelines: usize,
    /// WebRtcEndpoints alive.
    pub endpoints: usize,
    /// WebSocket connections open.
    pub connections: usize,
}

impl State {
    pub(crate) fn counts(&self) -> Counts {
        let of = |c: Class| self.objects.values().filter(|o| o.class == c).count();
        Counts {
            sessions: self.sessions.len(),
            pipelines: of(Class::MediaPipeline),
            endpoints: of(Class::WebRtcEndpoint),
            connections: self.connections.len(),
        }
    }

    /// Registers `session` if it is new (KMS takes over unknown ids silently).
    pub(crate) fn register_session(&mut self, session: &str) {
        if !self.sessions.contains_key(session) {
            self.sessions.insert(session.into(), RpcSession::default());
        }
    }

    /// Binds `session` to `conn`: the connection moves to that session and the session to that connection.
    pub(crate) fn bind(&mut self, conn: ConnId, session: &str) {
        let Some(c) = self.connections.get_mut(&conn) else {
            return;
        };
        if let Some(old) = c.session.replace(session.into())
            && old.as_str() != session
            && self.bindings.get(&old) == Some(&conn)
        {
            self.bindings.remove(&old);
        }
        if let Some(prev) = self.bindings.insert(session.into(), conn)
            && prev != conn
            && let Some(p) = self.connections.get_mut(&prev)
        {
            // The older connection keeps talking, but without its session (KMS: newest wins).
            p.session = None;
        }
        self.mark(session);
    }

    /// Marks a registered session as in use.
    pub(crate) fn mark(&mut self, session: &str) {
        if let Some(s) = self.sessions.get_mut(session) {
            s.in_use = true;
        }
    }

    /// Forgets a closed connection; its session stays until the garbage collector takes it.
    pub(crate) fn remove_connection(&mut self, conn: ConnId) {
        let Some(c) = self.connections.remove(&conn) else {
            return;
        };
        // Frees its waiting frames now, even if a delivery still holds the outbox.
        c.events.close();
        if let Some(s) = c.session
            && self.bindings.get(&s) == Some(&conn)
        {
            self.bindings.remove(&s);
        }
    }

    /// Session `session` takes a reference to `object` (registering the session).
    pub(crate) fn add_ref(&mut self, session: &str, object: &ObjectId) {
        self.register_session(session);
        if let Some(o) = self.objects.get_mut(object) {
            o.sessions.insert(session.into());
            if let Some(s) = self.sessions.get_mut(session) {
                s.objects.insert(object.clone());
            }
        }
    }

    /// Drops `session`'s reference to `object`; returns the objects destroyed because nobody holds them.
    pub(crate) fn unref(&mut self, session: &str, object: &ObjectId) -> Vec<MediaObject> {
        if let Some(s) = self.sessions.get_mut(session) {
            s.objects.remove(object);
        }
        let orphan = match self.objects.get_mut(object) {
            Some(o) => {
                o.sessions.remove(session);
                o.sessions.is_empty()
            }
            None => false,
        };
        if orphan {
            self.remove_tree(object)
        } else {
            Vec::new()
        }
    }

    /// Removes `id` and all its children from the registry (and from every session); the caller
    /// releases their media.
    pub(crate) fn remove_tree(&mut self, id: &ObjectId) -> Vec<MediaObject> {
        let mut out = Vec::new();
        let Some(obj) = self.objects.remove(id) else {
            return out;
        };
        if let Some(parent) = obj.parent.as_ref().and_then(|p| self.objects.get_mut(p)) {
            parent.children.remove(id);
        }
        for s in &obj.sessions {
            if let Some(sess) = self.sessions.get_mut(s) {
                sess.objects.remove(id);
            }
        }
        for child in obj.children.clone() {
            out.extend(self.remove_tree(&child));
        }
        // Elements that sent media here lose this sink.
        for o in self.objects.values_mut() {
            if let Some(w) = o.webrtc.as_mut() {
                w.sinks.remove(id);
            }
        }
        out.push(obj);
        out
    }

    /// Removes a session and the references it held; returns the objects nobody holds any more.
    pub(crate) fn drop_session(&mut self, session: &str, release_all: bool) -> Vec<MediaObject> {
        let Some(s) = self.sessions.remove(session) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for id in s.objects {
            let orphan = match self.objects.get_mut(&id) {
                Some(o) => {
                    o.sessions.remove(session);
                    release_all || o.sessions.is_empty()
                }
                None => false,
            };
            if orphan {
                out.extend(self.remove_tree(&id));
            }
        }
        for o in self.objects.values_mut() {
            for subs in o.subscriptions.values_mut() {
                subs.remove(session);
            }
        }
        for subs in self.manager_subscriptions.values_mut() {
            subs.remove(session);
        }
        if let Some(conn) = self.bindings.remove(session)
            && let Some(c) = self.connections.get_mut(&conn)
        {
            c.session = None;
        }
        out
    }

    /// One garbage-collector run: sessions bound to an open connection or marked since the last run
    /// survive (and lose their mark); the others are dropped. Returns the objects to release.
    pub(crate) fn collect_garbage(&mut self) -> (Vec<RpcSessionId>, Vec<MediaObject>) {
        let mut doomed = Vec::new();
        for (id, s) in &mut self.sessions {
            let bound = self
                .bindings
                .get(id)
                .is_some_and(|c| self.connections.contains_key(c));
            if !bound && !s.in_use {
                doomed.push(id.clone());
            }
            s.in_use = false;
        }
        let mut released = Vec::new();
        for id in &doomed {
            released.extend(self.drop_session(id.as_str(), false));
        }
        (doomed, released)
    }

    /// The subscription table of `object` (the ServerManager's or a live object's).
    pub(crate) fn subscriptions_mut(&mut self, object: &ObjectId) -> Option<&mut Subscriptions> {
        if object.is_server_manager() {
            Some(&mut self.manager_subscriptions)
        } else {
            self.objects.get_mut(object).map(|o| &mut o.subscriptions)
        }
    }

    /// The pipeline `object` belongs to (itself for a pipeline, the ServerManager or an unknown id):
    /// the key its events are queued under on each connection.
    pub(crate) fn pipeline_of<'a>(&'a self, object: &'a str) -> &'a str {
        let mut id = object;
        // Bounded: a tree of live objects has no cycles, and ours is two levels deep.
        for _ in 0..8 {
            match self.objects.get(id).and_then(|o| o.parent.as_ref()) {
                Some(parent) => id = parent.as_str(),
                None => break,
            }
        }
        id
    }

    /// The queues of the connections that should get an event of `event_type` raised by `object`:
    /// one per subscribed session that is bound to an open connection right now.
    pub(crate) fn event_targets(&self, object: &str, event_type: EventType) -> Vec<Arc<Outbox>> {
        let subs = if object == kurento::SERVER_MANAGER {
            self.manager_subscriptions.get(&event_type)
        } else {
            self.objects
                .get(object)
                .and_then(|o| o.subscriptions.get(&event_type))
        };
        let Some(subs) = subs else {
            return Vec::new();
        };
        self.session_targets(
            subs.iter()
                .filter(|(_, ids)| !ids.is_empty())
                .map(|(s, _)| s),
        )
    }

    /// The bound connections of `sessions` (skipping unbound ones, whose events are dropped).
    pub(crate) fn session_targets<'a>(
        &self,
        sessions: impl Iterator<Item = &'a RpcSessionId>,
    ) -> Vec<Arc<Outbox>> {
        sessions
            .filter_map(|s| match self.bindings.get(s).and_then(|c| self.connections.get(c)) {
                Some(c) => Some(Arc::clone(&c.events)),
                None => {
                    tracing::debug!(session = %s, "event dropped: session not bound to a connection");
                    None
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_conn(s: &mut State, id: ConnId) -> Arc<Outbox> {
        let events = Arc::new(Outbox::new(Default::default()));
        s.connections.insert(
            id,
            Connection {
                events: Arc::clone(&events),
                session: None,
            },
        );
        events
    }

    #[test]
    fn newest_binding_wins() {
        let mut s = State::default();
        let _a = with_conn(&mut s, 1);
        let _b = with_conn(&mut s, 2);
        s.register_session("S");
        s.bind(1, "S");
        s.bind(2, "S");
        assert_eq!(s.bindings.get("S"), Some(&2));
        assert_eq!(s.connections[&1].session, None);
        s.remove_connection(1);
        assert_eq!(s.bindings.get("S"), Some(&2));
        s.remove_connection(2);
        assert!(s.bindings.is_empty());
    }

    #[test]
    fn gc_takes_two_runs_after_the_socket_closes() {
        let mut s = State::default();
        let _a = with_conn(&mut s, 1);
        s.register_session("S");
        s.objects.insert(
            "P".into(),
            MediaObject::new(Class::MediaPipeline, "P".into(), None, 0),
        );
        s.add_ref("S", &"P".into());
        s.bind(1, "S");
        assert!(s.collect_garbage().0.is_empty());
        s.remove_connection(1);
        s.mark("S");
        assert!(s.collect_garbage().0.is_empty());
        let (gone, released) = s.collect_garbage();
        assert_eq!(gone, vec![RpcSessionId::new("S")]);
        assert_eq!(released.len(), 1);
        assert_eq!(s.counts(), Counts::default());
    }
}
