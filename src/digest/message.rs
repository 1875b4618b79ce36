//! Who reads a digest (section and office heads, listed units' heads, or for the bureau digest
//! the 局领导), on which channels, and the outbox rows of one week.
//!
//! Pure apart from rendering with the [`Renderer`] it is given. May touch: nothing else.

use jiff::Timestamp;
use jiff::civil::Date;

use super::bureau::{BureauContent, build_bureau};
use super::compose::{render_bureau, render_digest};
use super::content::{DigestUnit, DigestView, build_digest};
use super::week::{due_instant, iso_week_key};
use crate::calendar::WorkCalendar;
use crate::catalog::{Catalog, DigestScope, DigestSpec, UnitKind};
use crate::notify::{MessageKind, Notification};
use crate::render::{RenderError, Renderer};
use crate::schedule::Plan;
use crate::schedule::route::{HEAD_SUFFIX, channels_for};
use crate::store::NewReminder;

/// The notification (and outbox dedupe key) id of a digest:
/// `digest|{digest_id}|{week}|{unit}|{channel}`. Stable, so a retry or a second tick reuses it.
pub fn digest_key(digest_id: &str, week: &str, unit: &str, channel: &str) -> String {
    format!("digest|{digest_id}|{week}|{unit}|{channel}")
}

/// One reader of a digest: the outbox recipient (`{unit}#head` for a head, or a unit id for a
/// unit reached as its escalations reach it) and the unit that heads the digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    /// Outbox recipient: `{unit}#head` or the unit id.
    pub recipient: String,
    /// The unit.
    pub unit: String,
}

impl Reader {
    /// The head of `unit`.
    pub(super) fn head(unit: &str) -> Reader {
        Reader {
            recipient: format!("{unit}{HEAD_SUFFIX}"),
            unit: unit.to_owned(),
        }
    }
}

/// Who reads `spec`'s digest, in the order of `to` without duplicates.
///
/// `to` unset means `section_heads` for a unit digest and `settings.leadership_group` for a
/// bureau digest. The keywords `section_heads` and `office_heads` name the head of every section
/// (室) or market-supervision office (所) whose head has an email. A unit or group id names, in a
/// unit digest, the heads of its units (those that have a head; a head without email is routed
/// to the fallback channel); in a bureau digest, the units themselves, reached on their
/// mailboxes and chat channels as escalations reach them (the 局领导 are such a unit).
pub fn digest_readers(cat: &Catalog, spec: &DigestSpec) -> Vec<Reader> {
    let default = match spec.scope {
        DigestScope::Unit => DigestSpec::SECTION_HEADS.to_owned(),
        DigestScope::Bureau => cat.settings.leadership_group.clone().unwrap_or_default(),
    };
    let to = spec.to.clone().unwrap_or_else(|| vec![default]);
    let mut out: Vec<Reader> = Vec::new();
    let heads_of = |kind: UnitKind| {
        cat.units
            .iter()
            .filter(move |u| u.kind == kind)
            .filter(|u| u.head.as_ref().is_some_and(|h| h.email.is_some()))
            .map(|u| Reader::head(&u.id))
            .collect::<Vec<_>>()
    };
    for entry in &to {
        let readers = match entry.as_str() {
            DigestSpec::SECTION_HEADS => heads_of(UnitKind::Section),
            DigestSpec::OFFICE_HEADS => heads_of(UnitKind::Office),
            id => cat
                .expand(id)
                .into_iter()
                .filter_map(|u| match spec.scope {
                    DigestScope::Unit => cat
                        .unit(&u)
                        .is_some_and(|x| x.head.is_some())
                        .then(|| Reader::head(&u)),
                    DigestScope::Bureau => Some(Reader {
                        recipient: u.clone(),
                        unit: u,
                    }),
                })
                .collect(),
        };
        for r in readers {
            if !out.contains(&r) {
                out.push(r);
            }
        }
    }
    out
}

/// The units of [`digest_readers`], in order: whose heads (or who) get `spec`'s digest.
pub fn digest_units(cat: &Catalog, spec: &DigestSpec) -> Vec<String> {
    digest_readers(cat, spec)
        .into_iter()
        .map(|r| r.unit)
        .collect()
}

/// The channels a unit head's digest goes out on: the head's email route (first enabled SMTP
/// channel, or the fallback), then each of `spec.chat` (a disabled one replaced by the fallback),
/// without duplicates.
pub fn digest_channels(cat: &Catalog, spec: &DigestSpec, unit: &str) -> Vec<String> {
    reader_channels(cat, spec, &Reader::head(unit))
}

