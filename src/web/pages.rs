//! Page templates: one minijinja environment (the renderer's style: embedded with
//! `include_str!`, strict undefined, HTML autoescaped) and the embedded stylesheet.
//!
//! May touch: nothing outside the binary.

use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

/// Every page template, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("message.html", include_str!("templates/message.html")),
    ("unit.html", include_str!("templates/unit.html")),
    ("login.html", include_str!("templates/login.html")),
    ("office.html", include_str!("templates/office.html")),
    ("board.html", include_str!("templates/board.html")),
    ("history.html", include_str!("templates/history.html")),
];

/// The stylesheet, served from the binary (no CDN).
const STYLE: &str = include_str!("static/style.css");

/// The page environment.
pub struct Pages {
    env: Environment<'static>,
}

impl Pages {
    /// Loads the embedded templates. They are part of the binary and tested, so a failure here
    /// is a build defect.
    pub fn new() -> Pages {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        // Every page is HTML: escape all output, whatever the template name says.
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.add_filter("urlencode", |v: String| percent(&v));
        for (name, src) in TEMPLATES {
            env.add_template(name, src)
                .unwrap_or_else(|e| panic!("embedded template {name}: {e}"));
        }
        Pages { env }
    }

    /// Renders `name` with `ctx` as a 200 page (or a plain 500 when the template fails).
    pub fn render(&self, name: &str, ctx: Value) -> Response {
        self.render_status(StatusCode::OK, name, ctx)
    }

    /// Renders with a status.
    pub fn render_status(&self, status: StatusCode, name: &str, ctx: Value) -> Response {
        match self.env.get_template(name).and_then(|t| t.render(ctx)) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(template = name, error = %e, "page template failed");
                super::plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "页面生成失败，请稍后再试。",
                )
            }
        }
    }
}

/// A template value from anything serialisable.
pub trait FromSerde {
    /// Wraps `v`.
    fn from_serde<T: serde::Serialize>(v: T) -> Value;
}

impl FromSerde for Value {
    fn from_serde<T: serde::Serialize>(v: T) -> Value {
        Value::from(minijinja::value::Serde(v))
    }
}

/// Percent-encodes a path segment or query value (everything but unreserved ASCII).
pub fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// HTML-escapes `s` (for the plain pages built without a template).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

/// `GET /static/style.css`.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        STYLE,
    )
        .into_response()
}

/// zh-CN name of a board state.
pub fn state_zh(s: &str) -> &'static str {
    match s {
        "red" => "红·逾期",
        "yellow" => "黄·临期",
        "blue" => "蓝·正常",
        "held" => "待审核",
        "done" => "已办结",
        _ => "未开始",
    }
}

/// What a state means, for the legend.
pub fn state_legend(s: &str) -> &'static str {
    match s {
        "red" => "已过截止日期",
        "yellow" => "3个工作日内截止",
        "blue" => "按计划推进",
        "held" => "已申请办结，督查办审核中",
        "done" => "30日内办结",
        _ => "本期尚未开始",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_compiles_and_escapes() {
        let p = super::Pages::new();
        let ctx = minijinja::context! { title => "t", base => "", text => "<script>x</script>" };
        let t = p
            .env
            .get_template("message.html")
            .unwrap()
            .render(ctx)
            .unwrap();
        assert!(t.contains("&lt;script&gt;"), "{t}");
    }
}
