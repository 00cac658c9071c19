//! Compact JSON output for the hot paths: the same text `serde_json::to_vec` writes, with
//! strings escaped eight bytes at a time.
//!
//! A worker writes about 60 KB of JSON strings per alert (the investigation, the model
//! request, the history summary, the case message's texts), and `serde_json` looks at each
//! byte of a string on its own: that loop was the largest single item of a worker's
//! profile. [`to_vec`] and [`to_string`] walk the value with their own `serde::Serializer`
//! and test a word of eight bytes for a quote, a backslash or a control character at once,
//! copying the runs between escapes in one piece. Numbers are written by `serde_json`
//! itself, and everything else the way it writes it (`null` for non-finite floats,
//! integer map keys quoted, byte strings as arrays), so the two are interchangeable; the
//! tests compare them byte for byte.

use std::fmt::Display;

use serde::ser::{self, Serialize};

/// Why a value could not be written.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    /// The value's `Serialize` implementation failed.
    #[error("{0}")]
    Custom(String),
    /// A map key that is not a string, a number, a boolean or a unit variant.
    #[error("key must be a string")]
    KeyMustBeAString,
    /// A `serde_json::value::RawValue`, which only serde_json itself can write verbatim.
    #[error("raw JSON values are not supported; serialise with serde_json")]
    RawValue,
}

/// The struct name serde_json gives a `RawValue` (its contents would otherwise be written
/// as an object with this key).
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

impl ser::Error for JsonError {
    fn custom<T: Display>(msg: T) -> Self {
        JsonError::Custom(msg.to_string())
    }
}

/// `value` as compact JSON bytes (what `serde_json::to_vec` gives).
///
/// # Errors
///
/// [`JsonError`] when the value's `Serialize` fails or a map key is not string-like.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, JsonError> {
    let mut out = Vec::with_capacity(128);
    to_writer(&mut out, value)?;
    Ok(out)
}

/// `value` as compact JSON text (what `serde_json::to_string` gives).
///
/// # Errors
///
/// As [`to_vec`].
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, JsonError> {
    let mut out = Vec::with_capacity(128);
    to_writer(&mut out, value)?;
    // Only whole UTF-8 strings and ASCII are ever written.
    String::from_utf8(out).map_err(|e| JsonError::Custom(e.to_string()))
}

/// Appends `value` as compact JSON to `out`.
///
/// # Errors
///
/// As [`to_vec`]; `out` then holds a partial value.
pub fn to_writer<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), JsonError> {
    value.serialize(&mut Writer { out })
}

/// Appends `s` as a JSON string literal (quotes included) to `out`.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let bytes = s.as_bytes();
    // `run` is where the bytes not yet copied start.
    let (mut run, mut i) = (0, 0);
    while i < bytes.len() {
        if let Some(word) = bytes.get(i..i + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            let hits = needs_escape(u64::from_le_bytes(w));
            if hits == 0 {
                i += 8;
                continue;
            }
            // The lowest flagged byte is exact (see `needs_escape`).
            let k = (hits.trailing_zeros() / 8) as usize;
            if run == i {
                // The run is this word's first `k` bytes: a fixed-size copy of the word,
                // cut back, is cheaper than copying a slice of unknown length.
                let len = out.len();
                out.extend_from_slice(&w);
                out.truncate(len + k);
                i += k;
                escape(out, bytes[i]);
                i += 1;
                run = i;
                continue;
            }
            i += k;
        } else {
            // The last few bytes: one word padded with a plain letter.
            let rest = &bytes[i..];
            let mut w = [b'a'; 8];
            w[..rest.len()].copy_from_slice(rest);
            let hits = needs_escape(u64::from_le_bytes(w));
            if hits == 0 {
                break;
            }
            i += (hits.trailing_zeros() / 8) as usize;
        }
        out.extend_from_slice(&bytes[run..i]);
        escape(out, bytes[i]);
        i += 1;
        run = i;
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `w` that is below 0x20, a quote or a backslash. A byte
/// can be flagged wrongly only above one flagged rightly (a borrow carries upwards), so
/// the lowest flag is always a real one.
fn needs_escape(w: u64) -> u64 {
    let control = w.wrapping_sub(ONES * 0x20) & !w;
    let q = w ^ (ONES * u64::from(b'"'));
    let quote = q.wrapping_sub(ONES) & !q;
    let b = w ^ (ONES * u64::from(b'\\'));
    let backslash = b.wrapping_sub(ONES) & !b;
    (control | quote | backslash) & HIGHS
}

fn escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        _ => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(b >> 4)],
            HEX[usize::from(b & 0xf)],
        ]),
    }
}

