//! Seeded mutations of real frames, for the fuzz-style tests of both ends of the protocol (the kurento
//! client's and the media server's), so both are fuzzed the same way. Text edits at char boundaries (frames arrive as UTF-8 text),
//! truncation, and JSON-aware edits that keep most of a real frame intact so inputs reach deep paths.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

const CHARS: &[char] = &[
    '"', '{', '}', '[', ']', ',', ':', '\\', '0', '9', '-', '.', 'e', 'n', 't', ' ', '\u{0}', 'é',
    '😀', '\u{7f}', 'x', '/',
];
const KEYS: &[&str] = &[
    "id",
    "jsonrpc",
    "method",
    "params",
    "result",
    "error",
    "sessionId",
    "object",
    "operation",
    "operationParams",
    "value",
    "type",
    "data",
    "candidate",
    "code",
    "message",
    "operations",
];

/// A seeded source of frame mutations: the same seed gives the same sequence of edits.
pub struct Mutator {
    rng: StdRng,
}

impl Mutator {
    /// A mutator whose every choice follows from `seed`, so a failing case can be replayed.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// One of `items`, chosen uniformly; panics if `items` is empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.random_range(0..items.len())]
    }

    /// True with probability `p` (0.0 to 1.0); panics if `p` is outside that range.
    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    /// One to three mutations of `frame`.
    pub fn mutate(&mut self, frame: &str) -> String {
        let mut s = frame.to_owned();
        // Mostly one edit, so most frames stay close to real traffic and reach deep paths.
        let rounds = match self.rng.random_range(0..10) {
            0..=6 => 1,
            7 | 8 => 2,
            _ => 3,
        };
        for _ in 0..rounds {
            s = match self.rng.random_range(0..10) {
                0..=2 => self.text_edit(&s),
                3 => self.truncate(&s),
                _ => match serde_json::from_str::<Value>(&s) {
                    Ok(mut v) => {
                        self.json_edit(&mut v);
                        v.to_string()
                    }
                    Err(_) => self.text_edit(&s),
                },
            };
        }
        s
    }

    fn text_edit(&mut self, s: &str) -> String {
        let mut chars: Vec<char> = s.chars().collect();
        let at = self.rng.random_range(0..=chars.len());
        let c = *self.pick(CHARS);
        match self.rng.random_range(0..3) {
            0 => chars.insert(at, c),
            1 if at < chars.len() => chars[at] = c,
            _ if at < chars.len() => {
                chars.remove(at);
            }
            _ => chars.push(c),
        }
        chars.into_iter().collect()
    }

    fn truncate(&mut self, s: &str) -> String {
        let n = s.chars().count();
        let keep = self.rng.random_range(0..=n);
        s.chars().take(keep).collect()
    }

    /// Walks down to a random node and replaces it, drops one of its keys, or adds one.
    fn json_edit(&mut self, v: &mut Value) {
        let descend = self.chance(0.75);
        match v {
            Value::Object(o) if descend && !o.is_empty() => {
                let k = self.rng.random_range(0..o.len());
                if let Some((_, child)) = o.iter_mut().nth(k) {
                    return self.json_edit(child);
                }
            }
            Value::Array(a) if descend && !a.is_empty() => {
                let k = self.rng.random_range(0..a.len());
                return self.json_edit(&mut a[k]);
            }
            _ => {}
        }
        match (self.rng.random_range(0..3), &mut *v) {
            (0, Value::Object(o)) if !o.is_empty() => {
                let k = self.rng.random_range(0..o.len());
                let key = o.keys().nth(k).cloned().unwrap_or_default();
                o.remove(&key);
            }
            (1, Value::Object(o)) => {
                let key = self.pick(KEYS).to_string();
                let val = self.random_value();
                o.insert(key, val);
            }
            _ => *v = self.random_value(),
        }
    }

    fn random_value(&mut self) -> Value {
        match self.rng.random_range(0..16) {
            0 => Value::Null,
            1 => json!(true),
            2 => json!(0),
            3 => json!(-1),
            4 => json!(u64::MAX),
            5 => json!(i64::MIN),
            6 => json!(1.5e300),
            7 => json!(""),
            8 => json!("newref:0"),
            9 => json!("newref:18446744073709551616"),
            10 => json!("manager_ServerManager"),
            11 => Value::String("é😀\u{0}".repeat(self.rng.random_range(1..2000))),
            12 => json!([]),
            13 => Value::Object(Map::new()),
            14 => {
                // Deep nesting, sometimes past serde_json's recursion limit (128).
                let mut v = json!(1);
                for _ in 0..self.rng.random_range(1..160) {
                    v = json!([v]);
                }
                v
            }
            _ => {
                json!({"jsonrpc":"2.0","id":0,"method":"create","params":{"type":"MediaPipeline"}})
            }
        }
    }
}
