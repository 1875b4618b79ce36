//! The web pages over real HTTP against the real binary (`dutybell run --now`, which plans,
//! sends to the file channel and serves the pages): signed-link refusals, GET never writes,
//! cross-site POSTs, escaping, body limits, office sessions, the office decisions, health and
//! metrics. The Chromium walk of the whole loop is in `web_browser.rs`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use dutybell::service::links::{LinkKey, LinkSigner};
use dutybell::store::Store;

use crate::helpers::{bin, bundled_config_text};

/// The link key the test daemons use (given through the environment, as in production).
pub const KEY: &str = "test-link-key-0123456789abcdef";
/// The office user's password (hashed into the config with cheap Argon2 parameters).
pub const PASSWORD: &str = "duchaban-Secret-pw-2026";
/// The instant the daemon runs at: the biennial drill 10.2 (led by food) falls due.
pub const NOW: &str = "2026-11-30T09:00";

/// A daemon with the bundled plan, the file channel and the web pages on a free port.
pub struct WebSite {
    pub dir: tempfile::TempDir,
    pub port: u16,
    /// The pages' socket, bound here and handed to each daemon this site starts
    /// ([`hand_socket`](crate::helpers::hand_socket)).
    listener: std::net::TcpListener,
    child: Option<Child>,
}

fn password_hash() -> String {
    use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version};
    let params = Params::new(1024, 1, 1, None).unwrap();
    let a = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    a.hash_password(PASSWORD.as_bytes()).unwrap().to_string()
}

impl WebSite {
    /// Writes the config (no daemon yet).
    pub fn new() -> WebSite {
        let dir = tempfile::tempdir().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let text = bundled_config_text(&dir.path().join("state"));
        let cut = text
            .find("\nweb:\n")
            .expect("the reference config has a web section");
        let web = format!(
            "\nweb:\n  bind: 127.0.0.1:{port}\n  public_url: http://127.0.0.1:{port}\n  keys:\n    - {{ id: k1, secret: {{ env: DUTYBELL_TEST_LINK_KEY }} }}\n  users:\n    - {{ name: duchaban, display: 督查办 李四, password_hash: \"{}\" }}\n",
            password_hash()
        );
        std::fs::write(
            dir.path().join("dutybell.yaml"),
            format!("{}{web}", &text[..cut]),
        )
        .unwrap();
        WebSite {
            dir,
            port,
            listener,
            child: None,
        }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("dutybell.yaml")
    }

    pub fn outbox(&self) -> PathBuf {
        self.dir.path().join("state/outbox")
    }

