//! Value wrappers that turn type errors into data, so one pass reports every bad value.
//!
//! serde stops at the first error. A [`Lenient<T>`] instead catches the error of its own value
//! and records what was found; the containing struct keeps deserializing, and `validate.rs`
//! turns each [`Lenient::Bad`] into a `FILE:LINE:COL` error with the key's name. [`Item<T>`]
//! adds the value's byte span. This module only shapes values; it must not decide validity.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

/// A value of the expected type, or a description of what was there instead.
#[derive(Debug, Clone, PartialEq)]
pub enum Lenient<T> {
    /// The value had the expected type.
    Ok(T),
    /// It did not: `found` says what it was ("a string", "-3"), `detail` is serde's own message.
    Bad { found: String, detail: String },
}

/// A lenient value with its byte span in the source.
pub type Item<T> = Spanned<Lenient<T>>;

/// An optional key of a raw section.
pub type Field<T> = Option<Item<T>>;

/// What a type expects, in words, for "expected X, found Y" messages.
pub trait Expect {
    /// E.g. "a non-negative integer".
    const EXPECTED: &'static str;
}

impl Expect for u32 {
    const EXPECTED: &'static str = "a non-negative integer";
}

impl Expect for u64 {
    const EXPECTED: &'static str = "a non-negative integer";
}

impl Expect for u16 {
    const EXPECTED: &'static str = "an integer from 0 to 65535";
}

impl Expect for f64 {
    const EXPECTED: &'static str = "a number";
}

impl Expect for bool {
    const EXPECTED: &'static str = "true or false";
}

impl Expect for String {
    const EXPECTED: &'static str = "a string";
}

impl<T> Expect for Vec<T> {
    const EXPECTED: &'static str = "a list";
}

impl<K, V> Expect for std::collections::BTreeMap<K, V> {
    const EXPECTED: &'static str = "a table";
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LenientVisitor(PhantomData))
    }
}

struct LenientVisitor<T>(PhantomData<T>);

type PlainError = de::value::Error;

impl<T: DeserializeOwned> LenientVisitor<T> {
    fn wrap(result: Result<T, PlainError>, found: impl FnOnce() -> String) -> Lenient<T> {
        match result {
            Ok(value) => Lenient::Ok(value),
            Err(e) => Lenient::Bad {
                found: found(),
                detail: e.to_string(),
            },
        }
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for LenientVisitor<T> {
    type Value = Lenient<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any TOML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        let r = T::deserialize(IntoDeserializer::<PlainError>::into_deserializer(v));
        Ok(Self::wrap(r, || "a boolean".into()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        let r = T::deserialize(IntoDeserializer::<PlainError>::into_deserializer(v));
        Ok(Self::wrap(r, || v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        let r = T::deserialize(IntoDeserializer::<PlainError>::into_deserializer(v));
        Ok(Self::wrap(r, || v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        let r = T::deserialize(IntoDeserializer::<PlainError>::into_deserializer(v));
        Ok(Self::wrap(r, || format!("the number {v}")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let r = T::deserialize(IntoDeserializer::<PlainError>::into_deserializer(v));
        Ok(Self::wrap(r, || "a string".into()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let r = T::deserialize(SeqAccessDeserializer::new(seq));
        Ok(match r {
            Ok(value) => Lenient::Ok(value),
            Err(e) => Lenient::Bad {
                found: "a list".into(),
                detail: e.to_string(),
            },
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let r = T::deserialize(MapAccessDeserializer::new(map));
        Ok(match r {
            Ok(value) => Lenient::Ok(value),
            Err(e) => Lenient::Bad {
                found: "a table (or a date-time)".into(),
                detail: e.to_string(),
            },
        })
    }
}

/// `"x"` or `["x", "y"]`: keys such as `options` and `allow_override` take either.
#[derive(Debug, Clone, PartialEq)]
pub enum StringList {
    /// A single string (its span is the field's).
    One(String),
    /// A list; each element keeps its own span and type check.
    Many(Vec<Item<String>>),
}

impl Expect for StringList {
    const EXPECTED: &'static str = "a string or a list of strings";
}

impl<'de> Deserialize<'de> for StringList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StringList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(StringList::EXPECTED)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StringList, E> {
                Ok(StringList::One(v.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StringList, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(StringList::Many(items))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A duration as written: an integer in the key's unit, or a string with a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationValue {
    /// A bare integer (may be negative here; validation rejects that).
    Count(i64),
    /// `"250ms"`, `"5s"`, `"2m"`, ...
    Text(String),
}

impl Expect for DurationValue {
    const EXPECTED: &'static str =
        "a duration (an integer, or a string with a unit such as \"250ms\", \"5s\", \"2m\")";
}

impl<'de> Deserialize<'de> for DurationValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = DurationValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(DurationValue::EXPECTED)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<DurationValue, E> {
                Ok(DurationValue::Count(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<DurationValue, E> {
                i64::try_from(v)
                    .map(DurationValue::Count)
                    .map_err(|_| E::custom("duration too large"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DurationValue, E> {
                Ok(DurationValue::Text(v.to_owned()))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// The field names a serde-derived struct accepts, read from its own `Deserialize` impl, so the
/// unknown-key check can never drift from the structs in `file.rs`.
pub fn struct_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut probe = FieldProbe(None);
    let _ = T::deserialize(&mut probe);
    probe.0.unwrap_or(&[])
}

struct FieldProbe(Option<&'static [&'static str]>);

impl<'de> Deserializer<'de> for &mut FieldProbe {
    type Error = PlainError;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, PlainError> {
        Err(de::Error::custom("field probe"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, PlainError> {
        self.0 = Some(fields);
        Err(de::Error::custom("field probe"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}
