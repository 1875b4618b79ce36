//! The secrets canary sweep, with the real binary: every secret kind gets a unique canary value
//! through env, file or systemd credential (SMTP password, WeCom key, DingTalk token and secret,
//! Feishu hook and secret, generic webhook URL and signing secret, web link key, PostgreSQL
//! password). The binary is driven through `check`, `run` (sent, retried and dead deliveries, an
//! operator alert), the web pages, `status`, `outbox`, every `export` format, `simulate`, `digest`,
//! `send-test` against an SMTP server that refuses the password, a bad config with an inline
//! secret and an unreachable PostgreSQL. Then every stdout/stderr, every file the run left
//! (database bytes with its WAL, outbox and export files) and every HTTP answer is searched for
//! each canary: none may appear. Positive controls first prove each canary was really used: it
//! arrives where the vendor needs it (the SMTP AUTH that succeeded, the webhook URLs).

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use base64::Engine as _;

use crate::daemon::wait_for;
use crate::helpers::{bin, bundled_config_text};
use crate::smtp_harness::{ServerOptions, SmtpServer, make_test_pki};
use crate::webhook::server::{Scenario, Server};

const NOW: &str = "2026-09-23T09:00:00+08:00";

/// One unique canary per secret kind (the process id keeps parallel runs apart).
fn canary(kind: &str) -> String {
    format!("CNRY{kind}x{:x}Q7", std::process::id())
}

/// Everything the binary said or wrote, with where it came from.
#[derive(Default)]
struct Seen(Vec<(String, Vec<u8>)>);

impl Seen {
    fn out(&mut self, what: &str, o: &Output) {
        self.0.push((format!("{what} stdout"), o.stdout.clone()));
        self.0.push((format!("{what} stderr"), o.stderr.clone()));
    }
    fn text(&mut self, what: &str, s: &str) {
        self.0.push((what.into(), s.as_bytes().to_vec()));
    }
    /// Every file under `dir` (the database and its WAL as bytes, outbox and export files).
    fn files(&mut self, dir: &Path, skip: &[&Path]) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if skip.iter().any(|s| p.starts_with(s)) {
                continue;
            }
            if p.is_dir() {
                self.files(&p, skip);
            } else if let Ok(b) = std::fs::read(&p) {
                self.0.push((p.display().to_string(), b));
            }
        }
    }
}

