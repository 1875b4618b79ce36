//! `dutybell send-test` end to end with the real binary: the file channel, a generic webhook
//! against a local axum server, email against aiosmtpd, and the failure exit codes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use mailparse::MailHeaderMap;

use crate::helpers::bin;

const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The bundled config, with absolute plan/calendar paths and its state under `dir`, edited.
fn temp_config(dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    let text = crate::helpers::bundled_config_text(&dir.join("state"));
    let path = dir.join("dutybell.yaml");
    std::fs::write(&path, edit(text)).unwrap();
    path
}

/// Runs the binary with only the given extra environment; returns (code, stdout, stderr).
async fn run(config: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = tokio::process::Command::new(bin());
    cmd.arg("--config").arg(config).args(args);
    cmd.env_remove("DUTYBELL_CONFIG")
        .env_remove("CREDENTIALS_DIRECTORY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().await.expect("run dutybell");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn file_channel_writes_a_test_message() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path(), |t| t);
    let (code, out, err) = run(&config, &["send-test", "file"], &[]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("ok: file: written "), "{out}");
    let outbox = dir.path().join("state/outbox");
    let files: Vec<_> = std::fs::read_dir(&outbox).unwrap().collect();
    assert_eq!(files.len(), 1);
    let body = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    let n: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        n["subject"].as_str().unwrap().contains("测试消息"),
        "{body}"
    );
    assert_eq!(n["kind"], "test");
}

type Seen = Arc<Mutex<Vec<(HeaderMap, String)>>>;

async fn hook_server() -> (SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let store = seen.clone();
    let app = axum::Router::new().route(
        "/hook/{token}",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let store = store.clone();
            async move {
                store.lock().unwrap().push((headers, body));
                "accepted"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, seen)
}

fn enable(channel: &str) -> impl Fn(String) -> String {
    let from = format!("  - id: {channel}\n    kind: ");
    move |t: String| {
        let start = t.find(&from).unwrap();
        let (head, tail) = t.split_at(start);
        format!(
            "{head}{}",
            tail.replacen("enabled: false", "enabled: true", 1)
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generic_webhook_receives_a_signed_test_message() {
    let (addr, seen) = hook_server().await;
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path(), enable("generic-hook"));
    let url = format!("http://{addr}/hook/t0ken-abc");
    let env = [
        ("DUTYBELL_GENERIC_URL", url.as_str()),
        ("DUTYBELL_GENERIC_SECRET", WHSEC),
    ];
    let (code, out, err) = run(&config, &["send-test", "generic-hook"], &env).await;
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.trim(), "ok: generic-hook: generic HTTP 200");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let (headers, body) = &seen[0];
    assert!(headers.get("webhook-signature").is_some());
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["type"], "reminder.test");
    assert_eq!(v["data"]["marker"], "测试消息");
    assert_eq!(v["data"]["channel"], "generic-hook");
    assert!(v["data"]["subject"].as_str().unwrap().contains("测试消息"));
}

#[tokio::test]
async fn failures_exit_1_for_sends_and_2_for_missing_secrets_without_leaking() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_config(dir.path(), |t| t);
    // A port nobody listens on: connection refused, classified and printed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{closed}/hook/t0ken-secret-77");
    let env = [
        ("DUTYBELL_GENERIC_URL", url.as_str()),
        ("DUTYBELL_GENERIC_SECRET", WHSEC),
    ];
    let (code, out, err) = run(&config, &["send-test", "generic-hook"], &env).await;
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("send-test generic-hook failed: transient"),
        "{err}"
    );
    assert!(!err.contains("t0ken-secret-77"), "{err}");

    let (code, _, err) = run(&config, &["send-test", "generic-hook"], &[]).await;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("environment variable DUTYBELL_GENERIC_URL is not set"),
        "{err}"
    );

    let (code, _, err) = run(&config, &["send-test", "wecom-fod"], &[]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown channel `wecom-fod`"), "{err}");
    let (code, _, err) = run(
        &config,
        &["send-test", "file", "--to", "a@example.org"],
        &[],
    )
    .await;
    assert_eq!(code, 2, "{err}");
}

#[tokio::test]
async fn smtp_sends_the_test_message_to_the_given_address() {
    let server =
        crate::smtp_harness::SmtpServer::start(&crate::smtp_harness::ServerOptions::default());
    let dir = tempfile::tempdir().unwrap();
    let port = server.port;
    let config = temp_config(dir.path(), move |t| {
        t.replace("host: smtp.example.org", "host: 127.0.0.1")
            .replace("port: 465", &format!("port: {port}"))
            .replace(
                "    tls: implicit\n    username: dutybell@example.org\n    password: { env: DUTYBELL_SMTP_PASSWORD }\n",
                "    tls: none\n",
            )
    });
    let args = ["send-test", "smtp", "--to", "tester@example.org"];
    let (code, out, err) = run(&config, &args, &[]).await;
    assert_eq!(code, 0, "{out}{err}\n{}", server.stderr());
    assert!(out.starts_with("ok: smtp: 250"), "{out}");
    let msgs = server.messages();
    assert_eq!(msgs.len(), 1);
    let mail = mailparse::parse_mail(&msgs[0]).unwrap();
    let subject = mail.headers.get_first_value("Subject").unwrap();
    assert_eq!(subject, "【督办提醒·测试消息】通道 smtp 连通性测试");
    assert!(
        mail.headers
            .get_first_value("To")
            .unwrap()
            .contains("tester@example.org")
    );
}

#[tokio::test]
async fn check_reports_template_errors_and_missing_secrets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("templates")).unwrap();
    let config = temp_config(dir.path(), |t| {
        let t = enable("wecom-food")(t);
        t.replace(
            "  timezone: Asia/Shanghai\n",
            "  timezone: Asia/Shanghai\n  templates: templates\n",
        )
    });
    let (code, out, err) = run(&config, &["check"], &[]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains(
            "warning: channel wecom-food: environment variable DUTYBELL_WECOM_FOOD_KEY is not set"
        ),
        "{err}"
    );
    std::fs::write(
        dir.path().join("templates/overdue.text.txt"),
        "一\n二 {{ task.titel }}\n",
    )
    .unwrap();
    let (code, _, err) = run(&config, &["check"], &[]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("templates/overdue.text.txt:2"), "{err}");
}