    /// A command on this site with the link key in its environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.arg("--config")
            .arg(self.config())
            .arg("--now")
            .arg(NOW)
            .args(args)
            .env("DUTYBELL_TEST_LINK_KEY", KEY)
            .env("RUST_LOG", "warn");
        c
    }

    /// Starts `dutybell run` and waits until the pages answer and the reminders are written.
    pub fn start(&mut self) {
        let cmd = self.cmd(&["run"]);
        self.start_with(cmd);
    }

    /// Starts `dutybell run` as `cmd` says (e.g. without the link key in its environment).
    pub fn start_with(&mut self, mut cmd: Command) {
        let log = std::fs::File::create(self.dir.path().join("daemon.log")).unwrap();
        crate::helpers::hand_socket(&mut cmd, &self.listener);
        let child = cmd.stdout(Stdio::null()).stderr(log).spawn().unwrap();
        self.child = Some(child);
        let ok = wait(Duration::from_secs(60), || {
            http(self.port, "GET", "/healthz", &[], None).status == 200
                && self.link_for("food").is_some()
        });
        assert!(
            ok,
            "the daemon did not come up with its pages and reminders"
        );
    }

    /// The unit link in the first reminder written for `unit` (from the message text).
    pub fn link_for(&self, unit: &str) -> Option<String> {
        // The 10.2 reminder (due today) is the one the tests follow.
        // A file is the unit's when its name (one reminder) or one of its members (a grouped
        // message, issue 12) is a reminder to the unit.
        let needle = format!("_{unit}_file-");
        let member = format!("|{unit}|file");
        // A dot file is the file channel's temporary name (written, then renamed): reading one
        // made the link appear in `start` and vanish at the next call, when the rename raced
        // the directory listing.
        let mine = |p: &PathBuf| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            if name.is_none_or(|n| n.starts_with('.')) {
                return false;
            }
            p.to_string_lossy().contains(&needle)
                || std::fs::read_to_string(p)
                    .ok()
                    .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                    .and_then(|v| {
                        v.pointer("/data/members")
                            .and_then(|m| m.as_array())
                            .cloned()
                    })
                    .is_some_and(|m| {
                        m.iter()
                            .any(|id| id.as_str().is_some_and(|s| s.ends_with(&member)))
                    })
        };
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.outbox())
            .ok()?
            .flatten()
            .map(|e| e.path())
            .filter(|p| mine(p))
            .collect();
        names.sort_by_key(|p| {
            !p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("10.2_")
        });
        let port = self.port;
        names.iter().find_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            let v: serde_json::Value = serde_json::from_str(&text).ok()?;
            let body = v["text"].as_str()?;
            let start = body.find(&format!("http://127.0.0.1:{port}/u/"))?;
            Some(
                body[start..]
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect(),
            )
        })
    }

    /// The path part of a link.
    pub fn path_of(&self, url: &str) -> String {
        url.replacen(&format!("http://127.0.0.1:{}", self.port), "", 1)
    }

    pub fn store(&self) -> dutybell::store::sqlite::SqliteStore {
        dutybell::store::sqlite::SqliteStore::open(self.dir.path().join("state/dutybell.db"))
            .unwrap()
    }

    /// The running daemon's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("started").id()
    }

    /// Posts the login form as `name` with the test password; the response.
    pub fn try_login(&self, name: &str) -> Resp {
        let page = http(self.port, "GET", "/login", &[], None);
        let pre = page.cookie("dutybell_login").unwrap();
        let csrf = page.hidden("csrf").unwrap();
        let body = format!("name={name}&password={}&csrf={csrf}", urlencode(PASSWORD));
        let c = format!("dutybell_login={pre}");
        http(self.port, "POST", "/login", &[("Cookie", &c)], Some(&body))
    }

    /// Logs in; returns the session cookie and the form token of the office page.
    pub fn login(&self) -> (String, String) {
        let r = self.try_login("duchaban");
        assert_eq!(r.status, 303, "{}", r.body);
        let session = r.cookie("dutybell_session").unwrap();
        let cookie = format!("dutybell_session={session}");
        let office = http(self.port, "GET", "/office", &[("Cookie", &cookie)], None);
        assert_eq!(office.status, 200);
        (cookie, office.hidden("csrf").unwrap())
    }
}

impl WebSite {
    /// `text` (this site's config) with a second office user, `zhaowu` (督查办 赵五), with the
    /// test password.
    pub fn with_second_user(text: &str) -> String {
        let duchaban = text
            .lines()
            .find(|l| l.contains("name: duchaban"))
            .unwrap()
            .to_string();
        let zhaowu = duchaban
            .replace("duchaban", "zhaowu")
            .replace("督查办 李四", "督查办 赵五");
        text.replacen(&duchaban, &format!("{duchaban}\n{zhaowu}"), 1)
    }

    /// Saves a broken config (`horizon_days: many`, refused by `check`); returns the good text.
    pub fn break_config(&self) -> String {
        let good = std::fs::read_to_string(self.config()).unwrap();
        std::fs::write(
            self.config(),
            good.replacen("horizon_days: 400", "horizon_days: many", 1),
        )
        .unwrap();
        good
    }

    /// SIGTERM, then the exit status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("started");
        let ok = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        c.wait().unwrap()
    }

    /// Waits for the daemon to exit (after a signal the test sent itself).
    pub fn exit_status(&mut self) -> std::process::ExitStatus {
        self.child.take().expect("started").wait().unwrap()
    }
}

impl Drop for WebSite {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub fn wait(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    cond()
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| v.split(';').next()?.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }

    /// The value of the first hidden input `name`.
    pub fn hidden(&self, name: &str) -> Option<String> {
        let at = self.body.find(&format!("name=\"{name}\" value=\""))?;
        let rest = &self.body[at + name.len() + 15..];
        Some(rest[..rest.find('"')?].to_owned())
    }
}

