//! A serde `Deserializer` over the located tree, so raw structs keep `deny_unknown_fields`,
//! typed fields and [`Located`] values, and every error knows its line, column and key path.

use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use serde::{Deserialize, Deserializer};

use super::diag::{Pos, hint};
use super::tree::{Node, Value};
use super::yaml::join;

/// A deserialization error with the position and key path of the node that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeError {
    /// Where (filled in by the innermost node that knows).
    pub pos: Option<Pos>,
    /// Key path, e.g. `tasks[2].rules[0].campaign.opens`.
    pub path: Option<String>,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            pos: None,
            path: None,
            message: msg.to_string(),
        }
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let mut message = format!(
            "unknown key `{field}`{}",
            hint(field, expected.iter().copied())
        );
        if !expected.is_empty() {
            message.push_str(&format!("; expected one of: {}", expected.join(", ")));
        }
        DeError {
            pos: None,
            path: None,
            message,
        }
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        DeError {
            pos: None,
            path: None,
            message: format!(
                "unknown value `{variant}`{}; expected one of: {}",
                hint(variant, expected.iter().copied()),
                expected.join(", ")
            ),
        }
    }

    fn missing_field(field: &'static str) -> Self {
        DeError {
            pos: None,
            path: None,
            message: format!("missing required key `{field}`"),
        }
    }
}

/// Deserialize a `T` from a node whose key path is `path`.
///
/// # Errors
/// The first type problem inside the node, located.
pub fn from_node<T: DeserializeOwned>(node: &Node, path: &str) -> Result<T, DeError> {
    T::deserialize(NodeDe {
        node,
        path: path.to_string(),
    })
}

/// A value with the position and key path it came from (for validation messages after parsing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it is in the file.
    pub pos: Pos,
    /// Its key path.
    pub path: String,
}

const LOCATED: &str = "$dutybell::Located";

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Located<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a located value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Located<T>, A::Error> {
                let line: u32 = a
                    .next_element()?
                    .ok_or_else(|| de::Error::custom("no line"))?;
                let col: u32 = a
                    .next_element()?
                    .ok_or_else(|| de::Error::custom("no col"))?;
                let path: String = a
                    .next_element()?
                    .ok_or_else(|| de::Error::custom("no path"))?;
                let value: T = a
                    .next_element()?
                    .ok_or_else(|| de::Error::custom("no value"))?;
                Ok(Located {
                    value,
                    pos: Pos { line, col },
                    path,
                })
            }
        }
        d.deserialize_newtype_struct(LOCATED, V(std::marker::PhantomData))
    }
}

struct NodeDe<'a> {
    node: &'a Node,
    path: String,
}

impl NodeDe<'_> {
    fn locate(&self, mut e: DeError) -> DeError {
        e.pos.get_or_insert(self.node.pos);
        e.path.get_or_insert_with(|| self.path.clone());
        e
    }

    fn invalid(&self, exp: &dyn de::Expected) -> DeError {
        let got = match &self.node.value {
            Value::Str(s) => format!("the string `{s}`"),
            Value::Int(i) => format!("the integer `{i}`"),
            Value::Bool(b) => format!("the boolean `{b}`"),
            _ => self.node.type_name().to_string(),
        };
        self.locate(DeError {
            pos: None,
            path: None,
            message: format!("expected {exp}, found {got}"),
        })
    }
}

macro_rules! forward_any {
    ($($m:ident)*) => {$(
        fn $m<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> { self.deserialize_any(v) }
    )*};
}

impl<'de> Deserializer<'de> for NodeDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let r = match &self.node.value {
            Value::Null => v.visit_unit(),
            Value::Bool(b) => v.visit_bool(*b),
            Value::Int(i) => v.visit_i64(*i),
            Value::Float(f) => v.visit_f64(*f),
            Value::Str(s) => v.visit_str(s),
            Value::Seq(items) => v.visit_seq(SeqDe {
                items: items.iter(),
                path: &self.path,
                index: 0,
            }),
            Value::Map(entries) => v.visit_map(MapDe {
                entries: entries.iter(),
                path: &self.path,
                value: None,
            }),
        };
        r.map_err(|e| self.locate(e))
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Null => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Str(s) => v.visit_str(s).map_err(|e| self.locate(e)),
            _ => Err(self.invalid(&v)),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_string(v)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Bool(b) => v.visit_bool(*b),
            _ => Err(self.invalid(&v)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        if name == LOCATED {
            let pos = self.node.pos;
            let items = [pos.line.into_deserializer(), pos.col.into_deserializer()];
            return v.visit_seq(LocatedSeq {
                items: items.into_iter(),
                path: Some(self.path.clone()),
                de: Some(self),
            });
        }
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Str(s) => v
                .visit_enum(s.as_str().into_deserializer())
                .map_err(|e: DeError| self.locate(e)),
            Value::Map(entries) if entries.len() == 1 => {
                let (k, val) = &entries[0];
                let inner = NodeDe {
                    node: val,
                    path: join(&self.path, &k.name),
                };
                let r = v.visit_enum(EnumDe {
                    tag: &k.name,
                    inner,
                });
                r.map_err(|mut e| {
                    e.pos.get_or_insert(k.pos);
                    e.path.get_or_insert_with(|| self.path.clone());
                    e
                })
            }
            _ => Err(self.locate(de::Error::custom(format!(
                "expected a one-key mapping naming the form (e.g. `yearly: {{...}}`), found {}",
                self.node.type_name()
            )))),
        }
    }

    forward_any! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_u8 deserialize_u16
        deserialize_u32 deserialize_u64 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_bytes deserialize_byte_buf deserialize_unit deserialize_seq deserialize_map
        deserialize_identifier deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(v)
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, v: V) -> Result<V::Value, DeError> {
        self.deserialize_any(v)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(v)
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Map(_) => self.deserialize_any(v),
            _ => Err(self.invalid(&v)),
        }
    }
}

