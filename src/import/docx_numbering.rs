//! Automatic numbering: the number Word shows before a paragraph is not in its text; it comes
//! from the paragraph's w:numPr (or its style's) and numbering.xml.
//!
//! A w:num points at a w:abstractNum whose w:lvl gives, per level, the start value, the format
//! (decimal, chineseCounting 一二三, decimalEnclosedCircle ①, lowerLetter a…) and the text
//! pattern ("%1." "（%1）" "%1.%2"). Counters advance in document order, one set per abstract
//! list, shared by the w:num instances that point at it, except that a w:num with a
//! w:startOverride restarts and keeps its own set (that is how Word writes "restart at 1").
//! A format we do not know yields no number rather than an invented one.

use std::collections::HashMap;
use std::path::Path;

use super::docx_numfmt::format_number;
use super::docx_xml::{Node, Walker};
use super::read::ReadError;

/// How a list level separates its number from the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Suffix {
    #[default]
    Tab,
    Space,
    Nothing,
}

#[derive(Debug, Clone, Default)]
struct Level {
    start: Option<i64>,
    format: Option<String>,
    text: Option<String>,
    suffix: Suffix,
    legal: bool,
}

#[derive(Debug, Clone, Default)]
struct Num {
    abstract_id: u32,
    starts: HashMap<usize, i64>,
    levels: HashMap<usize, Level>,
}

/// Which counters a paragraph advances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum CounterKey {
    Abstract(u32),
    Own(u32),
}

/// A paragraph style's numbering: (basedOn, numId, ilvl).
type StyleNumbering = (Option<String>, Option<u32>, Option<usize>);

/// Numbering definitions, numbered styles and the running counters of one document.
#[derive(Debug, Default)]
pub(super) struct Numbering {
    abstracts: HashMap<u32, HashMap<usize, Level>>,
    nums: HashMap<u32, Num>,
    /// styleId → (basedOn, numId, ilvl) from styles.xml.
    styles: HashMap<String, StyleNumbering>,
    counters: HashMap<CounterKey, [Option<i64>; 9]>,
}