/// The numeric methods of a `Serializer`, each calling `$via(self, v)`.
macro_rules! numbers {
    ($via:ident) => {
        integers!($via);
        fn serialize_f32(self, v: f32) -> Result<(), JsonError> {
            $via(self, v)
        }
        fn serialize_f64(self, v: f64) -> Result<(), JsonError> {
            $via(self, v)
        }
    };
}

/// The integer methods of a `Serializer`, each calling `$via(self, v)`.
macro_rules! integers {
    ($via:ident) => {
        fn serialize_i8(self, v: i8) -> Result<(), JsonError> {
            $via(self, v)
        }
        fn serialize_i16(self, v: i16) -> Result<(), JsonError> {
            $via(self, v)
        }
        fn serialize_i32(self, v: i32) -> Result<(), JsonError> {
            $via(self, v)
        }
        fn serialize_i64(self, v: i64) -> Result<(), JsonError> {
            $via(self, v)
        }
        fn serialize_i128(self, v: i128) -> Result<(), JsonError> {
            $via(self, v)
        }
        fn serialize_u8(self, v: u8) -> Result<(), JsonError> {
            $via(self, v)
        }
        fn serialize_u16(self, v: u16) -> Result<(), JsonError> {
            $via(self, v)
        }
        fn serialize_u32(self, v: u32) -> Result<(), JsonError> {
            $via(self, v)
        }
        fn serialize_u64(self, v: u64) -> Result<(), JsonError> {
            $via(self, v)
        }
        fn serialize_u128(self, v: u128) -> Result<(), JsonError> {
            $via(self, v)
        }
    };
}

/// An array-writing `serde::ser` trait for [`Compound`]: `$element` adds one element.
macro_rules! sequence {
    ($trait:ident, $element:ident) => {
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = JsonError;
            fn $element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), JsonError> {
                self.comma();
                value.serialize(&mut *self.w)
            }
            fn end(self) -> Result<(), JsonError> {
                Compound::end(self);
                Ok(())
            }
        }
    };
}

/// A number, written by serde_json (identical digits, `null` for non-finite floats).
fn number<T: Serialize>(out: &mut Vec<u8>, n: T) -> Result<(), JsonError> {
    serde_json::to_writer(out, &n).map_err(|e| JsonError::Custom(e.to_string()))
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

/// [`number`] for a [`Writer`] (the shape the `numbers!` methods call).
fn number_to_out<T: Serialize>(w: &mut Writer<'_>, v: T) -> Result<(), JsonError> {
    number(w.out, v)
}

/// A number key, quoted (the shape the `integers!` methods call).
fn quoted<T: Serialize>(k: KeyWriter<'_>, v: T) -> Result<(), JsonError> {
    k.quoted(v)
}

/// An array or object being written: whether an element was written yet.
struct Compound<'w, 'a> {
    w: &'w mut Writer<'a>,
    first: bool,
    /// Closing bytes (`]`, `}` or `}}` for a variant's inner value).
    close: &'static [u8],
}

impl Compound<'_, '_> {
    fn comma(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.w.out.push(b',');
        }
    }

    fn key(&mut self, key: &str) {
        self.comma();
        write_str(self.w.out, key);
        self.w.out.push(b':');
    }

    fn end(self) {
        self.w.out.extend_from_slice(self.close);
    }
}