/// Feeds line, column, path, then the value itself to [`Located`]'s visitor.
struct LocatedSeq<'a, I> {
    items: I,
    path: Option<String>,
    de: Option<NodeDe<'a>>,
}

impl<'de, I: Iterator<Item = de::value::U32Deserializer<DeError>>> SeqAccess<'de>
    for LocatedSeq<'_, I>
{
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        if let Some(d) = self.items.next() {
            return seed.deserialize(d).map(Some);
        }
        if let Some(p) = self.path.take() {
            return seed.deserialize(p.into_deserializer()).map(Some);
        }
        match self.de.take() {
            Some(d) => seed.deserialize(d).map(Some),
            None => Ok(None),
        }
    }
}

struct SeqDe<'a, I> {
    items: I,
    path: &'a str,
    index: usize,
}

impl<'de, 'a, I: Iterator<Item = &'a Node>> SeqAccess<'de> for SeqDe<'a, I> {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(node) = self.items.next() else {
            return Ok(None);
        };
        let path = format!("{}[{}]", self.path, self.index);
        self.index += 1;
        let de = NodeDe { node, path };
        let (pos, p) = (node.pos, de.path.clone());
        seed.deserialize(de).map(Some).map_err(|mut e| {
            e.pos.get_or_insert(pos);
            e.path.get_or_insert(p);
            e
        })
    }
}

struct MapDe<'a, I> {
    entries: I,
    path: &'a str,
    value: Option<(&'a Node, String)>,
}

impl<'de, 'a, I: Iterator<Item = &'a (super::tree::Key, Node)>> MapAccess<'de> for MapDe<'a, I> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((k, v)) = self.entries.next() else {
            return Ok(None);
        };
        let path = join(self.path, &k.name);
        self.value = Some((v, path.clone()));
        let key_de: de::value::StrDeserializer<DeError> = k.name.as_str().into_deserializer();
        seed.deserialize(key_de).map(Some).map_err(|mut e| {
            e.pos.get_or_insert(k.pos);
            e.path.get_or_insert(path);
            e
        })
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let (node, path) = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("value without key"))?;
        let pos = node.pos;
        seed.deserialize(NodeDe {
            node,
            path: path.clone(),
        })
        .map_err(|mut e| {
            e.pos.get_or_insert(pos);
            e.path.get_or_insert(path);
            e
        })
    }
}

struct EnumDe<'a> {
    tag: &'a str,
    inner: NodeDe<'a>,
}

impl<'de, 'a> EnumAccess<'de> for EnumDe<'a> {
    type Error = DeError;
    type Variant = NodeDe<'a>;
    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, NodeDe<'a>), DeError> {
        let tag: de::value::StrDeserializer<DeError> = self.tag.into_deserializer();
        Ok((seed.deserialize(tag)?, self.inner))
    }
}

impl<'de> VariantAccess<'de> for NodeDe<'_> {
    type Error = DeError;
    fn unit_variant(self) -> Result<(), DeError> {
        match self.node.value {
            Value::Null => Ok(()),
            _ => Err(self.locate(de::Error::custom("this form takes no value"))),
        }
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _: usize, v: V) -> Result<V::Value, DeError> {
        self.deserialize_any(v)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_struct("", fields, v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml::parse;
    use std::path::Path;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct T {
        id: Located<String>,
        #[serde(default)]
        n: Option<u32>,
        #[serde(default)]
        rules: Vec<R>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case", deny_unknown_fields)]
    #[allow(dead_code)]
    enum R {
        Yearly { date: Located<String> },
        Weekly { weekday: String },
    }

    fn node(s: &str) -> Node {
        parse(Path::new("t.yaml"), s.as_bytes()).unwrap().0
    }

    #[test]
    fn located_values_carry_position_and_path() {
        let t: T = from_node(
            &node("id: \"4.2\"\nrules:\n  - yearly: { date: \"12-15\" }\n"),
            "tasks[0]",
        )
        .unwrap();
        assert_eq!(t.id.value, "4.2");
        assert_eq!((t.id.pos.line, t.id.pos.col), (1, 5));
        assert_eq!(t.id.path, "tasks[0].id");
        match &t.rules[0] {
            R::Yearly { date } => assert_eq!(
                (date.pos.line, date.path.as_str()),
                (3, "tasks[0].rules[0].yearly.date")
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_key_has_did_you_mean_and_location() {
        let e = from_node::<T>(&node("id: x\nrulse: []\n"), "").unwrap_err();
        assert_eq!(e.pos.unwrap().line, 2);
        assert!(e.message.contains("did you mean `rules`"), "{}", e.message);
    }

    #[test]
    fn wrong_type_names_expected_and_found() {
        let e = from_node::<T>(&node("id: x\nn: seven\n"), "t").unwrap_err();
        assert_eq!(e.path.as_deref(), Some("t.n"));
        assert!(e.message.contains("seven"), "{}", e.message);
    }

    #[test]
    fn unknown_rule_form_is_located_at_the_key() {
        let e = from_node::<T>(&node("id: x\nrules:\n  - yarly: {}\n"), "").unwrap_err();
        assert_eq!(e.pos.unwrap().line, 3);
        assert!(e.message.contains("did you mean `yearly`"), "{}", e.message);
    }
}