impl Numbering {
    /// Reads numbering.xml.
    pub fn read_numbering(
        &mut self,
        xml: &str,
        path: &Path,
        member: &str,
        depth: usize,
    ) -> Result<(), ReadError> {
        let mut w = Walker::new(xml, path, member, depth);
        let mut stack: Vec<String> = Vec::new();
        let mut abs: Option<(u32, HashMap<usize, Level>)> = None;
        let mut num: Option<(u32, Num)> = None;
        let mut ilvl: Option<usize> = None;
        loop {
            let e = match w.next()? {
                Node::Open(e) => e,
                Node::Close => {
                    match stack.pop().as_deref() {
                        Some("abstractNum") => {
                            if let Some((id, levels)) = abs.take() {
                                self.abstracts.insert(id, levels);
                            }
                        }
                        Some("num") => {
                            if let Some((id, n)) = num.take() {
                                self.nums.insert(id, n);
                            }
                        }
                        Some("lvl") | Some("lvlOverride") => {}
                        _ => {}
                    }
                    continue;
                }
                Node::Text(_) => continue,
                Node::Eof => return Ok(()),
            };
            let local = if e.ns == super::docx_xml::Ns::W {
                e.local.clone()
            } else {
                String::new()
            };
            let val = e.attr("val").map(str::to_string);
            let int = |v: &Option<String>| v.as_deref().and_then(|s| s.trim().parse::<i64>().ok());
            match local.as_str() {
                "abstractNum" => {
                    let id = e.attr("abstractNumId").and_then(|v| v.parse().ok());
                    abs = id.map(|id| (id, HashMap::new()));
                }
                "num" => {
                    let id = e.attr("numId").and_then(|v| v.parse().ok());
                    num = id.map(|id| (id, Num::default()));
                }
                "abstractNumId" => {
                    if let (Some((_, n)), Some(v)) = (num.as_mut(), int(&val)) {
                        n.abstract_id = v as u32;
                    }
                }
                "lvl" | "lvlOverride" => {
                    ilvl = e
                        .attr("ilvl")
                        .and_then(|v| v.parse().ok())
                        .filter(|l| *l < 9);
                }
                "startOverride" => {
                    if let (Some((_, n)), Some(l), Some(v)) = (num.as_mut(), ilvl, int(&val)) {
                        n.starts.insert(l, v);
                    }
                }
                "start" | "numFmt" | "lvlText" | "suff" | "isLgl" => {
                    let level = match (abs.as_mut(), num.as_mut(), ilvl) {
                        (Some((_, levels)), _, Some(l)) => Some(levels.entry(l).or_default()),
                        (None, Some((_, n)), Some(l)) => Some(n.levels.entry(l).or_default()),
                        _ => None,
                    };
                    if let Some(level) = level {
                        match local.as_str() {
                            "start" => level.start = int(&val),
                            "numFmt" => level.format = val,
                            "lvlText" => level.text = val,
                            "isLgl" => level.legal = e.on(),
                            _ => {
                                level.suffix = match val.as_deref() {
                                    Some("space") => Suffix::Space,
                                    Some("nothing") => Suffix::Nothing,
                                    _ => Suffix::Tab,
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
            stack.push(local);
        }
    }

    /// Reads the numbering carried by paragraph styles in styles.xml.
    pub fn read_styles(
        &mut self,
        xml: &str,
        path: &Path,
        member: &str,
        depth: usize,
    ) -> Result<(), ReadError> {
        let mut w = Walker::new(xml, path, member, depth);
        let mut current: Option<(String, StyleNumbering)> = None;
        let mut depth_in_style = 0usize;
        loop {
            match w.next()? {
                Node::Open(e) => {
                    if e.is_w("style") {
                        current = e
                            .attr("styleId")
                            .map(|id| (id.to_string(), (None, None, None)));
                        depth_in_style = 0;
                    }
                    depth_in_style += 1;
                    if let Some((_, entry)) = current.as_mut() {
                        let val = e.attr("val");
                        if e.is_w("basedOn") {
                            entry.0 = val.map(str::to_string);
                        } else if e.is_w("numId") {
                            entry.1 = val.and_then(|v| v.parse().ok());
                        } else if e.is_w("ilvl") {
                            entry.2 = val.and_then(|v| v.parse().ok()).filter(|l| *l < 9);
                        }
                    }
                }
                Node::Close => {
                    depth_in_style = depth_in_style.saturating_sub(1);
                    if depth_in_style == 0
                        && let Some((id, entry)) = current.take()
                    {
                        self.styles.insert(id, entry);
                    }
                }
                Node::Text(_) => {}
                Node::Eof => return Ok(()),
            }
        }
    }

    /// The numbering a paragraph gets from its style chain: (numId, ilvl).
    pub fn style_numbering(&self, style: &str) -> (Option<u32>, Option<usize>) {
        let (mut num, mut lvl) = (None, None);
        let mut next = Some(style.to_string());
        for _ in 0..16 {
            let Some(entry) = next.as_ref().and_then(|s| self.styles.get(s)) else {
                break;
            };
            num = num.or(entry.1);
            lvl = lvl.or(entry.2);
            next = entry.0.clone();
        }
        (num, lvl)
    }

    fn level(&self, num_id: u32, ilvl: usize) -> Option<Level> {
        let num = self.nums.get(&num_id)?;
        let base = self.abstracts.get(&num.abstract_id)?.get(&ilvl).cloned();
        let over = num.levels.get(&ilvl);
        let mut level = base.unwrap_or_default();
        if let Some(o) = over {
            level.start = o.start.or(level.start);
            level.format = o.format.clone().or(level.format);
            level.text = o.text.clone().or(level.text);
        }
        Some(level)
    }

    /// Advances the counters for a paragraph numbered (numId, ilvl) and returns the text Word
    /// shows before it ("1.", "（三）", "1.2 "), or `None` (no such list, numId 0, or a format we
    /// cannot render).
    pub fn render(&mut self, num_id: u32, ilvl: usize) -> Option<String> {
        if num_id == 0 || ilvl >= 9 {
            return None;
        }
        let num = self.nums.get(&num_id)?;
        let key = if num.starts.is_empty() {
            CounterKey::Abstract(num.abstract_id)
        } else {
            CounterKey::Own(num_id)
        };
        let starts: Vec<i64> = (0..9)
            .map(|l| {
                num.starts
                    .get(&l)
                    .copied()
                    .or_else(|| self.level(num_id, l).and_then(|lv| lv.start))
                    .unwrap_or(0)
            })
            .collect();
        let counters = self.counters.entry(key).or_insert([None; 9]);
        counters[ilvl] = Some(counters[ilvl].map(|c| c + 1).unwrap_or(starts[ilvl]));
        for deeper in counters.iter_mut().skip(ilvl + 1) {
            *deeper = None;
        }
        let values: Vec<i64> = (0..9).map(|l| counters[l].unwrap_or(starts[l])).collect();
        let level = self.level(num_id, ilvl)?;
        let pattern = level.text.clone()?;
        let mut out = String::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            let digit = chars
                .peek()
                .and_then(|d| d.to_digit(10))
                .filter(|d| (1..=9).contains(d));
            if let (true, Some(d)) = (c == '%', digit) {
                chars.next();
                let l = d as usize - 1;
                let fmt = match (level.legal, self.level(num_id, l)) {
                    (true, _) => "decimal".to_string(),
                    (false, Some(lv)) => lv.format.unwrap_or_else(|| "decimal".into()),
                    (false, None) => "decimal".into(),
                };
                out.push_str(&format_number(values[l], &fmt)?);
            } else {
                out.push(c);
            }
        }
        if level.format.as_deref() == Some("bullet") {
            // Symbol/Wingdings bullets are private-use characters: show a plain bullet
            out = out
                .chars()
                .map(|c| {
                    if ('\u{E000}'..='\u{F8FF}').contains(&c) {
                        '•'
                    } else {
                        c
                    }
                })
                .collect();
        }
        let sep = match level.suffix {
            Suffix::Nothing => "",
            Suffix::Space => " ",
            // a tab after "1." or "（一）" reads as nothing in text; after a bare "1" as a space
            Suffix::Tab if out.ends_with(|c: char| !c.is_alphanumeric()) => "",
            Suffix::Tab => " ",
        };
        Some(format!("{out}{sep}"))
    }
}
