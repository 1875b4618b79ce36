//! Rendering: reminders, operator alerts and test messages into channel-neutral
//! [`Notification`](crate::notify::Notification)s, through one minijinja environment.
//!
//! zh-CN templates ship in the binary (`src/render/templates/`, embedded with `include_str!`);
//! any of them can be replaced file by file from `settings.templates`. Pure apart from reading the
//! override files once in [`Renderer::new`]. HTML templates (`*.html`) are autoescaped, markdown
//! templates (`*.md`) make every value inert for chat markdown ([`crate::notify::literal::chat_md`]), text and
//! subject templates print values as they are. Variables: `docs/TEMPLATES.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

/// The auto-escape name of chat-markdown templates (`*.md`).
const CHAT_MD: &str = "chat-md";

use crate::notify::MessageKind;

pub mod context;
pub mod group;
mod message;
pub(crate) mod sample;
pub mod status;
pub mod wording;
#[cfg(test)]
mod wording_tests;

pub use message::{
    head_name, notification, notification_linked, operator_alert, reminder_context, test_message,
};

/// Template stages: one per message kind that has templates.
pub const STAGES: [&str; 11] = [
    "campaign_opening",
    "lead",
    "due_today",
    "overdue",
    "escalation",
    "checkin",
    "group",
    "digest",
    "digest_bureau",
    "operator_alert",
    "test",
];

/// Formats: `{stage}.{format}` is a template file name.
pub const FORMATS: [&str; 4] = ["subject.txt", "text.txt", "html", "md"];

/// Shared layouts the reminder stages extend.
pub const LAYOUTS: [&str; 4] = [
    "_reminder.text.txt",
    "_reminder.html",
    "_reminder.md",
    "_answer.text.txt",
];

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("templates/", $name)))),*]
    };
}

/// Every built-in template, by file name.
const EMBEDDED: &[(&str, &str)] = embedded!(
    "_reminder.text.txt",
    "_reminder.html",
    "_reminder.md",
    "_answer.text.txt",
    "group.subject.txt",
    "group.text.txt",
    "group.html",
    "group.md",
    "campaign_opening.subject.txt",
    "campaign_opening.text.txt",
    "campaign_opening.html",
    "campaign_opening.md",
    "lead.subject.txt",
    "lead.text.txt",
    "lead.html",
    "lead.md",
    "due_today.subject.txt",
    "due_today.text.txt",
    "due_today.html",
    "due_today.md",
    "overdue.subject.txt",
    "overdue.text.txt",
    "overdue.html",
    "overdue.md",
    "escalation.subject.txt",
    "escalation.text.txt",
    "escalation.html",
    "escalation.md",
    "checkin.subject.txt",
    "checkin.text.txt",
    "checkin.html",
    "checkin.md",
    "digest.subject.txt",
    "digest.text.txt",
    "digest.html",
    "digest.md",
    "digest_bureau.subject.txt",
    "digest_bureau.text.txt",
    "digest_bureau.html",
    "digest_bureau.md",
    "operator_alert.subject.txt",
    "operator_alert.text.txt",
    "operator_alert.html",
    "operator_alert.md",
    "test.subject.txt",
    "test.text.txt",
    "test.html",
    "test.md",
);

/// Why rendering (or loading templates) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// A template does not compile or fails to render. `file` is the override path or
    /// `built-in:NAME`; `line` is minijinja's line.
    #[error("template {file}{}: {detail}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Template {
        /// Where the template came from.
        file: String,
        /// Line in that file.
        line: Option<usize>,
        /// minijinja's description.
        detail: String,
    },
    /// The override directory or a file in it cannot be read, or holds an unknown file name.
    #[error("templates {path}: {reason}")]
    Override {
        /// Directory or file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The reminder names a task, unit or head the catalog does not have.
    #[error("cannot render {what}: not in the catalog")]
    Unknown {
        /// E.g. `task 4.2`, `recipient food#head`.
        what: String,
    },
    /// This message kind is not rendered here (digests have their own module).
    #[error("message kind {0:?} has no reminder templates")]
    Unsupported(MessageKind),
}

/// The rendered formats of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// One line.
    pub subject: String,
    /// Plain text.
    pub text: String,
    /// HTML (autoescaped).
    pub html: String,
    /// Chat markdown.
    pub markdown: String,
}

/// The template set, compiled once.
pub struct Renderer {
    env: Environment<'static>,
    /// Override file paths by template name.
    overridden: BTreeMap<String, PathBuf>,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("overridden", &self.overridden)
            .finish_non_exhaustive()
    }
}

/// The template stage of a message kind (`lead`, `due_today`, …, `digest`).
pub fn kind_name(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::CampaignOpening => "campaign_opening",
        MessageKind::Lead => "lead",
        MessageKind::DueToday => "due_today",
        MessageKind::Overdue => "overdue",
        MessageKind::Escalation => "escalation",
        MessageKind::Checkin => "checkin",
        MessageKind::Digest => "digest",
        MessageKind::Decision => "decision",
        MessageKind::OperatorAlert => "operator_alert",
        MessageKind::Test => "test",
    }
}

