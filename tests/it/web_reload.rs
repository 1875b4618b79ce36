//! The web pages follow SIGHUP like the reminders do: a user added to `web.users` can log in
//! after the reload, and a refused config leaves the pages as they were.

use std::process::Command;
use std::time::Duration;

use crate::web::{WebSite, wait};

fn hup(site: &WebSite) {
    let pid = site.pid();
    let ok = Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

fn log(site: &WebSite) -> String {
    std::fs::read_to_string(site.config().with_file_name("daemon.log")).unwrap_or_default()
}

#[test]
fn sighup_reloads_the_web_users_and_a_bad_reload_keeps_them() {
    let mut site = WebSite::new();
    site.start();
    assert_ne!(site.try_login("zhaowu").status, 303, "not a user yet");
    let text = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(site.config(), WebSite::with_second_user(&text)).unwrap();
    hup(&site);
    assert!(
        wait(Duration::from_secs(30), || site.try_login("zhaowu").status
            == 303),
        "the added user cannot log in after SIGHUP; log:\n{}",
        log(&site)
    );
    // A broken config is refused; the pages keep the last good one.
    site.break_config();
    hup(&site);
    assert!(
        wait(Duration::from_secs(30), || log(&site)
            .contains("reload refused")),
        "{}",
        log(&site)
    );
    assert_eq!(site.try_login("zhaowu").status, 303);
    assert_eq!(site.try_login("duchaban").status, 303);
}

/// The README's quick start sets no link key: the daemon makes one of its own in the state
/// directory, so every reminder still carries a link that opens the unit's page.
#[test]
fn without_a_configured_link_key_reminders_carry_working_links() {
    let mut site = WebSite::new();
    let mut cmd = site.cmd(&["run"]);
    cmd.env_remove("DUTYBELL_TEST_LINK_KEY");
    site.start_with(cmd);
    let key = site.config().with_file_name("state").join("link-key");
    let meta = std::fs::metadata(&key).expect("a key of its own in the state directory");
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
        0o600
    );
    let link = site.link_for("food").expect("a link in 食品室's reminder");
    let page = crate::web::http(site.port, "GET", &site.path_of(&link), &[], None);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("食品室"), "{}", page.body);
}

/// Digests carry signed links too: a section head's digest opens the unit's page; the bureau
/// digest for 局领导 opens the board.
#[test]
fn digests_carry_the_units_link_and_the_bureau_digest_the_board() {
    let mut site = WebSite::new();
    site.start();
    let port = site.port;
    let digests = || -> Vec<serde_json::Value> {
        std::fs::read_dir(site.outbox())
            .into_iter()
            .flatten()
            .filter_map(|e| std::fs::read(e.ok()?.path()).ok())
            .filter_map(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .filter(|n| n["kind"] == "digest")
            .collect()
    };
    let unit_link = format!("http://127.0.0.1:{port}/u/");
    let board_link = format!("http://127.0.0.1:{port}/b/");
    let has = |all: &[serde_json::Value], link: &str| {
        all.iter()
            .any(|n| n["text"].as_str().is_some_and(|t| t.contains(link)))
    };
    // The daemon writes the week's digests one by one after start: wait for both kinds.
    assert!(
        wait(Duration::from_secs(30), || {
            let all = digests();
            has(&all, &unit_link) && has(&all, &board_link)
        }),
        "no digest with a unit link and the board link: {:#?}",
        digests()
    );
    let all = digests();
    let with_board = all
        .iter()
        .filter(|n| n["text"].as_str().is_some_and(|t| t.contains(&board_link)))
        .count();
    assert!(
        with_board < all.len(),
        "only the bureau digest links the board"
    );
}
