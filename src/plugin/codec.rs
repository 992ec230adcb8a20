//! Terraform values on the wire: MessagePack and JSON, guided by a [`Type`], plus the JSON form of types.
//!
//! The conventions are Terraform's (its `cty` library):
//! - null is MessagePack nil (JSON null);
//! - unknown is a MessagePack extension value: type 0 for a plain unknown, type 12 with a payload of
//!   refinements (for example "not null" or "starts with `b-`"); both decode as [`Value::Unknown`];
//! - numbers are integers or 64-bit floats; a decimal string is accepted when decoding;
//! - a value of the dynamic pseudo-type travels with its type: a 2-element array `[type JSON, value]` in
//!   MessagePack, `{"value": ..., "type": ...}` in JSON;
//! - objects and maps are MessagePack maps; lists, sets and tuples are arrays.
//!
//! Every entry point returns a [`CodecError`] for malformed input and never panics; nesting is bounded by
//! [`MAX_DEPTH`], so hostile deeply nested input is refused instead of exhausting the stack.

use std::collections::BTreeMap;
use std::fmt;

use rmp::Marker;

use super::diagnostics::{AttributePath, PathStep};
use super::value::{Number, Type, Value};

/// The deepest nesting of values or types accepted. Real schemas are far shallower.
pub const MAX_DEPTH: usize = 64;

/// The largest refinement payload of an unknown value accepted (Terraform's own limit).
const MAX_REFINEMENT_LEN: usize = 1024;

/// MessagePack extension type of a plain unknown value.
const UNKNOWN_EXT: i8 = 0;

/// MessagePack extension type of an unknown value that carries refinements.
const REFINED_UNKNOWN_EXT: i8 = 12;

/// Why a value or type could not be encoded or decoded, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodecError {
    /// Where in the value the problem is (empty for the value itself).
    pub path: AttributePath,
    /// What is wrong.
    pub message: String,
}

impl CodecError {
    fn new(path: &AttributePath, message: impl Into<String>) -> CodecError {
        CodecError { path: path.clone(), message: message.into() }
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.steps.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "at {}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for CodecError {}

/// What JSON decoding does with object attributes the type does not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtraAttributes {
    /// Refuse them (the value must match the type).
    Reject,
    /// Drop them silently (state written by an older schema).
    Drop,
}

fn child(path: &AttributePath, step: PathStep) -> AttributePath {
    let mut p = path.clone();
    p.steps.push(step);
    p
}

fn check_depth(depth: usize, path: &AttributePath) -> Result<(), CodecError> {
    if depth > MAX_DEPTH {
        Err(CodecError::new(path, format!("nested more than {MAX_DEPTH} levels deep")))
    } else {
        Ok(())
    }
}

/// A short, human-readable name of a type, as Terraform writes it (`list(string)`).
pub fn type_name(ty: &Type) -> String {
    match ty {
        Type::Bool => "bool".into(),
        Type::Number => "number".into(),
        Type::String => "string".into(),
        Type::Dynamic => "any".into(),
        Type::List(e) => format!("list({})", type_name(e)),
        Type::Set(e) => format!("set({})", type_name(e)),
        Type::Map(e) => format!("map({})", type_name(e)),
        Type::Object(_) => "object".into(),
        Type::Tuple(_) => "tuple".into(),
    }
}

fn value_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Unknown => "unknown",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
        Value::Tuple(_) => "tuple",
    }
}

// ---------------------------------------------------------------------------------------------------------
// Type JSON
// ---------------------------------------------------------------------------------------------------------

/// The JSON form of a type: `"string"`, `["list","string"]`, `["object",{"a":"bool"}]`, `["tuple",[...]]`,
/// `"dynamic"`.
pub fn type_to_json(ty: &Type) -> serde_json::Value {
    use serde_json::Value as J;
    match ty {
        Type::Bool => J::from("bool"),
        Type::Number => J::from("number"),
        Type::String => J::from("string"),
        Type::Dynamic => J::from("dynamic"),
        Type::List(e) => J::Array(vec![J::from("list"), type_to_json(e)]),
        Type::Set(e) => J::Array(vec![J::from("set"), type_to_json(e)]),
        Type::Map(e) => J::Array(vec![J::from("map"), type_to_json(e)]),
        Type::Object(attributes) => J::Array(vec![
            J::from("object"),
            J::Object(attributes.iter().map(|(name, t)| (name.clone(), type_to_json(t))).collect()),
        ]),
        Type::Tuple(elements) => {
            J::Array(vec![J::from("tuple"), J::Array(elements.iter().map(type_to_json).collect())])
        }
    }
}

/// [`type_to_json`] as bytes, the form the protocol carries in schemas.
pub fn type_to_json_bytes(ty: &Type) -> Vec<u8> {
    type_to_json(ty).to_string().into_bytes()
}

/// Parses a type from its JSON bytes.
pub fn type_from_json_bytes(bytes: &[u8]) -> Result<Type, CodecError> {
    let root = AttributePath::default();
    let json: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| CodecError::new(&root, format!("invalid type JSON: {e}")))?;
    type_from_json(&json)
}

/// Parses a type from its JSON form. Optional-attribute markers of object type constraints are accepted and
/// ignored (a [`Type`] has no notion of them).
pub fn type_from_json(json: &serde_json::Value) -> Result<Type, CodecError> {
    parse_type(json, 0)
}

fn parse_type(json: &serde_json::Value, depth: usize) -> Result<Type, CodecError> {
    use serde_json::Value as J;
    let root = AttributePath::default();
    check_depth(depth, &root)?;
    let bad = |what: &str| CodecError::new(&root, format!("invalid type JSON: {what}"));
    match json {
        J::String(name) => match name.as_str() {
            "bool" => Ok(Type::Bool),
            "number" => Ok(Type::Number),
            "string" => Ok(Type::String),
            "dynamic" => Ok(Type::Dynamic),
            other => Err(bad(&format!("unknown primitive type {other:?}"))),
        },
        J::Array(items) => {
            let Some(J::String(kind)) = items.first() else {
                return Err(bad("a type array must start with its kind"));
            };
            let arguments = &items[1..];
            match (kind.as_str(), arguments) {
                ("list", [element]) => Ok(Type::list(parse_type(element, depth + 1)?)),
                ("set", [element]) => Ok(Type::set(parse_type(element, depth + 1)?)),
                ("map", [element]) => Ok(Type::map(parse_type(element, depth + 1)?)),
                ("object", [J::Object(attributes)]) | ("object", [J::Object(attributes), J::Array(_)]) => {
                    let mut parsed = BTreeMap::new();
                    for (name, t) in attributes {
                        parsed.insert(name.clone(), parse_type(t, depth + 1)?);
                    }
                    Ok(Type::Object(parsed))
                }
                ("tuple", [J::Array(elements)]) => {
                    Ok(Type::Tuple(elements.iter().map(|t| parse_type(t, depth + 1)).collect::<Result<Vec<_>, _>>()?))
                }
                ("list" | "set" | "map" | "object" | "tuple", _) => {
                    Err(bad(&format!("wrong arguments for a {kind} type")))
                }
                (other, _) => Err(bad(&format!("unknown type kind {other:?}"))),
            }
        }
        _ => Err(bad("expected a string or an array")),
    }
}