impl<'w, 'a> Writer<'a> {
    fn open(&'w mut self, open: &[u8], close: &'static [u8]) -> Compound<'w, 'a> {
        self.out.extend_from_slice(open);
        Compound {
            w: self,
            first: true,
            close,
        }
    }

    /// `{"variant":` before a variant's value.
    fn variant_key(&mut self, variant: &str) {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.push(b':');
    }
}

impl<'w, 'a> ser::Serializer for &'w mut Writer<'a> {
    type Ok = ();
    type Error = JsonError;
    type SerializeSeq = Compound<'w, 'a>;
    type SerializeTuple = Compound<'w, 'a>;
    type SerializeTupleStruct = Compound<'w, 'a>;
    type SerializeTupleVariant = Compound<'w, 'a>;
    type SerializeMap = Compound<'w, 'a>;
    type SerializeStruct = Compound<'w, 'a>;
    type SerializeStructVariant = Compound<'w, 'a>;

    fn serialize_bool(self, v: bool) -> Result<(), JsonError> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    numbers!(number_to_out);
    fn serialize_char(self, v: char) -> Result<(), JsonError> {
        write_str(self.out, v.encode_utf8(&mut [0u8; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), JsonError> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), JsonError> {
        let mut seq = self.open(b"[", b"]");
        for b in v {
            ser::SerializeSeq::serialize_element(&mut seq, b)?;
        }
        seq.end();
        Ok(())
    }
    fn serialize_none(self) -> Result<(), JsonError> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), JsonError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), JsonError> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), JsonError> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), JsonError> {
        write_str(self.out, variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), JsonError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), JsonError> {
        self.variant_key(variant);
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'w, 'a>, JsonError> {
        Ok(self.open(b"[", b"]"))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'w, 'a>, JsonError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'w, 'a>, JsonError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'w, 'a>, JsonError> {
        self.variant_key(variant);
        Ok(self.open(b"[", b"]}"))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'w, 'a>, JsonError> {
        Ok(self.open(b"{", b"}"))
    }
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Compound<'w, 'a>, JsonError> {
        if name == RAW_VALUE_TOKEN {
            return Err(JsonError::RawValue);
        }
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'w, 'a>, JsonError> {
        self.variant_key(variant);
        Ok(self.open(b"{", b"}}"))
    }
    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<(), JsonError> {
        // Timestamps and the like: formatted once, then escaped as one string.
        use std::fmt::Write as _;
        let mut s = String::with_capacity(40);
        write!(s, "{value}").map_err(|e| JsonError::Custom(e.to_string()))?;
        write_str(self.out, &s);
        Ok(())
    }
}

// Arrays: sequences, tuples, tuple structs and tuple variants write elements alike.
sequence!(SerializeSeq, serialize_element);
sequence!(SerializeTuple, serialize_element);
sequence!(SerializeTupleStruct, serialize_field);
sequence!(SerializeTupleVariant, serialize_field);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = JsonError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), JsonError> {
        self.comma();
        key.serialize(KeyWriter { out: self.w.out })?;
        self.w.out.push(b':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), JsonError> {
        value.serialize(&mut *self.w)
    }
    fn end(self) -> Result<(), JsonError> {
        Compound::end(self);
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = JsonError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), JsonError> {
        self.key(key);
        value.serialize(&mut *self.w)
    }
    fn end(self) -> Result<(), JsonError> {
        Compound::end(self);
        Ok(())
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = JsonError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), JsonError> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result<(), JsonError> {
        Compound::end(self);
        Ok(())
    }
}

/// A map key: strings as they are; numbers and booleans quoted, as serde_json does.
struct KeyWriter<'a> {
    out: &'a mut Vec<u8>,
}

impl KeyWriter<'_> {
    fn quoted<T: Serialize>(self, v: T) -> Result<(), JsonError> {
        self.out.push(b'"');
        number(self.out, v)?;
        self.out.push(b'"');
        Ok(())
    }
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = JsonError;
    type SerializeSeq = ser::Impossible<(), JsonError>;
    type SerializeTuple = ser::Impossible<(), JsonError>;
    type SerializeTupleStruct = ser::Impossible<(), JsonError>;
    type SerializeTupleVariant = ser::Impossible<(), JsonError>;
    type SerializeMap = ser::Impossible<(), JsonError>;
    type SerializeStruct = ser::Impossible<(), JsonError>;
    type SerializeStructVariant = ser::Impossible<(), JsonError>;

    fn serialize_str(self, v: &str) -> Result<(), JsonError> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), JsonError> {
        write_str(self.out, v.encode_utf8(&mut [0u8; 4]));
        Ok(())
    }
    fn serialize_bool(self, v: bool) -> Result<(), JsonError> {
        self.out
            .extend_from_slice(if v { b"\"true\"" } else { b"\"false\"" });
        Ok(())
    }
    integers!(quoted);
    fn serialize_f32(self, v: f32) -> Result<(), JsonError> {
        if v.is_finite() {
            self.quoted(v)
        } else {
            Err(JsonError::KeyMustBeAString)
        }
    }
    fn serialize_f64(self, v: f64) -> Result<(), JsonError> {
        if v.is_finite() {
            self.quoted(v)
        } else {
            Err(JsonError::KeyMustBeAString)
        }
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), JsonError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), JsonError> {
        value.serialize(self)
    }
    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<(), JsonError> {
        self.serialize_str(&value.to_string())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), JsonError> {
        Err(JsonError::KeyMustBeAString)
    }
    fn serialize_none(self) -> Result<(), JsonError> {
        Err(JsonError::KeyMustBeAString)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), JsonError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), JsonError> {
        Err(JsonError::KeyMustBeAString)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), JsonError> {
        Err(JsonError::KeyMustBeAString)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), JsonError> {
        Err(JsonError::KeyMustBeAString)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, JsonError> {
        Err(JsonError::KeyMustBeAString)
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, JsonError> {
        Err(JsonError::KeyMustBeAString)
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, JsonError> {
        Err(JsonError::KeyMustBeAString)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, JsonError> {
        Err(JsonError::KeyMustBeAString)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, JsonError> {
        Err(JsonError::KeyMustBeAString)
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, JsonError> {
        Err(JsonError::KeyMustBeAString)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, JsonError> {
        Err(JsonError::KeyMustBeAString)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;
    use serde_json::json;

    use super::*;

    fn same<T: Serialize + ?Sized>(v: &T) {
        let ours = to_vec(v).expect("writes");
        let theirs = serde_json::to_vec(v).expect("serde_json writes");
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs)
        );
    }

    #[test]
    fn every_byte_at_every_offset_is_escaped_as_serde_json_does() {
        // Each ASCII byte and some multi-byte characters, at every alignment of the
        // eight-byte words and in runs long enough to use them.
        let mut specials: Vec<String> = (0u8..0x80).map(|b| char::from(b).to_string()).collect();
        specials.extend(["é", "€", "😀", "\u{7f}", "\u{2028}"].map(str::to_owned));
        for s in &specials {
            for pad in 0..17 {
                let before = "a".repeat(pad);
                same(&format!("{before}{s}"));
                same(&format!("{before}{s}{before}"));
                same(&format!("{s}{before}{s}{s}"));
            }
        }
        same("");
        same(&"\"\\\n".repeat(50));
        same(&"x".repeat(1000));
    }

    #[test]
    fn random_texts_match_serde_json() {
        let alphabet: Vec<char> = ('\0'..='\u{7f}').chain("éü€😀\u{2028}".chars()).collect();
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..2000 {
            let len = rng.usize(0..64);
            let s: String = (0..len)
                .map(|_| {
                    // Mostly plain letters, as real text is, with escapes among them.
                    if rng.u8(0..4) == 0 {
                        alphabet[rng.usize(0..alphabet.len())]
                    } else {
                        char::from(rng.u8(b'a'..=b'z'))
                    }
                })
                .collect();
            same(&s);
        }
    }

    #[derive(Serialize)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    enum Tagged {
        Plain,
        WithFields { a: u8, b: Option<String> },
    }

    #[derive(Serialize)]
    enum External {
        Unit,
        Newtype(i64),
        Tuple(u8, String),
        Struct { x: f64 },
    }

    #[derive(Serialize)]
    #[serde(untagged)]
    enum Untagged {
        Number(u32),
        Text(String),
    }

    #[derive(Serialize)]
    struct Inner {
        name: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
    }

    #[derive(Serialize)]
    struct Outer {
        id: u64,
        negative: i32,
        ratio: f64,
        not_a_number: f64,
        flag: bool,
        letter: char,
        nothing: Option<u8>,
        unit: (),
        pair: (u8, &'static str),
        list: Vec<Inner>,
        #[serde(flatten)]
        extra: BTreeMap<String, serde_json::Value>,
        by_number: BTreeMap<u32, &'static str>,
        tagged: Vec<Tagged>,
        external: Vec<External>,
        untagged: Vec<Untagged>,
        bytes: serde_bytes_like::Bytes,
        at: chrono::DateTime<chrono::Utc>,
    }

    mod serde_bytes_like {
        /// A byte string serialised with `serialize_bytes`.
        pub(super) struct Bytes(pub(super) Vec<u8>);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
    }

    #[test]
    fn structures_enums_maps_and_numbers_match_serde_json() {
        let v = Outer {
            id: u64::MAX,
            negative: -42,
            ratio: 0.1 + 0.2,
            not_a_number: f64::NAN,
            flag: true,
            letter: '"',
            nothing: None,
            unit: (),
            pair: (7, "seven\n"),
            list: vec![
                Inner {
                    name: "a\tb",
                    skipped: None,
                },
                Inner {
                    name: "",
                    skipped: Some(3),
                },
            ],
            extra: BTreeMap::from([("flat".to_owned(), json!({"k": [1, 2.5, null, "\u{1}"]}))]),
            by_number: BTreeMap::from([(1, "one"), (20, "twenty")]),
            tagged: vec![
                Tagged::Plain,
                Tagged::WithFields {
                    a: 1,
                    b: Some("x".into()),
                },
            ],
            external: vec![
                External::Unit,
                External::Newtype(-1),
                External::Tuple(2, "t".into()),
                External::Struct { x: 1e300 },
            ],
            untagged: vec![Untagged::Number(5), Untagged::Text("five".into())],
            bytes: serde_bytes_like::Bytes(vec![0, 255]),
            at: chrono::DateTime::from_timestamp(1_776_568_462, 123_456_000).expect("valid"),
        };
        same(&v);
        same(&json!({"nested": {"deep": [[], {}, [{"a": -0.0}]]}, "big": 12345678901234567890u64}));
    }

    #[test]
    fn a_key_that_is_no_string_is_refused_as_serde_json_refuses_it() {
        let m = BTreeMap::from([((1u8, 2u8), "pair")]);
        assert!(matches!(to_vec(&m), Err(JsonError::KeyMustBeAString)));
        assert!(serde_json::to_vec(&m).is_err());
        let bools = BTreeMap::from([(true, 1)]);
        same(&bools);
        let optional = BTreeMap::from([(Some("k".to_owned()), 1)]);
        same(&optional);
    }

    /// Serialises the way serde_json's `RawValue` does.
    struct LikeRawValue;

    impl Serialize for LikeRawValue {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeStruct;
            let mut st = s.serialize_struct(RAW_VALUE_TOKEN, 1)?;
            st.serialize_field(RAW_VALUE_TOKEN, "[1,2]")?;
            st.end()
        }
    }

    #[test]
    fn a_raw_value_is_refused_not_written_as_an_object() {
        assert!(matches!(to_vec(&LikeRawValue), Err(JsonError::RawValue)));
        assert!(matches!(
            to_vec(&vec![LikeRawValue]),
            Err(JsonError::RawValue)
        ));
    }
}
