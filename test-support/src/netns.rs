//! Network namespaces and veth pairs a test builds to get hosts of its own (a client, a TURN host, a NAT),
//! and always removes: [`Net`] is the guard, and dropping it deletes every namespace and link it made,
//! on success, failure or panic alike. Processes started inside a namespace (`ip netns exec`) must be
//! dropped before the `Net` (declare the `Net` first), so nothing keeps a deleted namespace alive.
//!
//! Needs root and `ip` (iproute2); [`unavailable`] says why a test cannot build them here. The kernel
//! here has no `dummy` link type, so every host gets its address on a veth end.

use std::net::Ipv4Addr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU8, Ordering};

use anyhow::{Context as _, bail};

/// Why a NAT cannot be made here (no `nft`, from Debian's nftables), or `None`.
pub fn nat_unavailable() -> Option<String> {
    match Command::new("nft").arg("--version").output() {
        Ok(out) if out.status.success() => None,
        _ => Some("nft is missing: install Debian's nftables (./scripts/test.sh does)".into()),
    }
}

/// Why namespaces cannot be made here (not root, no `ip`, or `ip netns add` refused), or `None`.
pub fn unavailable() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("needs root to create network namespaces".into());
    }
    // Unique per call: tests of one process ask at the same time.
    let probe = format!(
        "nsprobe{}x{}",
        std::process::id(),
        NEXT_NET.fetch_add(1, Ordering::Relaxed)
    );
    match Command::new("ip")
        .args(["netns", "add", &probe])
        .stderr(Stdio::piped())
        .output()
    {
        Err(e) => Some(format!("`ip` (iproute2) cannot run: {e}")),
        Ok(out) if !out.status.success() => Some(format!(
            "`ip netns add` refused: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(_) => {
            let _ = Command::new("ip").args(["netns", "del", &probe]).status();
            None
        }
    }
}

/// A /24 of 10.0.0.0/8 no other `Net` of this process uses (and, by the process id in the second octet,
/// unlikely to be used by another test process); host `n` of it is `10.a.b.n`.
#[derive(Debug, Clone, Copy)]
pub struct Subnet {
    a: u8,
    b: u8,
}

impl Subnet {
    /// Host `n` of the subnet.
    pub fn host(self, n: u8) -> Ipv4Addr {
        Ipv4Addr::new(10, self.a, self.b, n)
    }

    /// `10.a.b.0/24`, for routes.
    pub fn cidr(self) -> String {
        format!("10.{}.{}.0/24", self.a, self.b)
    }
}

/// Where one end of a veth pair lives: the test's own (root) namespace, or one the `Net` made.
#[derive(Debug, Clone, Copy)]
pub enum Side<'a> {
    /// The namespace the test runs in (where in-process servers listen).
    Root,
    /// A namespace made by [`Net::namespace`].
    Ns(&'a str),
}

/// The namespaces and links a test made; dropping it removes them all.
pub struct Net {
    tag: String,
    namespaces: Vec<String>,
    root_links: Vec<String>,
    next_link: u8,
}

static NEXT_SUBNET: AtomicU8 = AtomicU8::new(1);
static NEXT_NET: AtomicU8 = AtomicU8::new(0);

impl Net {
    /// An empty set; names are unique per process and per `Net` (they fit the 15-byte interface limit).
    pub fn new() -> Net {
        let n = NEXT_NET.fetch_add(1, Ordering::Relaxed);
        Net {
            tag: format!("t{}x{n}", std::process::id() % 100_000),
            namespaces: Vec::new(),
            root_links: Vec::new(),
            next_link: 0,
        }
    }