/// The type a value has on its own, used when it is stored in a dynamic attribute: collections take the
/// type of their first non-null element, null and unknown are dynamic.
pub fn infer_type(value: &Value) -> Type {
    fn element_type<'a>(mut items: impl Iterator<Item = &'a Value>) -> Type {
        items.find(|v| !v.is_null() && !v.is_unknown()).map_or(Type::Dynamic, infer_type)
    }
    match value {
        Value::Null | Value::Unknown => Type::Dynamic,
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(items) => Type::list(element_type(items.iter())),
        Value::Set(items) => Type::set(element_type(items.iter())),
        Value::Map(entries) => Type::map(element_type(entries.values())),
        Value::Tuple(items) => Type::Tuple(items.iter().map(infer_type).collect()),
        Value::Object(entries) => Type::Object(entries.iter().map(|(k, v)| (k.clone(), infer_type(v))).collect()),
    }
}

// ---------------------------------------------------------------------------------------------------------
// MessagePack encoding
// ---------------------------------------------------------------------------------------------------------

/// Encodes `value` as MessagePack for a value of type `ty`.
pub fn to_msgpack(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(64);
    encode(value, ty, &mut out, &AttributePath::default(), 0)?;
    Ok(out)
}

fn written<T, E: fmt::Display>(result: Result<T, E>, path: &AttributePath) -> Result<(), CodecError> {
    result.map(|_| ()).map_err(|e| CodecError::new(path, format!("writing MessagePack: {e}")))
}

fn length(len: usize, path: &AttributePath) -> Result<u32, CodecError> {
    u32::try_from(len).map_err(|_| CodecError::new(path, "too many elements for MessagePack"))
}

fn write_unknown(out: &mut Vec<u8>) {
    // fixext1 of type 0 with a zero byte: the compact "wholly unknown" form Terraform writes.
    out.extend_from_slice(&[0xd4, UNKNOWN_EXT as u8, 0]);
}

fn encode(value: &Value, ty: &Type, out: &mut Vec<u8>, path: &AttributePath, depth: usize) -> Result<(), CodecError> {
    check_depth(depth, path)?;
    if *ty == Type::Dynamic {
        return match value {
            Value::Null => written(rmp::encode::write_nil(out), path),
            Value::Unknown => {
                write_unknown(out);
                Ok(())
            }
            _ => {
                let concrete = infer_type(value);
                written(rmp::encode::write_array_len(out, 2), path)?;
                written(rmp::encode::write_bin(out, &type_to_json_bytes(&concrete)), path)?;
                encode(value, &concrete, out, path, depth + 1)
            }
        };
    }
    let mismatch =
        || CodecError::new(path, format!("a {} value cannot be stored as {}", value_kind(value), type_name(ty)));
    match (ty, value) {
        (_, Value::Unknown) => {
            write_unknown(out);
            Ok(())
        }
        (_, Value::Null) => written(rmp::encode::write_nil(out), path),
        (Type::Bool, Value::Bool(b)) => written(rmp::encode::write_bool(out, *b), path),
        (Type::Number, Value::Number(n)) => encode_number(*n, out, path),
        (Type::String, Value::String(s)) => written(rmp::encode::write_str(out, s), path),
        (Type::List(element) | Type::Set(element), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            written(rmp::encode::write_array_len(out, length(items.len(), path)?), path)?;
            for (i, item) in items.iter().enumerate() {
                encode(item, element, out, &child(path, PathStep::Index(i as i64)), depth + 1)?;
            }
            Ok(())
        }
        (Type::Tuple(elements), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            if elements.len() != items.len() {
                return Err(CodecError::new(
                    path,
                    format!("a tuple of {} elements was given {}", elements.len(), items.len()),
                ));
            }
            written(rmp::encode::write_array_len(out, length(items.len(), path)?), path)?;
            for (i, (item, element)) in items.iter().zip(elements).enumerate() {
                encode(item, element, out, &child(path, PathStep::Index(i as i64)), depth + 1)?;
            }
            Ok(())
        }
        (Type::Map(element), Value::Map(entries) | Value::Object(entries)) => {
            written(rmp::encode::write_map_len(out, length(entries.len(), path)?), path)?;
            for (key, item) in entries {
                written(rmp::encode::write_str(out, key), path)?;
                encode(item, element, out, &child(path, PathStep::Key(key.clone())), depth + 1)?;
            }
            Ok(())
        }
        (Type::Object(attributes), Value::Object(entries) | Value::Map(entries)) => {
            if let Some(extra) = entries.keys().find(|k| !attributes.contains_key(*k)) {
                return Err(CodecError::new(path, format!("unsupported attribute {extra:?}")));
            }
            written(rmp::encode::write_map_len(out, length(attributes.len(), path)?), path)?;
            // Terraform writes attributes in name order; a BTreeMap iterates in that order.
            for (name, attribute_type) in attributes {
                written(rmp::encode::write_str(out, name), path)?;
                let item = entries.get(name).unwrap_or(&Value::Null);
                encode(item, attribute_type, out, &child(path, PathStep::Attribute(name.clone())), depth + 1)?;
            }
            Ok(())
        }
        _ => Err(mismatch()),
    }
}