/// The channels `reader` gets `spec`'s digest on: a head's email route, or a unit's email route
/// and chat channels (as its escalations reach it); then each of `spec.chat` (a disabled one
/// replaced by the fallback), without duplicates.
pub fn reader_channels(cat: &Catalog, spec: &DigestSpec, reader: &Reader) -> Vec<String> {
    let route = channels_for(cat, &reader.recipient);
    let mut out: Vec<String> = if reader.recipient.ends_with(HEAD_SUFFIX) {
        route.into_iter().take(1).collect()
    } else {
        route
    };
    for ch in &spec.chat {
        let id = match cat.channel(ch) {
            Some(c) if c.enabled => c.id.clone(),
            _ => cat.settings.fallback_channel.clone(),
        };
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// Renders one week's digests of one spec, reader by reader: each reader's unit's own digest,
/// or the bureau digest (built once for the week, then addressed per reader).
pub struct Composer<'a> {
    /// Signs each reader's link (the unit's page; the board for a bureau digest), when the web
    /// pages are on.
    links: Option<&'a crate::service::links::LinkSigner>,
    cat: &'a Catalog,
    cal: &'a WorkCalendar,
    renderer: &'a Renderer,
    view: &'a DigestView,
    plan: &'a Plan,
    spec: &'a DigestSpec,
    week_monday: Date,
    at: Timestamp,
    bureau: Option<BureauContent>,
}

impl<'a> Composer<'a> {
    /// A composer of `spec`'s digests for the week of `week_monday` as of `at`.
    #[allow(clippy::too_many_arguments)] // the digest's inputs, each distinct
    pub fn new(
        cat: &'a Catalog,
        cal: &'a WorkCalendar,
        renderer: &'a Renderer,
        view: &'a DigestView,
        plan: &'a Plan,
        spec: &'a DigestSpec,
        week_monday: Date,
        at: Timestamp,
    ) -> Composer<'a> {
        Composer {
            links: None,
            cat,
            cal,
            renderer,
            view,
            plan,
            spec,
            week_monday,
            at,
            bureau: None,
        }
    }

    /// Digests carry signed links from `links` instead of `settings.progress_url`.
    pub fn with_links(mut self, links: Option<&'a crate::service::links::LinkSigner>) -> Self {
        self.links = links;
        self
    }

    /// `reader`'s digest on each channel, or nothing for an all-clear when `spec.send_empty` is
    /// off.
    ///
    /// # Errors
    /// [`RenderError::Template`] when a template fails.
    pub fn compose(&mut self, reader: &Reader) -> Result<Vec<Notification>, RenderError> {
        let (cat, spec) = (self.cat, self.spec);
        let channels = reader_channels(cat, spec, reader);
        match spec.scope {
            DigestScope::Unit => {
                let mut c = build_digest(
                    cat,
                    self.cal,
                    self.plan,
                    self.view,
                    &reader.unit,
                    self.week_monday,
                    self.at,
                );
                if c.all_clear && !spec.send_empty {
                    return Ok(Vec::new());
                }
                if let Some(l) = self.links {
                    c.progress_url = l.unit_url(&reader.unit, None, self.at);
                }
                channels
                    .iter()
                    .map(|ch| render_digest(self.renderer, cat, &c, &spec.id, ch))
                    .collect()
            }
            DigestScope::Bureau => {
                let base = match self.bureau.take() {
                    Some(b) => b,
                    None => build_bureau(
                        cat,
                        self.cal,
                        self.plan,
                        self.view,
                        &reader.unit,
                        self.week_monday,
                        self.at,
                    ),
                };
                let mut c = base.clone();
                if let Some(l) = self.links {
                    c.progress_url = l.board_url(self.at);
                }
                c.unit = DigestUnit::of(cat, &reader.unit);
                self.bureau = Some(base);
                if c.all_clear && !spec.send_empty {
                    return Ok(Vec::new());
                }
                channels
                    .iter()
                    .map(|ch| render_bureau(self.renderer, cat, &c, &spec.id, reader, ch))
                    .collect()
            }
        }
    }
}

/// The outbox rows of `spec`'s digest for the week of `week_monday`, as the daemon enqueues them
/// at `now`: taken as of (and firing at) the week's due instant, or `now` when that is earlier
/// (`dutybell digest --send` before the due time). One row per reader ([`digest_readers`]) and
/// channel, kind `digest`, stage `digest-{week}`, dedupe key [`digest_key`]. A reader with
/// nothing to report gets an all-clear only when `spec.send_empty`. Empty when the week has no
/// due instant.
///
/// # Errors
/// [`RenderError::Template`] when a template fails. `links` signs the readers' links.
#[allow(clippy::too_many_arguments)] // the daemon's inputs, each distinct; a struct would only rename them
pub fn digest_rows(
    cat: &Catalog,
    cal: &WorkCalendar,
    renderer: &Renderer,
    view: &DigestView,
    plan: &Plan,
    spec: &DigestSpec,
    week_monday: Date,
    now: Timestamp,
    links: Option<&crate::service::links::LinkSigner>,
) -> Result<Vec<NewReminder>, RenderError> {
    let tz = cat.settings.tz.tz().clone();
    let Some(due) = due_instant(spec, cal, &tz, week_monday) else {
        return Ok(Vec::new());
    };
    let at = due.min(now);
    let week = iso_week_key(week_monday);
    let mut composer =
        Composer::new(cat, cal, renderer, view, plan, spec, week_monday, at).with_links(links);
    let mut rows = Vec::new();
    for reader in digest_readers(cat, spec) {
        for n in composer.compose(&reader)? {
            let message = serde_json::to_string(&n).map_err(|e| RenderError::Template {
                file: "digest".into(),
                line: None,
                detail: format!("cannot serialise the notification: {e}"),
            })?;
            rows.push(NewReminder {
                dedupe_key: n.id.clone(),
                occurrence_key: format!("{}@{week}", spec.id),
                task_id: "-".into(),
                stage: format!("digest-{week}"),
                kind: MessageKind::Digest,
                recipient: reader.recipient.clone(),
                channel: channel_of(&n.id),
                fire_at: at,
                message: Some(message),
            });
        }
    }
    Ok(rows)
}

/// The channel at the end of a [`digest_key`].
fn channel_of(key: &str) -> String {
    key.rsplit('|').next().unwrap_or_default().to_owned()
}
