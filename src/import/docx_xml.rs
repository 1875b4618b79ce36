//! A bounded, namespace-aware walk over one XML part of a package (quick-xml's `NsReader`).
//!
//! Elements are matched by namespace URI and local name, never by prefix: Word writes `w:`,
//! other tools bind the same namespace to `ns0:` or make it the default. A DOCTYPE (and with it
//! any entity declaration) is refused, so entity expansion cannot blow up; nesting deeper than
//! the limit is refused; only the five predefined entities and character references are
//! resolved. Errors carry the part's name and line:column.

use std::path::Path;

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};

use super::read::ReadError;

/// The namespaces the readers care about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ns {
    /// WordprocessingML main (transitional or strict).
    W,
    /// Markup compatibility (mc:AlternateContent).
    Mc,
    /// No namespace (package relationships attributes).
    None,
    /// Anything else (WPS custom data, drawing, VML…).
    Other,
}

fn ns_of(r: &ResolveResult<'_>) -> Ns {
    match r {
        ResolveResult::Bound(Namespace(uri)) => match *uri {
            "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
            | "http://purl.oclc.org/ooxml/wordprocessingml/main" => Ns::W,
            "http://schemas.openxmlformats.org/markup-compatibility/2006" => Ns::Mc,
            "http://schemas.openxmlformats.org/package/2006/relationships" => Ns::None,
            _ => Ns::Other,
        },
        ResolveResult::Unbound => Ns::None,
        ResolveResult::Unknown(_) => Ns::Other,
    }
}

/// One element start.
#[derive(Debug, Clone)]
pub(super) struct Elem {
    /// Its namespace.
    pub ns: Ns,
    /// Its local name.
    pub local: String,
    /// Attributes: (namespace, local name, unescaped value).
    pub attrs: Vec<(Ns, String, String)>,
}

impl Elem {
    /// True for `w:<local>`.
    pub fn is_w(&self, local: &str) -> bool {
        self.ns == Ns::W && self.local == local
    }

    /// The value of the attribute `local` in the w namespace or in no namespace.
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(ns, l, _)| l == local && matches!(ns, Ns::W | Ns::None))
            .map(|(_, _, v)| v.as_str())
    }

    /// `w:val` read as an on/off switch: absent, "1", "true" and "on" are on.
    pub fn on(&self) -> bool {
        !matches!(self.attr("val"), Some("0" | "false" | "off"))
    }
}

/// What the walk yields.
#[derive(Debug)]
pub(super) enum Node {
    /// An element opens (an empty element yields `Open` then `Close`).
    Open(Elem),
    /// The innermost open element closes.
    Close,
    /// Character data (entities resolved).
    Text(String),
    /// End of the part.
    Eof,
}

/// Walks one part.
pub(super) struct Walker<'x> {
    reader: NsReader<&'x [u8]>,
    xml: &'x str,
    path: &'x Path,
    member: &'x str,
    depth: usize,
    max_depth: usize,
    pending_close: bool,
}

impl<'x> Walker<'x> {
    /// A walk over `xml`, the text of `member` in the package `path`.
    pub fn new(xml: &'x str, path: &'x Path, member: &'x str, max_depth: usize) -> Self {
        let xml = xml.strip_prefix('\u{feff}').unwrap_or(xml);
        let mut reader = NsReader::from_reader(xml.as_bytes());
        reader.config_mut().check_end_names = true;
        Walker {
            reader,
            xml,
            path,
            member,
            depth: 0,
            max_depth,
            pending_close: false,
        }
    }

    /// An XML error at byte `pos` of the part.
    pub fn error_at(&self, pos: u64, detail: impl Into<String>) -> ReadError {
        let (line, column) = line_col(self.xml, pos as usize);
        ReadError::Xml {
            path: self.path.to_path_buf(),
            member: self.member.to_string(),
            line,
            column,
            detail: detail.into(),
        }
    }

    /// An error at the current position.
    pub fn error(&self, detail: impl Into<String>) -> ReadError {
        self.error_at(self.reader.buffer_position(), detail)
    }