fn encode_number(n: Number, out: &mut Vec<u8>, path: &AttributePath) -> Result<(), CodecError> {
    match n {
        Number::Int(i) => written(rmp::encode::write_sint(out, i), path),
        Number::Float(f) if f.is_nan() => Err(CodecError::new(path, "NaN is not a Terraform number")),
        Number::Float(f) if f.fract() == 0.0 && f >= -(2f64.powi(63)) && f < 2f64.powi(63) => {
            written(rmp::encode::write_sint(out, f as i64), path)
        }
        Number::Float(f) => written(rmp::encode::write_f64(out, f), path),
    }
}

// ---------------------------------------------------------------------------------------------------------
// MessagePack decoding
// ---------------------------------------------------------------------------------------------------------

/// Decodes MessagePack `bytes` as a value of type `ty`. Trailing bytes are an error.
pub fn from_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut reader = Reader { bytes, position: 0 };
    let root = AttributePath::default();
    let value = decode(&mut reader, ty, &root, 0)?;
    if reader.position != bytes.len() {
        return Err(CodecError::new(
            &root,
            format!("{} unexpected bytes after the value", bytes.len() - reader.position),
        ));
    }
    Ok(value)
}

struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.position
    }

    fn take(&mut self, n: usize, path: &AttributePath) -> Result<&'a [u8], CodecError> {
        if n > self.remaining() {
            return Err(CodecError::new(path, "MessagePack value ends early"));
        }
        let slice = &self.bytes[self.position..self.position + n];
        self.position += n;
        Ok(slice)
    }

    fn peek(&self, path: &AttributePath) -> Result<Marker, CodecError> {
        match self.bytes.get(self.position) {
            Some(b) => Ok(Marker::from_u8(*b)),
            None => Err(CodecError::new(path, "MessagePack value ends early")),
        }
    }

    fn marker(&mut self, path: &AttributePath) -> Result<Marker, CodecError> {
        let marker = self.peek(path)?;
        self.position += 1;
        Ok(marker)
    }

    fn u8(&mut self, path: &AttributePath) -> Result<u8, CodecError> {
        Ok(self.take(1, path)?[0])
    }

    fn be<const N: usize>(&mut self, path: &AttributePath) -> Result<[u8; N], CodecError> {
        let mut array = [0u8; N];
        array.copy_from_slice(self.take(N, path)?);
        Ok(array)
    }

    fn u16(&mut self, path: &AttributePath) -> Result<usize, CodecError> {
        Ok(u16::from_be_bytes(self.be(path)?) as usize)
    }

    fn u32(&mut self, path: &AttributePath) -> Result<usize, CodecError> {
        Ok(u32::from_be_bytes(self.be(path)?) as usize)
    }

    /// Reads a string or binary payload (Terraform's type JSON may come as either).
    fn bytes_or_str(&mut self, path: &AttributePath) -> Result<&'a [u8], CodecError> {
        let len = match self.marker(path)? {
            Marker::FixStr(n) => n as usize,
            Marker::Str8 | Marker::Bin8 => self.u8(path)? as usize,
            Marker::Str16 | Marker::Bin16 => self.u16(path)?,
            Marker::Str32 | Marker::Bin32 => self.u32(path)?,
            other => return Err(CodecError::new(path, format!("expected a string, found {}", marker_kind(other)))),
        };
        self.take(len, path)
    }

    fn string(&mut self, path: &AttributePath) -> Result<String, CodecError> {
        let raw = self.bytes_or_str(path)?;
        std::str::from_utf8(raw).map(str::to_owned).map_err(|_| CodecError::new(path, "string is not valid UTF-8"))
    }

    fn array_len(&mut self, path: &AttributePath) -> Result<usize, CodecError> {
        let len = match self.marker(path)? {
            Marker::FixArray(n) => n as usize,
            Marker::Array16 => self.u16(path)?,
            Marker::Array32 => self.u32(path)?,
            other => return Err(CodecError::new(path, format!("expected an array, found {}", marker_kind(other)))),
        };
        // Every element takes at least one byte: a larger count is a lie, refuse it before allocating.
        if len > self.remaining() {
            return Err(CodecError::new(path, "array is longer than the input"));
        }
        Ok(len)
    }

    fn map_len(&mut self, path: &AttributePath) -> Result<usize, CodecError> {
        let len = match self.marker(path)? {
            Marker::FixMap(n) => n as usize,
            Marker::Map16 => self.u16(path)?,
            Marker::Map32 => self.u32(path)?,
            other => return Err(CodecError::new(path, format!("expected a map, found {}", marker_kind(other)))),
        };
        if len.saturating_mul(2) > self.remaining() {
            return Err(CodecError::new(path, "map is longer than the input"));
        }
        Ok(len)
    }

    /// Reads an extension header: (type, payload length).
    fn ext_header(&mut self, path: &AttributePath) -> Result<(i8, usize), CodecError> {
        let len = match self.marker(path)? {
            Marker::FixExt1 => 1,
            Marker::FixExt2 => 2,
            Marker::FixExt4 => 4,
            Marker::FixExt8 => 8,
            Marker::FixExt16 => 16,
            Marker::Ext8 => self.u8(path)? as usize,
            Marker::Ext16 => self.u16(path)?,
            Marker::Ext32 => self.u32(path)?,
            other => return Err(CodecError::new(path, format!("expected an extension, found {}", marker_kind(other)))),
        };
        let ty = self.u8(path)? as i8;
        Ok((ty, len))
    }
}

fn is_ext(marker: Marker) -> bool {
    matches!(
        marker,
        Marker::FixExt1
            | Marker::FixExt2
            | Marker::FixExt4
            | Marker::FixExt8
            | Marker::FixExt16
            | Marker::Ext8
            | Marker::Ext16
            | Marker::Ext32
    )
}

fn marker_kind(marker: Marker) -> &'static str {
    match marker {
        Marker::Null => "nil",
        Marker::True | Marker::False => "a boolean",
        Marker::FixPos(_)
        | Marker::FixNeg(_)
        | Marker::U8
        | Marker::U16
        | Marker::U32
        | Marker::U64
        | Marker::I8
        | Marker::I16
        | Marker::I32
        | Marker::I64 => "an integer",
        Marker::F32 | Marker::F64 => "a float",
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => "a string",
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => "binary data",
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => "an array",
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => "a map",
        Marker::Reserved => "a reserved marker",
        _ => "an extension",
    }
}