fn find(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// A GET on loopback with a plain HTTP/1.1 request; the whole answer (headers and body).
fn get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn no_secret_appears_in_any_output_file_database_or_page() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = rt.block_on(Server::start());
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let pki = root.join("pki");
    std::fs::create_dir(&pki).unwrap();
    let (ca, cert, key) = make_test_pki(&pki);

    let smtp_pw = canary("smtp");
    let wecom_key = canary("wecom");
    let ding_token = canary("dingtok");
    let ding_secret = format!("SEC{}", canary("dingsec"));
    let feishu_hook = canary("feishuhook");
    let feishu_secret = canary("feishusec");
    let generic_token = canary("genericurl");
    let generic_raw = canary("genericsec");
    let whsec = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(&generic_raw)
    );
    let link_key = canary("linkkey");
    let pg_pw = canary("pgpass");
    let hunted: Vec<(&str, String)> = vec![
        ("smtp password", smtp_pw.clone()),
        ("wecom key", wecom_key.clone()),
        ("dingtalk token", ding_token.clone()),
        ("dingtalk secret", ding_secret.clone()),
        ("feishu hook", feishu_hook.clone()),
        ("feishu secret", feishu_secret.clone()),
        ("generic url token", generic_token.clone()),
        ("generic secret (raw)", generic_raw.clone()),
        ("generic secret (whsec)", whsec.clone()),
        ("link key", link_key.clone()),
        ("pg password", pg_pw.clone()),
    ];

    // The vendors: WeCom fails transiently (retry), DingTalk rejects the signature (dead, and an
    // operator alert), Feishu and the generic receiver accept.
    let wecom = http.on("wecom", Scenario::status(500).body("busy"));
    let ding = http.on(
        "dingtalk",
        Scenario::status(200).body(r#"{"errcode":310000,"errmsg":"sign not match"}"#),
    );
    let feishu = http.on("feishu", Scenario::fixture("feishu_ok.json"));
    let generic = http.on("generic", Scenario::status(200).body("{}"));
    let smtp = SmtpServer::start(&ServerOptions {
        tls: Some((cert.clone(), key.clone())),
        implicit_tls: false,
        login: Some(("dutybell@example.org".into(), smtp_pw.clone())),
    });

    // Secrets by every route: env, file, systemd credential.
    let creds = root.join("creds");
    std::fs::create_dir(&creds).unwrap();
    std::fs::write(creds.join("ding-secret"), &ding_secret).unwrap();
    std::fs::write(creds.join("generic-secret"), &whsec).unwrap();
    std::fs::write(creds.join("link-key"), &link_key).unwrap();
    let pw_file = root.join("smtp.pass");
    std::fs::write(&pw_file, format!("{smtp_pw}\n")).unwrap();
    let feishu_file = root.join("feishu.secret");
    std::fs::write(&feishu_file, &feishu_secret).unwrap();

    let site = root.join("site");
    std::fs::create_dir(&site).unwrap();
    // Handed to the daemon below (`hand_socket`).
    let web = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let web_port = web.local_addr().unwrap().port();
    let reference = bundled_config_text(&site.join("state"));
    let (head, rest) = reference.split_once("\nchannels:\n").unwrap();
    let (_, events) = rest.split_once("\nevents:").unwrap();
    let channels = format!(
        "\nchannels:
  - {{ id: file, kind: file, dir: outbox }}
  - {{ id: smtp, kind: smtp, host: 127.0.0.1, port: {port}, tls: starttls, ca_file: {ca}, username: dutybell@example.org, password: {{ file: {pw} }}, from: {{ name: 督办提醒, email: dutybell@example.org }} }}
  - {{ id: wecom-food, kind: wecom, key: {{ env: DUTYBELL_WECOM_FOOD_KEY }}, mention_heads: true, base_url: \"{wecom}\" }}
  - {{ id: dingtalk-office, kind: dingtalk, token: {{ env: DUTYBELL_DINGTALK_TOKEN }}, secret: {{ credential: ding-secret }}, keyword: 督办提醒, base_url: \"{ding}\" }}
  - {{ id: feishu-leaders, kind: feishu, hook: {{ env: DUTYBELL_FEISHU_HOOK }}, secret: {{ file: {fs} }}, base_url: \"{feishu}\" }}
  - {{ id: generic-hook, kind: generic, url: {{ env: DUTYBELL_GENERIC_URL }}, secret: {{ credential: generic-secret }} }}
\nevents:",
        port = smtp.port,
        ca = ca.display(),
        pw = pw_file.display(),
        fs = feishu_file.display(),
    );
    let text = format!("{head}{channels}{events}")
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{web_port}"))
        .replace(
            "{ id: dev, secret: { env: DUTYBELL_LINK_KEY } }",
            "{ id: dev, secret: { credential: link-key } }",
        );
    let config = site.join("dutybell.yaml");
    std::fs::write(&config, &text).unwrap();
    let envs = [
        ("DUTYBELL_WECOM_FOOD_KEY", wecom_key.clone()),
        ("DUTYBELL_DINGTALK_TOKEN", ding_token.clone()),
        ("DUTYBELL_FEISHU_HOOK", feishu_hook.clone()),
        (
            "DUTYBELL_GENERIC_URL",
            format!("{generic}/hook/{generic_token}"),
        ),
        ("CREDENTIALS_DIRECTORY", creds.display().to_string()),
        ("DUTYBELL_PG_PASSWORD", pg_pw.clone()),
        ("DUTYBELL_NOW", NOW.into()),
        ("RUST_LOG", "debug".into()),
    ];
    let cmd = |args: &[&str], cfg: &Path| {
        let mut c = Command::new(bin());
        c.args(args).arg("--config").arg(cfg).current_dir(&site);
        for (k, v) in &envs {
            c.env(k, v);
        }
        c
    };
    let mut seen = Seen::default();

    let o = cmd(&["check"], &config).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    seen.out("check", &o);

    // The daemon, logging at debug level, with the web pages.
    let log = root.join("run.log");
    let mut d = cmd(&["run"], &config);
    crate::helpers::hand_socket(&mut d, &web);
    let mut d = d
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let arrived = wait_for(Duration::from_secs(90), || {
        ["wecom", "dingtalk", "feishu", "generic"]
            .iter()
            .all(|n| !http.hits(n).is_empty())
            && !smtp.messages().is_empty()
            && std::fs::read_dir(site.join("state/outbox"))
                .map(|d| {
                    d.flatten()
                        .any(|e| e.file_name().to_string_lossy().starts_with("operator_"))
                })
                .unwrap_or(false)
    });
    let link = cmd(&["link", "--unit", "food"], &config).output().unwrap();
    seen.out("link", &link);
    let link = String::from_utf8_lossy(&link.stdout).trim().to_owned();
    let path = link
        .split_once(&format!("127.0.0.1:{web_port}"))
        .map(|(_, p)| p.to_owned())
        .unwrap_or_else(|| panic!("no link: {link}"));
    for p in [
        "/healthz",
        "/metrics",
        "/login",
        path.as_str(),
        "/board",
        "/nope",
    ] {
        let answer = get(web_port, p);
        assert!(answer.starts_with("HTTP/1.1"), "{p}: {answer}");
        seen.text(&format!("GET {p}"), &answer);
    }
    Command::new("kill")
        .args(["-TERM", &d.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(d.wait().unwrap().code(), Some(0));
    let run_log = std::fs::read_to_string(&log).unwrap();
    assert!(arrived, "not every channel was used:\n{run_log}");
    seen.text("run stderr", &run_log);

    // Positive controls: each canary was really in use.
    let auth = smtp.events_of("auth");
    assert!(
        auth.iter().any(|a| a["ok"] == true),
        "SMTP AUTH with the canary: {auth:?}"
    );
    assert!(http.hits("wecom")[0].query_param("key").as_deref() == Some(wecom_key.as_str()));
    assert_eq!(
        http.hits("dingtalk")[0]
            .query_param("access_token")
            .as_deref(),
        Some(ding_token.as_str())
    );
    assert!(http.hits("feishu")[0].path.contains(&feishu_hook));
    assert!(http.hits("generic")[0].path.contains(&generic_token));

    // The operator commands on the state the run left.
    for args in [
        &["status"][..],
        &["outbox"],
        &["outbox", "--state", "dead"],
        &["outbox", "--state", "retry"],
        &["digest", "--unit", "catering"],
        &["plan", "--from", "2026-09-21", "--to", "2026-09-25"],
    ] {
        let o = cmd(args, &config).output().unwrap();
        seen.out(&args.join(" "), &o);
    }
    let exports = site.join("exports");
    std::fs::create_dir(&exports).unwrap();
    for (fmt, extra) in [
        ("xlsx", None),
        ("csv", None),
        ("md", None),
        ("ics", Some("food")),
    ] {
        let out = exports.join(format!("plan.{fmt}"));
        let mut args = vec!["export", "--format", fmt, "-o", out.to_str().unwrap()];
        if let Some(u) = extra {
            args.extend(["--unit", u]);
        }
        let o = cmd(&args, &config).output().unwrap();
        assert!(
            o.status.success(),
            "export {fmt}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        seen.out(&format!("export {fmt}"), &o);
    }
    let sim = site.join("sim");
    let o = cmd(
        &[
            "simulate",
            "--from",
            "2026-09-21",
            "--to",
            "2026-09-25",
            "--out",
            sim.to_str().unwrap(),
        ],
        &config,
    )
    .output()
    .unwrap();
    assert!(
        o.status.success(),
        "simulate: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    seen.out("simulate", &o);

    // Error paths: the SMTP server refuses the password; a webhook send-test into a 500.
    let strict = SmtpServer::start(&ServerOptions {
        tls: Some((cert, key)),
        implicit_tls: false,
        login: Some(("dutybell@example.org".into(), "another-password".into())),
    });
    let refused_cfg = site.join("refused.yaml");
    std::fs::write(
        &refused_cfg,
        text.replace(
            &format!("port: {}", smtp.port),
            &format!("port: {}", strict.port),
        ),
    )
    .unwrap();
    let o = cmd(&["send-test", "smtp"], &refused_cfg).output().unwrap();
    assert!(
        !o.status.success(),
        "AUTH must fail: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(strict.events_of("auth").iter().any(|a| a["ok"] == false));
    seen.out("send-test smtp (refused)", &o);
    let o = cmd(&["send-test", "wecom-food"], &config).output().unwrap();
    seen.out("send-test wecom (500)", &o);

    // A bad config with the canary written inline, and one naming a missing credential.
    // Outside the searched directory: it holds the canary on purpose.
    let bad = root.join("bad.yaml");
    std::fs::write(
        &bad,
        text.replace(
            &format!("password: {{ file: {} }}", pw_file.display()),
            &format!("password: \"{smtp_pw}\""),
        )
        .replace(
            "{ credential: ding-secret }",
            "{ credential: ding-secret-missing }",
        ),
    )
    .unwrap();
    let o = cmd(&["check"], &bad).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    seen.out("check (inline secret)", &o);
    let o = cmd(&["run"], &bad).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    seen.out("run (inline secret)", &o);

    // PostgreSQL: the password comes from the environment; the server does not answer.
    let pg_cfg = site.join("pg.yaml");
    std::fs::write(
        &pg_cfg,
        text.replacen(
            "settings:\n",
            "settings:\n  store: postgres://dutybell@127.0.0.1:1/dutybell?sslmode=disable\n",
            1,
        ),
    )
    .unwrap();
    let o = cmd(&["status"], &pg_cfg).output().unwrap();
    assert!(!o.status.success());
    seen.out("status (postgres unreachable)", &o);

    // Everything the site directory holds: database (+ WAL), outbox, exports, simulation.
    let skip: [&Path; 0] = [];
    seen.files(&site, &skip);
    let mut db_seen = false;
    for (what, _) in &seen.0 {
        db_seen |= what.ends_with("dutybell.db");
    }
    assert!(db_seen, "the database file was searched");

    let mut hits = Vec::new();
    for (kind, value) in &hunted {
        for (what, bytes) in &seen.0 {
            if find(bytes, value) {
                hits.push(format!("{kind} in {what}"));
            }
        }
    }
    println!(
        "secrets canary sweep: {} canaries × {} places searched ({} bytes): {} hits",
        hunted.len(),
        seen.0.len(),
        seen.0.iter().map(|(_, b)| b.len()).sum::<usize>(),
        hits.len()
    );
    assert!(hits.is_empty(), "secrets leaked:\n{}", hits.join("\n"));
}