    /// The next node.
    pub fn next(&mut self) -> Result<Node, ReadError> {
        if self.pending_close {
            self.pending_close = false;
            return Ok(Node::Close);
        }
        loop {
            let start = self.reader.buffer_position();
            let (res, event) = match self.reader.read_resolved_event() {
                Ok(pair) => pair,
                Err(e) => return Err(self.error_at(self.reader.error_position(), e.to_string())),
            };
            let ns = ns_of(&res);
            match event {
                Event::Start(e) => {
                    self.depth += 1;
                    if self.depth > self.max_depth {
                        return Err(self.error(format!(
                            "elements nested deeper than {} levels: refusing a possible XML bomb",
                            self.max_depth
                        )));
                    }
                    return Ok(Node::Open(self.elem(ns, &e)?));
                }
                Event::Empty(e) => {
                    self.pending_close = true;
                    return Ok(Node::Open(self.elem(ns, &e)?));
                }
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    return Ok(Node::Close);
                }
                Event::Text(t) => return Ok(Node::Text(t.xml10_content().into_owned())),
                Event::CData(t) => return Ok(Node::Text(t.xml10_content().into_owned())),
                Event::GeneralRef(r) => {
                    let c = match r.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        Ok(None) => predefined(&r)
                            .ok_or_else(|| self.error(format!("undefined entity &{};", &*r)))?,
                        Err(e) => return Err(self.error(e.to_string())),
                    };
                    return Ok(Node::Text(c.to_string()));
                }
                Event::DocType(_) => {
                    return Err(self.error_at(
                        start,
                        "DOCTYPE declarations are not allowed in Office documents \
                         (refusing possible entity expansion)",
                    ));
                }
                Event::Eof => return Ok(Node::Eof),
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            }
        }
    }

    fn elem(&self, ns: Ns, e: &quick_xml::events::BytesStart<'_>) -> Result<Elem, ReadError> {
        let local = e.local_name().as_ref().to_string();
        let mut attrs = Vec::new();
        for a in e.attributes() {
            let a = a.map_err(|err| self.error(err.to_string()))?;
            if a.key.as_ref().starts_with("xmlns") {
                continue;
            }
            let (res, name) = self.reader.resolver().resolve(a.key, false);
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| self.error(err.to_string()))?
                .into_owned();
            let local = name.as_ref().to_string();
            attrs.push((ns_of(&res), local, value));
        }
        Ok(Elem { ns, local, attrs })
    }

    /// Skips the content of the element just opened, up to and including its close.
    pub fn skip(&mut self) -> Result<(), ReadError> {
        let mut depth = 1usize;
        while depth > 0 {
            match self.next()? {
                Node::Open(_) => depth += 1,
                Node::Close => depth -= 1,
                Node::Text(_) => {}
                Node::Eof => return Err(self.error("unexpected end of the part")),
            }
        }
        Ok(())
    }
}

fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

/// 1-based line and column (in characters) of byte `pos` in `text`.
pub(super) fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let mut pos = pos.min(text.len());
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = &text[..pos];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, before[start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(xml: &str, depth: usize) -> Result<Vec<String>, ReadError> {
        let mut w = Walker::new(xml, Path::new("t.docx"), "word/document.xml", depth);
        let mut out = Vec::new();
        loop {
            match w.next()? {
                Node::Open(e) => out.push(format!("<{:?}:{}", e.ns, e.local)),
                Node::Close => out.push(">".into()),
                Node::Text(t) => out.push(t),
                Node::Eof => return Ok(out),
            }
        }
    }

    #[test]
    fn namespaces_by_uri_not_prefix() {
        let xml = r#"<x:document xmlns:x="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:w="urn:other"><x:t>甲&amp;乙&#x4E19;</x:t><w:t/></x:document>"#;
        let got = walk(xml, 10).unwrap();
        assert_eq!(
            got,
            [
                "<W:document",
                "<W:t",
                "甲",
                "&",
                "乙",
                "丙",
                ">",
                "<Other:t",
                ">",
                ">"
            ]
        );
    }

    #[test]
    fn doctype_and_depth_are_refused_with_a_position() {
        let bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE d [<!ENTITY a \"aaaa\">]>\n<d>&a;</d>";
        let err = walk(bomb, 10).unwrap_err().to_string();
        assert!(err.contains("word/document.xml:2:"), "{err}");
        assert!(err.contains("DOCTYPE"), "{err}");
        let deep = "<a>".repeat(50) + &"</a>".repeat(50);
        let err = walk(&deep, 20).unwrap_err().to_string();
        assert!(err.contains("deeper than 20"), "{err}");
    }

    #[test]
    fn malformed_xml_names_line_and_column() {
        let err = walk("<a>\n  <b></c></a>", 10).unwrap_err().to_string();
        assert!(err.starts_with("t.docx: word/document.xml:2:"), "{err}");
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("甲乙\n丙丁", "甲乙\n丙".len()), (2, 2));
    }
}