fn decode(reader: &mut Reader<'_>, ty: &Type, path: &AttributePath, depth: usize) -> Result<Value, CodecError> {
    check_depth(depth, path)?;
    let marker = reader.peek(path)?;
    if is_ext(marker) {
        return decode_unknown(reader, path);
    }
    if *ty == Type::Dynamic {
        return decode_dynamic(reader, path, depth);
    }
    if let Marker::Null = marker {
        reader.position += 1;
        return Ok(Value::Null);
    }
    match ty {
        Type::Bool => match reader.marker(path)? {
            Marker::True => Ok(Value::Bool(true)),
            Marker::False => Ok(Value::Bool(false)),
            other => Err(CodecError::new(path, format!("expected a bool, found {}", marker_kind(other)))),
        },
        Type::Number => decode_number(reader, path).map(Value::Number),
        Type::String => reader.string(path).map(Value::String),
        Type::List(element) | Type::Set(element) => {
            let len = reader.array_len(path)?;
            let mut items = Vec::with_capacity(len);
            for i in 0..len {
                items.push(decode(reader, element, &child(path, PathStep::Index(i as i64)), depth + 1)?);
            }
            Ok(if matches!(ty, Type::Set(_)) { Value::Set(items) } else { Value::List(items) })
        }
        Type::Tuple(elements) => {
            let len = reader.array_len(path)?;
            if len != elements.len() {
                return Err(CodecError::new(path, format!("a tuple of {} elements was given {len}", elements.len())));
            }
            let mut items = Vec::with_capacity(len);
            for (i, element) in elements.iter().enumerate() {
                items.push(decode(reader, element, &child(path, PathStep::Index(i as i64)), depth + 1)?);
            }
            Ok(Value::Tuple(items))
        }
        Type::Map(element) => {
            let len = reader.map_len(path)?;
            let mut entries = BTreeMap::new();
            for _ in 0..len {
                let key = reader.string(path)?;
                let item = decode(reader, element, &child(path, PathStep::Key(key.clone())), depth + 1)?;
                entries.insert(key, item);
            }
            Ok(Value::Map(entries))
        }
        Type::Object(attributes) => {
            let len = reader.map_len(path)?;
            let mut entries = BTreeMap::new();
            for _ in 0..len {
                let name = reader.string(path)?;
                let attribute_path = child(path, PathStep::Attribute(name.clone()));
                let Some(attribute_type) = attributes.get(&name) else {
                    return Err(CodecError::new(&attribute_path, "unsupported attribute"));
                };
                let item = decode(reader, attribute_type, &attribute_path, depth + 1)?;
                entries.insert(name, item);
            }
            for name in attributes.keys() {
                entries.entry(name.clone()).or_insert(Value::Null);
            }
            Ok(Value::Object(entries))
        }
        Type::Dynamic => decode_dynamic(reader, path, depth),
    }
}

fn decode_unknown(reader: &mut Reader<'_>, path: &AttributePath) -> Result<Value, CodecError> {
    let (ext_type, len) = reader.ext_header(path)?;
    if len <= 1 {
        // The plain unknown (Terraform writes type 0 with one zero byte; the payload has no meaning).
        reader.take(len, path)?;
        return Ok(Value::Unknown);
    }
    if ext_type != REFINED_UNKNOWN_EXT {
        return Err(CodecError::new(path, format!("unsupported MessagePack extension type {ext_type} ({len} bytes)")));
    }
    if len > MAX_REFINEMENT_LEN {
        return Err(CodecError::new(path, "unknown value refinements are too large"));
    }
    let payload = reader.take(len, path)?;
    // The refinements (not null, string prefix, number or length bounds) are a map; they are not kept.
    match payload.first().map(|b| Marker::from_u8(*b)) {
        Some(Marker::FixMap(_) | Marker::Map16 | Marker::Map32) => Ok(Value::Unknown),
        _ => Err(CodecError::new(path, "unknown value refinements are not a map")),
    }
}

fn decode_dynamic(reader: &mut Reader<'_>, path: &AttributePath, depth: usize) -> Result<Value, CodecError> {
    if let Marker::Null = reader.peek(path)? {
        reader.position += 1;
        return Ok(Value::Null);
    }
    let len = reader.array_len(path)?;
    if len != 2 {
        return Err(CodecError::new(path, "a dynamic value must be a [type, value] array"));
    }
    let type_json = reader.bytes_or_str(path)?;
    let ty = type_from_json_bytes(type_json).map_err(|e| CodecError::new(path, e.message))?;
    decode(reader, &ty, path, depth + 1)
}

fn decode_number(reader: &mut Reader<'_>, path: &AttributePath) -> Result<Number, CodecError> {
    let number = match reader.marker(path)? {
        Marker::FixPos(n) => Number::Int(i64::from(n)),
        Marker::FixNeg(n) => Number::Int(i64::from(n)),
        Marker::U8 => Number::Int(i64::from(reader.u8(path)?)),
        Marker::U16 => Number::Int(i64::from(u16::from_be_bytes(reader.be(path)?))),
        Marker::U32 => Number::Int(i64::from(u32::from_be_bytes(reader.be(path)?))),
        Marker::U64 => {
            let n = u64::from_be_bytes(reader.be(path)?);
            i64::try_from(n).map_or(Number::Float(n as f64), Number::Int)
        }
        Marker::I8 => Number::Int(i64::from(i8::from_be_bytes(reader.be(path)?))),
        Marker::I16 => Number::Int(i64::from(i16::from_be_bytes(reader.be(path)?))),
        Marker::I32 => Number::Int(i64::from(i32::from_be_bytes(reader.be(path)?))),
        Marker::I64 => Number::Int(i64::from_be_bytes(reader.be(path)?)),
        Marker::F32 => float(f64::from(f32::from_be_bytes(reader.be(path)?)), path)?,
        Marker::F64 => float(f64::from_be_bytes(reader.be(path)?), path)?,
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
            reader.position -= 1;
            let text = reader.string(path)?;
            parse_number(&text).ok_or_else(|| CodecError::new(path, format!("{text:?} is not a number")))?
        }
        other => return Err(CodecError::new(path, format!("expected a number, found {}", marker_kind(other)))),
    };
    Ok(number)
}

fn float(f: f64, path: &AttributePath) -> Result<Number, CodecError> {
    if f.is_nan() { Err(CodecError::new(path, "NaN is not a Terraform number")) } else { Ok(canonical(f)) }
}