    /// A fresh /24 for one link: none this process handed out before, and none the test's namespace
    /// already has an address or route in (another test process, or another user of this machine, may
    /// have built namespaces of its own).
    pub fn subnet(&self) -> Subnet {
        let a = 150 + (std::process::id() % 100) as u8;
        let taken = Command::new("sh")
            .args(["-c", "ip -4 -o addr show; ip -4 route show"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        loop {
            let b = NEXT_SUBNET.fetch_add(1, Ordering::Relaxed);
            let subnet = Subnet { a, b };
            if b == u8::MAX || !taken.contains(&format!("10.{a}.{b}.")) {
                return subnet;
            }
        }
    }

    /// Makes a namespace with its loopback up; returns its name for [`Side::Ns`] and [`Net::exec`].
    pub fn namespace(&mut self, role: &str) -> anyhow::Result<String> {
        let name = format!("{}{role}", self.tag);
        ip(&["netns", "add", &name])?;
        self.namespaces.push(name.clone());
        ip(&["-n", &name, "link", "set", "lo", "up"])?;
        Ok(name)
    }

    /// A veth pair between `a` and `b`, up, with `a_ip`/24 on `a`'s end and `b_ip`/24 on `b`'s; returns
    /// the two interface names (for NAT rules).
    pub fn link(
        &mut self,
        a: Side<'_>,
        a_ip: Ipv4Addr,
        b: Side<'_>,
        b_ip: Ipv4Addr,
    ) -> anyhow::Result<(String, String)> {
        let n = self.next_link;
        self.next_link += 1;
        let (a_if, b_if) = (format!("{}l{n}a", self.tag), format!("{}l{n}b", self.tag));
        ip(&["link", "add", &a_if, "type", "veth", "peer", "name", &b_if])?;
        // Created in the root namespace; remembered there until moved, so a failure below still cleans up.
        self.root_links.push(a_if.clone());
        for (side, ifname, addr) in [(a, &a_if, a_ip), (b, &b_if, b_ip)] {
            if let Side::Ns(ns) = side {
                ip(&["link", "set", ifname, "netns", ns])?;
            }
            self.ip_in(side, &["addr", "add", &format!("{addr}/24"), "dev", ifname])?;
            self.ip_in(side, &["link", "set", ifname, "up"])?;
        }
        if !matches!(a, Side::Root) {
            self.root_links.retain(|l| l != &a_if);
        }
        if matches!(b, Side::Root) {
            self.root_links.push(b_if.clone());
        }
        Ok((a_if, b_if))
    }

    /// Makes `ns` a NAT router: forwarding on, and what leaves through `outside` gets its address
    /// (nftables `masquerade`, conntrack mapping the answers back).
    pub fn masquerade(&self, ns: &str, outside: &str) -> anyhow::Result<()> {
        self.forward(ns)?;
        let rules = format!(
            "table ip nat {{\n chain post {{\n  type nat hook postrouting priority 100;\n  oifname \"{outside}\" masquerade\n }}\n}}\n"
        );
        let out = Net::exec(ns, "nft")
            .args(["-f", "-"])
            .stdin(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write as _;
                child
                    .stdin
                    .take()
                    .expect("piped stdin")
                    .write_all(rules.as_bytes())?;
                child.wait_with_output()
            })?;
        anyhow::ensure!(
            out.status.success(),
            "nft refused the masquerade rule in {ns}"
        );
        Ok(())
    }

    /// `ip <args>` inside `side`.
    pub fn ip_in(&self, side: Side<'_>, args: &[&str]) -> anyhow::Result<()> {
        match side {
            Side::Root => ip(args),
            Side::Ns(ns) => {
                let mut all = vec!["-n", ns];
                all.extend_from_slice(args);
                ip(&all)
            }
        }
    }

    /// Turns IPv4 forwarding on in `ns` (new namespaces start with it off), making it a router.
    pub fn forward(&self, ns: &str) -> anyhow::Result<()> {
        let status = Command::new("ip")
            .args(["netns", "exec", ns, "sh", "-c"])
            .arg("echo 1 > /proc/sys/net/ipv4/ip_forward")
            .status()?;
        anyhow::ensure!(status.success(), "cannot enable forwarding in {ns}");
        Ok(())
    }

    /// A command that runs `program` inside `ns` (`ip netns exec`).
    pub fn exec(ns: &str, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", ns, program]);
        command
    }
}

impl Default for Net {
    fn default() -> Self {
        Net::new()
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        // Deleting a namespace destroys the veth ends inside it and so their peers; the root-side links
        // whose peer stayed in the root namespace are deleted by name.
        for ns in self.namespaces.drain(..) {
            let _ = Command::new("ip")
                .args(["netns", "del", &ns])
                .stderr(Stdio::null())
                .status();
        }
        for link in self.root_links.drain(..) {
            let _ = Command::new("ip")
                .args(["link", "del", &link])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Runs `ip <args>`, failing with its stderr.
fn ip(args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new("ip")
        .args(args)
        .stderr(Stdio::piped())
        .output()
        .context("running ip")?;
    if !out.status.success() {
        bail!(
            "ip {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}