/// A minimal HTTP/1.1 client (one request per connection), so the tests control every header.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Resp {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return Resp {
            status: 0,
            headers: vec![],
            body: String::new(),
        };
    };
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    req.push_str("\r\n");
    if let Some(b) = body {
        req.push_str(b);
    }
    if s.write_all(req.as_bytes()).is_err() {
        return Resp {
            status: 0,
            headers: vec![],
            body: String::new(),
        };
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Resp {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// Everything a GET could change, as one comparable value.
fn snapshot(site: &WebSite) -> String {
    let s = site.store();
    let occ = s
        .occurrences(&Default::default())
        .unwrap()
        .iter()
        .map(|o| format!("{}={}", o.key, o.status))
        .collect::<Vec<_>>()
        .join(",");
    // The daemon keeps sending (pending -> sending -> sent) while the test runs; only what the
    // web could change is compared: cancelled and skipped rows, and the total.
    let st = s.status(jiff::Timestamp::UNIX_EPOCH).unwrap();
    let rows = st.counts.iter().map(|(_, n)| n).sum::<u64>();
    let occ = format!("{:x}", {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        occ.hash(&mut h);
        h.finish()
    });
    format!(
        "{:?}|{}|{:?}|{}|{:?}",
        (
            rows,
            st.count(dutybell::store::OutboxState::Cancelled),
            st.count(dutybell::store::OutboxState::Skipped)
        ),
        s.latest_progress().unwrap().len(),
        s.requests(&Default::default()).unwrap(),
        s.audit_log(1000).unwrap().len(),
        occ
    )
}

fn signer_with(key: &str, secret: &str, food_version: u32) -> LinkSigner {
    LinkSigner::new(
        vec![LinkKey::new(key, secret.as_bytes())],
        "http://x",
        60,
        BTreeMap::from([("food".to_owned(), food_version)]),
    )
    .unwrap()
}

#[test]
fn web_links_gets_csrf_escaping_limits_sessions_and_decisions() {
    let mut site = WebSite::new();
    site.start();
    let port = site.port;
    let link = site.link_for("food").unwrap();
    let path = site.path_of(&link);
    let now = jiff::civil::datetime(2026, 11, 30, 9, 0, 0, 0)
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .unwrap()
        .timestamp();

    // The link opens the unit's page with the occurrence the reminder was about.
    let page = http(port, "GET", &path, &[], None);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("10.2@2025-2026") && page.body.contains("食品室"));
    for (h, v) in [
        ("content-security-policy", "frame-ancestors 'none'"),
        ("referrer-policy", "no-referrer"),
        ("x-content-type-options", "nosniff"),
    ] {
        assert!(page.header(h).is_some_and(|x| x.contains(v)), "{h}");
    }
    assert!(
        !page
            .header("content-security-policy")
            .unwrap()
            .contains("unsafe-inline")
    );

    // Tampered, expired, revoked, wrong-key and unknown-key tokens: one plain refusal, no detail.
    let token = path.trim_start_matches("/u/");
    let mut chars: Vec<char> = token.chars().collect();
    chars[10] = if chars[10] == 'A' { 'B' } else { 'A' };
    let tampered: String = chars.into_iter().collect();
    let past = now
        .checked_sub(jiff::SignedDuration::from_hours(24 * 90))
        .unwrap();
    let bad = [
        tampered,
        signer_with("k1", KEY, 1).token(dutybell::service::links::Access::Unit, "food", None, past),
        signer_with("k1", KEY, 7).token(dutybell::service::links::Access::Unit, "food", None, now),
        signer_with("k1", "another-key-0123456789", 1).token(
            dutybell::service::links::Access::Unit,
            "food",
            None,
            now,
        ),
        signer_with("k9", KEY, 1).token(dutybell::service::links::Access::Unit, "food", None, now),
        "x".repeat(3000),
    ];
    // The same signer with the right key is accepted (so the refusals above are for their reason).
    let good =
        signer_with("k1", KEY, 1).token(dutybell::service::links::Access::Unit, "food", None, now);
    assert_eq!(
        http(port, "GET", &format!("/u/{good}"), &[], None).status,
        200
    );
    for t in &bad {
        let r = http(port, "GET", &format!("/u/{t}"), &[], None);
        assert!(r.status == 403 || r.status == 404, "{t}: {}", r.status);
        assert!(r.body.contains("链接无效或已过期"), "{}", r.body);
        for leak in [
            "expired",
            "signature",
            "revoked",
            "key",
            "malformed",
            "过期时间",
        ] {
            assert!(
                !r.body.to_lowercase().contains(leak),
                "{leak} leaked: {}",
                r.body
            );
        }
        // A bad token cannot post either.
        let p = http(
            port,
            "POST",
            &format!("/u/{t}"),
            &[],
            Some("occurrence=10.2%402025-2026&progress=x"),
        );
        assert!(p.status == 403 || p.status == 404);
    }

    // A GET on every route changes nothing.
    let (cookie, csrf) = site.login();
    let before = snapshot(&site);
    let board_link = signer_with("k1", KEY, 1).board_url(now);
    let board_path = board_link.trim_start_matches("http://x");
    for p in [
        "/".to_owned(),
        path.clone(),
        format!("{path}?ok=1"),
        "/login".into(),
        "/office".into(),
        "/board".into(),
        "/board?state=red&area=2".into(),
        "/board/h/10.2%402025-2026".into(),
        board_path.to_owned(),
        format!("{board_path}/h/10.2%402025-2026"),
        "/healthz".into(),
        "/metrics".into(),
        "/static/style.css".into(),
        "/logout".into(),
        "/office/requests/1".into(),
        "/nowhere".into(),
    ] {
        let r = http(port, "GET", &p, &[("Cookie", &cookie)], None);
        let log = std::fs::read_to_string(site.dir.path().join("daemon.log")).unwrap_or_default();
        assert!(r.status < 500, "{p}: {}\n{log}", r.status);
    }
    assert_eq!(snapshot(&site), before, "a GET changed the store");

    // Cross-site POSTs are refused before anything is recorded.
    let form = "occurrence=10.2%402025-2026&progress=cross";
    for h in [
        ("Sec-Fetch-Site", "cross-site"),
        ("Origin", "http://evil.example"),
    ] {
        let r = http(port, "POST", &path, &[h], Some(form));
        assert_eq!(r.status, 403, "{h:?}");
    }
    assert_eq!(snapshot(&site), before);

    // Oversized body: 413.
    let big = format!(
        "occurrence=10.2%402025-2026&progress={}",
        "a".repeat(40 * 1024)
    );
    assert_eq!(http(port, "POST", &path, &[], Some(&big)).status, 413);

    // A note with <script> is recorded and shown as text.
    let note = urlencode("演练方案已报批<script>alert(1)</script>");
    let r = http(
        port,
        "POST",
        &path,
        &[("Sec-Fetch-Site", "same-origin")],
        Some(&format!("occurrence=10.2%402025-2026&progress={note}")),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = http(port, "GET", &path, &[], None);
    assert!(
        page.body.contains("&lt;script&gt;alert(1)"),
        "not shown as text"
    );
    assert!(!page.body.contains("<script>alert"));

    // Office pages refuse without a session; a decision needs the form token.
    for p in ["/office", "/board", "/board/h/10.2%402025-2026", "/"] {
        let r = http(port, "GET", p, &[], None);
        assert_eq!(r.status, 303, "{p}");
        assert!(r.header("location").unwrap().ends_with("/login"));
    }
    assert_eq!(
        http(
            port,
            "POST",
            "/office/requests/1",
            &[],
            Some("csrf=x&verdict=confirm")
        )
        .status,
        303
    );
    let wrong = http(
        port,
        "POST",
        "/login",
        &[],
        Some("name=duchaban&password=nope&csrf=x"),
    );
    assert!(wrong.status == 403 || wrong.status == 401);
    let cookie_page = http(port, "GET", "/login", &[], None);
    assert!(
        cookie_page
            .header("set-cookie")
            .unwrap()
            .contains("HttpOnly")
    );
    assert!(
        cookie_page
            .header("set-cookie")
            .unwrap()
            .contains("SameSite=Strict")
    );

    // 申请延期 then granted: the due date moves and the occurrence's pending reminders follow.
    let ext = format!(
        "occurrence=10.2%402025-2026&progress=x&ask=extend&new_due=2026-12-20&ask_note={}",
        urlencode("演练场地冲突")
    );
    assert_eq!(http(port, "POST", &path, &[], Some(&ext)).status, 303);
    let req = site.store().requests(&Default::default()).unwrap()[0].clone();
    assert_eq!(req.new_due.unwrap().to_string(), "2026-12-20");
    let no_token = http(
        port,
        "POST",
        &format!("/office/requests/{}", req.id),
        &[("Cookie", &cookie)],
        Some("csrf=wrong&verdict=grant"),
    );
    assert_eq!(no_token.status, 403);
    let r = http(
        port,
        "POST",
        &format!("/office/requests/{}", req.id),
        &[("Cookie", &cookie)],
        Some(&format!("csrf={csrf}&verdict=grant")),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let s = site.store();
    assert_eq!(
        s.due_overrides().unwrap(),
        vec![("10.2@2025-2026".to_owned(), jiff::civil::date(2026, 12, 20))]
    );
    let occ = s.occurrence("10.2@2025-2026").unwrap().unwrap();
    assert_eq!(occ.due_date.unwrap().to_string(), "2026-12-20");
    let audit = s.audit_log(10).unwrap();
    assert!(
        audit.iter().any(|a| a.action == "request.granted"
            && a.actor.contains("duchaban")
            && a.address == "127.0.0.1"
            && a.after.contains("2026-12-20")),
        "{audit:?}"
    );

    // 申请办结 holds the reminders; 退办 re-opens them and tells the unit why.
    let done = format!(
        "occurrence=10.2%402025-2026&progress=y&ask=done&ask_note={}",
        urlencode("已完成")
    );
    assert_eq!(http(port, "POST", &path, &[], Some(&done)).status, 303);
    let s = site.store();
    let pending_before: Vec<_> = s
        .outbox_for_occurrence("10.2@2025-2026")
        .unwrap()
        .into_iter()
        .filter(|i| i.state == dutybell::store::OutboxState::Pending)
        .collect();
    assert!(
        pending_before.is_empty(),
        "held rows still pending: {pending_before:?}"
    );
    let req = s.requests(&Default::default()).unwrap()[0].clone();
    let refuse = format!(
        "csrf={csrf}&verdict=refuse&reason={}",
        urlencode("缺演练记录")
    );
    assert_eq!(
        http(
            port,
            "POST",
            &format!("/office/requests/{}", req.id),
            &[("Cookie", &cookie)],
            Some(&refuse)
        )
        .status,
        303
    );
    let rows = site
        .store()
        .outbox_for_occurrence("10.2@2025-2026")
        .unwrap();
    assert!(
        rows.iter()
            .any(|i| i.state == dutybell::store::OutboxState::Pending && i.stage != "web-refused"),
        "not re-opened"
    );
    let refusal = rows
        .iter()
        .find(|i| i.stage == "web-refused" && i.message.contains("缺演练记录"))
        .expect("the unit is told why");
    // Its own kind (not a check-in), the unit's link to answer from, no internal id.
    let n: serde_json::Value = serde_json::from_str(&refusal.message).unwrap();
    assert_eq!(n["kind"], "decision");
    assert_eq!(refusal.kind, dutybell::notify::MessageKind::Decision);
    let text = n["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("http://127.0.0.1:{port}/u/")),
        "{text}"
    );
    assert!(!text.contains("10.2@"), "{text}");
    // Deciding twice is refused.
    let again = http(
        port,
        "POST",
        &format!("/office/requests/{}", req.id),
        &[("Cookie", &cookie)],
        Some(&refuse),
    );
    assert!(again.header("location").unwrap_or("").contains("error="));

    // Health and metrics.
    let h = http(port, "GET", "/healthz", &[], None);
    let v: serde_json::Value = serde_json::from_str(&h.body).unwrap();
    assert_eq!(
        (v["store"].as_bool(), v["plan_loaded"].as_bool()),
        (Some(true), Some(true))
    );
    let m = http(port, "GET", "/metrics", &[], None).body;
    for name in [
        "dutybell_outbox_rows{state=\"pending\"}",
        "dutybell_web_requests_total",
        "dutybell_sends_total",
        "dutybell_send_duration_seconds",
        "dutybell_calendar_days_left",
        "dutybell_plan_last_sync_timestamp_seconds",
        "dutybell_outbox_dead_rows",
    ] {
        assert!(m.contains(name), "{name} missing from /metrics");
    }
    // The audit CLI lists the decisions.
    let out = site.cmd(&["audit"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("request.refused") && text.contains("request.granted"),
        "{text}"
    );
}