/// A float that holds a whole number within 64 bits is that integer, as [`encode_number`] writes it: one number,
/// one representation, so that a value reads back equal to itself.
fn canonical(f: f64) -> Number {
    if f.fract() == 0.0 && f >= -(2f64.powi(63)) && f < 2f64.powi(63) {
        Number::Int(f as i64)
    } else {
        Number::Float(f)
    }
}

/// Parses a decimal number as Terraform writes numbers that do not fit 64 bits.
fn parse_number(text: &str) -> Option<Number> {
    let text = text.trim();
    if let Ok(i) = text.parse::<i64>() {
        return Some(Number::Int(i));
    }
    // Rust's float parser also takes "inf" and "NaN", which are no decimal numbers.
    let decimal =
        !text.is_empty() && text.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'));
    if !decimal {
        return None;
    }
    text.parse::<f64>().ok().filter(|f| f.is_finite()).map(canonical)
}

// ---------------------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------------------

/// Encodes `value` as Terraform's JSON for a value of type `ty`. Unknown values have no JSON form.
pub fn to_json(value: &Value, ty: &Type) -> Result<serde_json::Value, CodecError> {
    value_to_json(value, ty, &AttributePath::default(), 0)
}

/// [`to_json`] as bytes.
pub fn to_json_bytes(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    to_json(value, ty).map(|j| j.to_string().into_bytes())
}

fn value_to_json(
    value: &Value,
    ty: &Type,
    path: &AttributePath,
    depth: usize,
) -> Result<serde_json::Value, CodecError> {
    use serde_json::Value as J;
    check_depth(depth, path)?;
    if *ty == Type::Dynamic {
        return match value {
            Value::Null => Ok(J::Null),
            Value::Unknown => Err(CodecError::new(path, "unknown values cannot be written as JSON")),
            _ => {
                let concrete = infer_type(value);
                let inner = value_to_json(value, &concrete, path, depth + 1)?;
                let mut wrapper = serde_json::Map::new();
                wrapper.insert("value".into(), inner);
                wrapper.insert("type".into(), type_to_json(&concrete));
                Ok(J::Object(wrapper))
            }
        };
    }
    let mismatch =
        || CodecError::new(path, format!("a {} value cannot be stored as {}", value_kind(value), type_name(ty)));
    match (ty, value) {
        (_, Value::Unknown) => Err(CodecError::new(path, "unknown values cannot be written as JSON")),
        (_, Value::Null) => Ok(J::Null),
        (Type::Bool, Value::Bool(b)) => Ok(J::Bool(*b)),
        (Type::Number, Value::Number(Number::Int(i))) => Ok(J::from(*i)),
        (Type::Number, Value::Number(Number::Float(f))) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .ok_or_else(|| CodecError::new(path, "infinite and NaN numbers have no JSON form")),
        (Type::String, Value::String(s)) => Ok(J::String(s.clone())),
        (Type::List(element) | Type::Set(element), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            items
                .iter()
                .enumerate()
                .map(|(i, item)| value_to_json(item, element, &child(path, PathStep::Index(i as i64)), depth + 1))
                .collect::<Result<Vec<_>, _>>()
                .map(J::Array)
        }
        (Type::Tuple(elements), Value::List(items) | Value::Set(items) | Value::Tuple(items)) => {
            if elements.len() != items.len() {
                return Err(CodecError::new(
                    path,
                    format!("a tuple of {} elements was given {}", elements.len(), items.len()),
                ));
            }
            items
                .iter()
                .zip(elements)
                .enumerate()
                .map(|(i, (item, element))| {
                    value_to_json(item, element, &child(path, PathStep::Index(i as i64)), depth + 1)
                })
                .collect::<Result<Vec<_>, _>>()
                .map(J::Array)
        }
        (Type::Map(element), Value::Map(entries) | Value::Object(entries)) => {
            let mut object = serde_json::Map::new();
            for (key, item) in entries {
                let item = value_to_json(item, element, &child(path, PathStep::Key(key.clone())), depth + 1)?;
                object.insert(key.clone(), item);
            }
            Ok(J::Object(object))
        }
        (Type::Object(attributes), Value::Object(entries) | Value::Map(entries)) => {
            if let Some(extra) = entries.keys().find(|k| !attributes.contains_key(*k)) {
                return Err(CodecError::new(path, format!("unsupported attribute {extra:?}")));
            }
            let mut object = serde_json::Map::new();
            for (name, attribute_type) in attributes {
                let item = entries.get(name).unwrap_or(&Value::Null);
                let attribute_path = child(path, PathStep::Attribute(name.clone()));
                object.insert(name.clone(), value_to_json(item, attribute_type, &attribute_path, depth + 1)?);
            }
            Ok(J::Object(object))
        }
        _ => Err(mismatch()),
    }
}

/// Decodes Terraform's JSON `bytes` as a value of type `ty`.
pub fn from_json_bytes(bytes: &[u8], ty: &Type, extra: ExtraAttributes) -> Result<Value, CodecError> {
    let json: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| CodecError::new(&AttributePath::default(), format!("invalid JSON: {e}")))?;
    from_json(&json, ty, extra)
}

/// Decodes Terraform's JSON as a value of type `ty`. Attributes the type lacks are refused or dropped as
/// `extra` says; attributes the JSON lacks are null. Like Terraform, strings are accepted for numbers and
/// bools, and numbers and bools for strings.
pub fn from_json(json: &serde_json::Value, ty: &Type, extra: ExtraAttributes) -> Result<Value, CodecError> {
    json_to_value(json, ty, extra, &AttributePath::default(), 0)
}