impl Renderer {
    /// Loads and compiles every template: the built-in ones, each replaced by a file of the same
    /// name in `overrides` when present.
    ///
    /// # Errors
    /// [`RenderError::Override`] when the directory or a file cannot be read or the directory
    /// holds a file that is not a template name (a typo would otherwise be silently ignored);
    /// [`RenderError::Template`] with the file and line when a template does not compile.
    pub fn new(overrides: Option<&Path>) -> Result<Renderer, RenderError> {
        let mut files: BTreeMap<String, (String, Option<PathBuf>)> = EMBEDDED
            .iter()
            .map(|(n, s)| ((*n).to_owned(), ((*s).to_owned(), None)))
            .collect();
        if let Some(dir) = overrides {
            for (name, path) in override_files(dir)? {
                // Through `config::source`, as the plan is: a sleeping daemon wakes with these.
                let src = crate::config::source::read_to_string(&path).map_err(|reason| {
                    RenderError::Override {
                        path: path.display().to_string(),
                        reason,
                    }
                })?;
                files.insert(name, (src, Some(path)));
            }
        }
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // Block tags on their own lines vanish from the output, so templates stay readable.
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| RenderError::Template {
                file: "syntax".into(),
                line: None,
                detail: e.to_string(),
            })?;
        env.set_syntax(syntax);
        // Values are data: HTML templates escape them for HTML, markdown templates make them
        // inert for chat markdown (`notify::literal::chat_md`); `|safe` opts a value out.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else if name.ends_with(".md") {
                AutoEscape::Custom(CHAT_MD.into())
            } else {
                AutoEscape::None
            }
        });
        env.set_formatter(|out, state, value| {
            if matches!(state.auto_escape(), AutoEscape::Custom(n) if n == CHAT_MD) {
                if value.is_safe() {
                    return write!(out, "{value}").map_err(minijinja::Error::from);
                }
                let text = value.to_string();
                return out
                    .write_str(&crate::notify::literal::chat_md(&text))
                    .map_err(minijinja::Error::from);
            }
            minijinja::escape_formatter(out, state, value)
        });
        let mut r = Renderer {
            env: Environment::new(),
            overridden: BTreeMap::new(),
        };
        for (name, (src, path)) in files {
            if let Some(p) = path {
                r.overridden.insert(name.clone(), p);
            }
            if let Err(e) = env.add_template_owned(name, src) {
                return Err(r.template_error(&e));
            }
        }
        r.env = env;
        Ok(r)
    }

    /// Template names replaced from the override directory, with their files.
    pub fn overridden(&self) -> &BTreeMap<String, PathBuf> {
        &self.overridden
    }

    /// Renders every template against sample contexts (including late and supporting
    /// variants), so a template error shows at `dutybell check`, not at the first send.
    ///
    /// # Errors
    /// The first [`RenderError::Template`] found, with file and line.
    pub fn check(&self) -> Result<(), RenderError> {
        for stage in STAGES {
            for ctx in sample::contexts(stage) {
                self.render(stage, &ctx)?;
            }
        }
        Ok(())
    }

    /// Renders the four formats of `stage` with `ctx`.
    ///
    /// # Errors
    /// [`RenderError::Template`] naming the failing file and line.
    pub fn render(&self, stage: &str, ctx: &Value) -> Result<Rendered, RenderError> {
        let one = |format: &str| -> Result<String, RenderError> {
            let name = format!("{stage}.{format}");
            self.env
                .get_template(&name)
                .and_then(|t| t.render(ctx))
                .map_err(|e| self.template_error(&e))
        };
        let subject = one("subject.txt")?
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Rendered {
            subject,
            text: tidy(&one("text.txt")?),
            html: one("html")?.trim().to_owned(),
            markdown: tidy(&one("md")?),
        })
    }

    fn template_error(&self, e: &minijinja::Error) -> RenderError {
        let name = e.name().unwrap_or("?");
        let file = match self.overridden.get(name) {
            Some(p) => p.display().to_string(),
            None => format!("built-in:{name}"),
        };
        let mut detail = e.kind().to_string();
        if let Some(d) = e.detail() {
            detail = format!("{detail}: {d}");
        }
        RenderError::Template {
            file,
            line: e.line(),
            detail,
        }
    }
}

/// Trims the ends and collapses runs of blank lines that optional sections leave behind.
fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank = 0;
    for line in s.trim().lines() {
        let line = line.trim_end();
        blank = if line.is_empty() { blank + 1 } else { 0 };
        if blank < 2 {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The template files in `dir`: every known name present; an unknown visible file is an error.
fn override_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, RenderError> {
    let err = |reason: String| RenderError::Override {
        path: dir.display().to_string(),
        reason,
    };
    let rd = crate::config::source::list(dir).map_err(err)?;
    let mut out = Vec::new();
    for path in rd {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ignored = name.starts_with('.') || name.to_ascii_lowercase().starts_with("readme");
        if EMBEDDED.iter().any(|(n, _)| *n == name) {
            out.push((name, path));
        } else if !ignored {
            return Err(err(format!(
                "unknown template file {name:?}; template files are named STAGE.FORMAT with \
                 STAGE one of {} and FORMAT one of {} (see docs/TEMPLATES.md)",
                STAGES.join(", "),
                FORMATS.join(", ")
            )));
        }
    }
    out.sort();
    Ok(out)
}