fn json_to_value(
    json: &serde_json::Value,
    ty: &Type,
    extra: ExtraAttributes,
    path: &AttributePath,
    depth: usize,
) -> Result<Value, CodecError> {
    use serde_json::Value as J;
    check_depth(depth, path)?;
    if json.is_null() {
        return Ok(Value::Null);
    }
    let mismatch = |expected: &str| CodecError::new(path, format!("expected {expected}, found {}", json_kind(json)));
    match ty {
        Type::Dynamic => {
            let J::Object(wrapper) = json else {
                return Err(mismatch("a {\"value\", \"type\"} object for a dynamic value"));
            };
            let (Some(inner), Some(type_json)) = (wrapper.get("value"), wrapper.get("type")) else {
                return Err(mismatch("a {\"value\", \"type\"} object for a dynamic value"));
            };
            let concrete = parse_type(type_json, depth + 1).map_err(|e| CodecError::new(path, e.message))?;
            json_to_value(inner, &concrete, extra, path, depth + 1)
        }
        Type::Bool => match json {
            J::Bool(b) => Ok(Value::Bool(*b)),
            J::String(s) if s == "true" => Ok(Value::Bool(true)),
            J::String(s) if s == "false" => Ok(Value::Bool(false)),
            _ => Err(mismatch("a bool")),
        },
        Type::Number => match json {
            J::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Ok(Value::Number(Number::Int(i))),
                (None, Some(f)) => Ok(Value::Number(canonical(f))),
                (None, None) => Err(mismatch("a number")),
            },
            J::String(s) => parse_number(s).map(Value::Number).ok_or_else(|| mismatch("a number")),
            _ => Err(mismatch("a number")),
        },
        Type::String => match json {
            J::String(s) => Ok(Value::String(s.clone())),
            J::Number(n) => Ok(Value::String(n.to_string())),
            J::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(mismatch("a string")),
        },
        Type::List(element) | Type::Set(element) => {
            let J::Array(items) = json else { return Err(mismatch("an array")) };
            let items = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    json_to_value(item, element, extra, &child(path, PathStep::Index(i as i64)), depth + 1)
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if matches!(ty, Type::Set(_)) { Value::Set(items) } else { Value::List(items) })
        }
        Type::Tuple(elements) => {
            let J::Array(items) = json else { return Err(mismatch("an array")) };
            if items.len() != elements.len() {
                return Err(CodecError::new(
                    path,
                    format!("a tuple of {} elements was given {}", elements.len(), items.len()),
                ));
            }
            items
                .iter()
                .zip(elements)
                .enumerate()
                .map(|(i, (item, element))| {
                    json_to_value(item, element, extra, &child(path, PathStep::Index(i as i64)), depth + 1)
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Tuple)
        }
        Type::Map(element) => {
            let J::Object(object) = json else { return Err(mismatch("an object")) };
            let mut entries = BTreeMap::new();
            for (key, item) in object {
                let item = json_to_value(item, element, extra, &child(path, PathStep::Key(key.clone())), depth + 1)?;
                entries.insert(key.clone(), item);
            }
            Ok(Value::Map(entries))
        }
        Type::Object(attributes) => {
            let J::Object(object) = json else { return Err(mismatch("an object")) };
            if extra == ExtraAttributes::Reject
                && let Some(name) = object.keys().find(|k| !attributes.contains_key(*k))
            {
                return Err(CodecError::new(&child(path, PathStep::Attribute(name.clone())), "unsupported attribute"));
            }
            let mut entries = BTreeMap::new();
            for (name, attribute_type) in attributes {
                let attribute_path = child(path, PathStep::Attribute(name.clone()));
                let item = match object.get(name) {
                    Some(item) => json_to_value(item, attribute_type, extra, &attribute_path, depth + 1)?,
                    None => Value::Null,
                };
                entries.insert(name.clone(), item);
            }
            Ok(Value::Object(entries))
        }
    }
}

fn json_kind(json: &serde_json::Value) -> &'static str {
    use serde_json::Value as J;
    match json {
        J::Null => "null",
        J::Bool(_) => "a bool",
        J::Number(_) => "a number",
        J::String(_) => "a string",
        J::Array(_) => "an array",
        J::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(value: Value, ty: Type) {
        let bytes = to_msgpack(&value, &ty).unwrap_or_else(|e| panic!("encoding {value:?}: {e}"));
        let back = from_msgpack(&bytes, &ty).unwrap_or_else(|e| panic!("decoding {value:?}: {e}"));
        assert_eq!(back, value, "msgpack round trip of {ty:?}");
        if value.is_fully_known() {
            let json = to_json_bytes(&value, &ty).unwrap_or_else(|e| panic!("JSON encoding {value:?}: {e}"));
            let back = from_json_bytes(&json, &ty, ExtraAttributes::Reject)
                .unwrap_or_else(|e| panic!("JSON decoding {value:?}: {e}"));
            assert_eq!(back, value, "JSON round trip of {ty:?}");
        }
    }

    fn everything_type() -> Type {
        Type::object([
            ("b", Type::Bool),
            ("n", Type::Number),
            ("s", Type::String),
            ("l", Type::list(Type::String)),
            ("set", Type::set(Type::Number)),
            ("m", Type::map(Type::Bool)),
            ("t", Type::Tuple(vec![Type::String, Type::Number])),
            ("o", Type::object([("inner", Type::String)])),
            ("d", Type::Dynamic),
        ])
    }

    #[test]
    fn whole_floats_read_as_the_integers_they_are_written_as() {
        let path = AttributePath::default();
        // float32 -4.4145372613752914e18, a whole number: found by the msgpack_value fuzz target.
        let bytes = [0x93, 0x61, 0xca, 0xde, 0x75, 0x0e, 0x59, 0x00];
        let ty = Type::set(Type::Number);
        let value = from_msgpack(&bytes, &ty).unwrap();
        let again = from_msgpack(&to_msgpack(&value, &ty).unwrap(), &ty).unwrap();
        assert_eq!(again, value);
        assert_eq!(float(5.0, &path).unwrap(), Number::Int(5));
        assert_eq!(float(0.5, &path).unwrap(), Number::Float(0.5));
        assert_eq!(float(2f64.powi(63), &path).unwrap(), Number::Float(2f64.powi(63)));
        assert_eq!(parse_number("1e3"), Some(Number::Int(1000)));
    }

    #[test]
    fn every_type_round_trips() {
        roundtrip(Value::Bool(true), Type::Bool);
        roundtrip(Value::Bool(false), Type::Bool);
        for n in [0i64, 1, -1, 127, 128, -33, 255, 65_536, i64::MAX, i64::MIN] {
            roundtrip(Value::from(n), Type::Number);
        }
        roundtrip(Value::from(0.5), Type::Number);
        roundtrip(Value::from(-1.25e300), Type::Number);
        roundtrip(Value::from(""), Type::String);
        roundtrip(Value::from("héllo ✓"), Type::String);
        roundtrip(Value::from("x".repeat(70_000)), Type::String);
        roundtrip(Value::List(vec![Value::from("a"), Value::Null]), Type::list(Type::String));
        roundtrip(Value::List(vec![]), Type::list(Type::String));
        roundtrip(Value::Set(vec![Value::from(1i64), Value::from(2i64)]), Type::set(Type::Number));
        roundtrip(Value::Map([("k".to_owned(), Value::from(true))].into_iter().collect()), Type::map(Type::Bool));
        roundtrip(
            Value::Tuple(vec![Value::from("a"), Value::from(1i64)]),
            Type::Tuple(vec![Type::String, Type::Number]),
        );
        let big_list = Value::List((0..70_000i64).map(Value::from).collect());
        roundtrip(big_list, Type::list(Type::Number));
        roundtrip(
            Value::object([
                ("b", Value::from(true)),
                ("n", Value::from(3i64)),
                ("s", Value::from("x")),
                ("l", Value::List(vec![Value::from("a")])),
                ("set", Value::Set(vec![Value::from(1i64)])),
                ("m", Value::Map(BTreeMap::new())),
                ("t", Value::Tuple(vec![Value::from("a"), Value::from(2.5)])),
                ("o", Value::object([("inner", Value::Null)])),
                ("d", Value::object([("x", Value::List(vec![Value::from(1i64)]))])),
            ]),
            everything_type(),
        );
    }

    #[test]
    fn null_and_unknown_round_trip_in_every_position() {
        for ty in [Type::Bool, Type::Number, Type::String, Type::list(Type::String), Type::Dynamic, everything_type()] {
            roundtrip(Value::Null, ty.clone());
            roundtrip(Value::Unknown, ty);
        }
        let mut full = Value::object(["b", "n", "set", "m", "t", "o"].map(|name| (name, Value::Null)));
        full.set_attr("s", Value::Unknown);
        full.set_attr("l", Value::List(vec![Value::Unknown]));
        full.set_attr("d", Value::Unknown);
        roundtrip(full, everything_type());
    }

    #[test]
    fn unknown_is_written_as_terraform_writes_it() {
        assert_eq!(to_msgpack(&Value::Unknown, &Type::String).unwrap(), vec![0xd4, 0, 0]);
        assert_eq!(to_msgpack(&Value::Null, &Type::String).unwrap(), vec![0xc0]);
    }

    #[test]
    fn refined_unknowns_decode_as_unknown() {
        // ext 12 carrying {2: "b-"} (a string prefix refinement) and {1: false} (not null).
        let prefix = [0xc7, 5, 12, 0x81, 0x02, 0xa2, b'b', b'-'];
        assert_eq!(from_msgpack(&prefix, &Type::String).unwrap(), Value::Unknown);
        let not_null = [0xc7, 3, 12, 0x81, 0x01, 0xc2];
        assert_eq!(from_msgpack(&not_null, &Type::list(Type::String)).unwrap(), Value::Unknown);
        // Inside an object, next to known values.
        let mut bytes = vec![0x82, 0xa1, b'a'];
        bytes.extend_from_slice(&prefix);
        bytes.extend_from_slice(&[0xa1, b'b', 0xa1, b'x']);
        let ty = Type::object([("a", Type::String), ("b", Type::String)]);
        assert_eq!(from_msgpack(&bytes, &ty).unwrap(), Value::object([("a", Value::Unknown), ("b", Value::from("x"))]));
    }

    #[test]
    fn malformed_refinements_are_refused() {
        // A payload that is not a map, an unsupported extension type, and an oversize payload.
        assert!(from_msgpack(&[0xd5, 12, 0x01, 0x02], &Type::String).is_err());
        assert!(from_msgpack(&[0xd5, 7, 0x81, 0x01], &Type::String).is_err());
        let mut oversize = vec![0xc8, 0x08, 0x00, 12, 0x81];
        oversize.resize(5 + 2048, 0);
        assert!(from_msgpack(&oversize, &Type::String).unwrap_err().message.contains("too large"));
    }

    #[test]
    fn numbers_accept_every_encoding() {
        let cases: &[(&[u8], Number)] = &[
            (&[0x05], Number::Int(5)),
            (&[0xff], Number::Int(-1)),
            (&[0xcc, 200], Number::Int(200)),
            (&[0xcd, 0x01, 0x00], Number::Int(256)),
            (&[0xce, 0, 1, 0, 0], Number::Int(65_536)),
            (&[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], Number::Float(u64::MAX as f64)),
            (&[0xd0, 0x80], Number::Int(-128)),
            (&[0xd1, 0xff, 0x00], Number::Int(-256)),
            (&[0xd2, 0xff, 0xff, 0xff, 0xff], Number::Int(-1)),
            (&[0xd3, 0, 0, 0, 0, 0, 0, 0, 7], Number::Int(7)),
            (&[0xca, 0x3f, 0x00, 0x00, 0x00], Number::Float(0.5)),
            (&[0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0], Number::Float(0.5)),
            (&[0xa3, b'1', b'.', b'5'], Number::Float(1.5)),
            (&[0xa2, b'4', b'2'], Number::Int(42)),
        ];
        for (bytes, expected) in cases {
            assert_eq!(from_msgpack(bytes, &Type::Number).unwrap(), Value::Number(*expected), "{bytes:x?}");
        }
        // A decimal string too large for 64 bits, as Terraform writes it.
        let big = "123456789012345678901234567890";
        let mut bytes = vec![0xa0 | big.len() as u8];
        bytes.extend_from_slice(big.as_bytes());
        assert_eq!(from_msgpack(&bytes, &Type::Number).unwrap(), Value::from(1.2345678901234568e29));
        assert!(from_msgpack(&[0xa3, b'i', b'n', b'f'], &Type::Number).is_err());
        assert!(from_msgpack(&[0xa3, b'N', b'a', b'N'], &Type::Number).is_err());
        // Whole floats are written as integers, as Terraform does.
        assert_eq!(to_msgpack(&Value::from(3.0), &Type::Number).unwrap(), vec![0x03]);
        assert!(to_msgpack(&Value::from(f64::NAN), &Type::Number).is_err());
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let value = Value::List(vec![Value::from("a")]);
        let bytes = to_msgpack(&value, &Type::Dynamic).unwrap();
        // [ bin(["list","string"]), ["a"] ]
        let mut expected = vec![0x92, 0xc4, 17];
        expected.extend_from_slice(br#"["list","string"]"#);
        expected.extend_from_slice(&[0x91, 0xa1, b'a']);
        assert_eq!(bytes, expected);
        assert_eq!(from_msgpack(&bytes, &Type::Dynamic).unwrap(), value);
        // The type may also come as a string, as older encoders write it.
        let mut as_str = vec![0x92, 0xa8];
        as_str.extend_from_slice(br#""number""#);
        as_str.push(0x07);
        assert_eq!(from_msgpack(&as_str, &Type::Dynamic).unwrap(), Value::from(7i64));
        // Floats inside dynamic values keep their fraction.
        roundtrip(Value::object([("f", Value::from(0.25))]), Type::Dynamic);
        assert_eq!(
            to_json(&Value::from(true), &Type::Dynamic).unwrap(),
            serde_json::json!({"value": true, "type": "bool"})
        );
        assert!(from_msgpack(&[0x93, 0xc4, 0, 0, 0], &Type::Dynamic).is_err());
    }

    #[test]
    fn type_json_parses_and_prints() {
        let cases = [
            (r#""string""#, Type::String),
            (r#""number""#, Type::Number),
            (r#""bool""#, Type::Bool),
            (r#""dynamic""#, Type::Dynamic),
            (r#"["list","string"]"#, Type::list(Type::String)),
            (r#"["set","number"]"#, Type::set(Type::Number)),
            (r#"["map",["list","bool"]]"#, Type::map(Type::list(Type::Bool))),
            (r#"["object",{"a":"string","b":["tuple",["number","dynamic"]]}]"#, {
                Type::object([("a", Type::String), ("b", Type::Tuple(vec![Type::Number, Type::Dynamic]))])
            }),
        ];
        for (json, ty) in cases {
            assert_eq!(type_from_json_bytes(json.as_bytes()).unwrap(), ty, "{json}");
            assert_eq!(String::from_utf8(type_to_json_bytes(&ty)).unwrap(), json);
        }
        assert_eq!(
            type_from_json_bytes(br#"["object",{"a":"string"},["a"]]"#).unwrap(),
            Type::object([("a", Type::String)])
        );
        for bad in [r#""strng""#, r#"["list"]"#, r#"["list","string","x"]"#, r#"["frob","string"]"#, "7", "[]", "{"] {
            assert!(type_from_json_bytes(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn malformed_msgpack_gives_errors() {
        let ty = everything_type();
        let cases: &[&[u8]] = &[
            &[],
            &[0xc1],
            &[0x81],
            &[0x81, 0xa1, b'z', 0xc0],
            &[0x81, 0x01, 0xc0],
            &[0xdf, 0xff, 0xff, 0xff, 0xff],
            &[0x81, 0xa1, b'l', 0xdd, 0xff, 0xff, 0xff, 0xff],
            &[0x81, 0xa1, b's', 0xa2, 0xff, 0xfe],
            &[0x81, 0xa1, b'b', 0x01],
            &[0x81, 0xa1, b't', 0x91, 0xc0],
            &[0xc0, 0xc0],
        ];
        for bytes in cases {
            assert!(from_msgpack(bytes, &ty).is_err(), "{bytes:x?}");
        }
        let error = from_msgpack(&[0x81, 0xa1, b'b', 0x01], &ty).unwrap_err();
        assert_eq!(error.path, AttributePath::root("b"));
        assert_eq!(error.to_string(), "at b: expected a bool, found an integer");
    }

    #[test]
    fn hostile_nesting_is_refused_not_overflowed() {
        // A dynamic value whose type JSON nests lists 100 000 levels deep.
        let depth = 100_000;
        let type_json = format!("{}\"string\"{}", "[\"list\",".repeat(depth), "]".repeat(depth));
        let mut bytes = vec![0x92, 0xc6];
        bytes.extend_from_slice(&(type_json.len() as u32).to_be_bytes());
        bytes.extend_from_slice(type_json.as_bytes());
        bytes.push(0xc0);
        assert!(from_msgpack(&bytes, &Type::Dynamic).is_err());
        // Dynamic values nested inside dynamic values.
        let mut nested = Vec::new();
        for _ in 0..depth {
            nested.extend_from_slice(&[0x92, 0xa9]);
            nested.extend_from_slice(b"\"dynamic\"");
        }
        nested.push(0xc0);
        assert!(from_msgpack(&nested, &Type::Dynamic).unwrap_err().message.contains("levels deep"));
        // JSON nested deeper than the limit.
        let json = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        assert!(from_json_bytes(json.as_bytes(), &Type::Dynamic, ExtraAttributes::Reject).is_err());
        // A deeply nested value built in memory.
        let mut ty = Type::String;
        let mut value = Value::from("x");
        for _ in 0..(MAX_DEPTH + 5) {
            ty = Type::list(ty);
            value = Value::List(vec![value]);
        }
        assert!(to_msgpack(&value, &ty).is_err());
    }

    #[test]
    fn encoding_checks_values_against_the_type() {
        let ty = Type::object([("a", Type::String)]);
        let error = to_msgpack(&Value::object([("a", Value::from(1i64))]), &ty).unwrap_err();
        assert_eq!(error.to_string(), "at a: a number value cannot be stored as string");
        assert!(to_msgpack(&Value::object([("zzz", Value::Null)]), &ty).is_err());
        // Missing attributes are written as null.
        let bytes = to_msgpack(&Value::object::<_, &str>([]), &ty).unwrap();
        assert_eq!(bytes, vec![0x81, 0xa1, b'a', 0xc0]);
        assert!(to_msgpack(&Value::Tuple(vec![]), &Type::Tuple(vec![Type::String])).is_err());
    }

    #[test]
    fn json_normalises_old_state() {
        let ty = Type::object([("kept", Type::String), ("added", Type::Number), ("n", Type::Number)]);
        let json = br#"{"kept":"x","removed":true,"n":"12"}"#;
        assert!(from_json_bytes(json, &ty, ExtraAttributes::Reject).is_err());
        assert_eq!(
            from_json_bytes(json, &ty, ExtraAttributes::Drop).unwrap(),
            Value::object([("kept", Value::from("x")), ("added", Value::Null), ("n", Value::from(12i64))])
        );
        assert!(from_json_bytes(b"{", &ty, ExtraAttributes::Drop).is_err());
        assert!(from_json_bytes(br#"{"kept":[]}"#, &ty, ExtraAttributes::Drop).is_err());
        assert!(to_json(&Value::Unknown, &Type::String).is_err());
    }
}
