//! Terraform values and types, independent of their wire encoding.
//!
//! Terraform describes every attribute with a type from its type system (`cty`): primitives, collections
//! (list, set, map), structural types (object, tuple) and the dynamic pseudo-type. A value of any type may be
//! null, and during planning it may also be unknown ("known after apply"). This module is the in-memory model;
//! [`crate::plugin::codec`] turns it into and out of MessagePack and JSON.

use std::collections::BTreeMap;
use std::fmt;

/// A Terraform type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    /// `bool`.
    Bool,
    /// `number` (arbitrary precision in Terraform; integers and 64-bit floats here).
    Number,
    /// `string`.
    String,
    /// The dynamic pseudo-type: the concrete type travels with the value.
    Dynamic,
    /// `list(T)`.
    List(Box<Type>),
    /// `set(T)`.
    Set(Box<Type>),
    /// `map(T)`.
    Map(Box<Type>),
    /// `object({...})`, attributes in name order.
    Object(BTreeMap<String, Type>),
    /// `tuple([...])`.
    Tuple(Vec<Type>),
}

impl Type {
    /// `list(element)`.
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    /// `set(element)`.
    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    /// `map(element)`.
    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    /// `object({...})` from `(name, type)` pairs.
    pub fn object<I, S>(attributes: I) -> Type
    where
        I: IntoIterator<Item = (S, Type)>,
        S: Into<String>,
    {
        Type::Object(attributes.into_iter().map(|(name, ty)| (name.into(), ty)).collect())
    }
}

/// A number as Terraform sends it: integers stay exact, everything else is a 64-bit float.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// An integer that fits in 64 bits.
    Int(i64),
    /// Any other number.
    Float(f64),
}

impl Number {
    /// The number as an integer, when it is one.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Number::Int(i) => Some(i),
            Number::Float(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f <= i64::MAX as f64 => Some(f as i64),
            Number::Float(_) => None,
        }
    }

    /// The number as a float (integers beyond 2^53 lose precision).
    pub fn as_f64(&self) -> f64 {
        match *self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x}"),
        }
    }
}

/// A Terraform value. Whether a collection is a list, set or tuple (and a mapping a map or object) follows
/// the type it was decoded with.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    /// The null value of any type.
    #[default]
    Null,
    /// A value that is not known until apply. Refinements Terraform attaches are not kept.
    Unknown,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// The elements of a list.
    List(Vec<Value>),
    /// The elements of a set (order carries no meaning).
    Set(Vec<Value>),
    /// The entries of a map.
    Map(BTreeMap<String, Value>),
    /// The attributes of an object.
    Object(BTreeMap<String, Value>),
    /// The elements of a tuple.
    Tuple(Vec<Value>),
}

/// The shared null returned by accessors that find nothing.
static NULL: Value = Value::Null;

impl Value {
    /// A string value.
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// An object value from `(name, value)` pairs.
    pub fn object<I, S>(attributes: I) -> Value
    where
        I: IntoIterator<Item = (S, Value)>,
        S: Into<String>,
    {
        Value::Object(attributes.into_iter().map(|(name, v)| (name.into(), v)).collect())
    }

    /// A string value, or null for `None`.
    pub fn opt_string(s: Option<impl Into<String>>) -> Value {
        s.map_or(Value::Null, |s| Value::String(s.into()))
    }

    /// True for the null value.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// True for an unknown value (not for a known collection that contains unknowns).
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// True when neither this value nor anything inside it is unknown.
    pub fn is_fully_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => items.iter().all(Value::is_fully_known),
            Value::Map(entries) | Value::Object(entries) => entries.values().all(Value::is_fully_known),
            _ => true,
        }
    }

    /// The attribute `name` of an object (or entry of a map); null when absent or when this is not a mapping.
    pub fn attr(&self, name: &str) -> &Value {
        match self {
            Value::Object(entries) | Value::Map(entries) => entries.get(name).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// Sets attribute `name` of an object. Does nothing when this is not an object or map.
    pub fn set_attr(&mut self, name: &str, value: Value) {
        if let Value::Object(entries) | Value::Map(entries) = self {
            entries.insert(name.to_owned(), value);
        }
    }

    /// The string, when this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, when this is a known boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, when this is a known number.
    pub fn as_number(&self) -> Option<Number> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The integer, when this is a known whole number.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(|n| n.as_i64())
    }

    /// The elements, when this is a list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// The entries, when this is a map or object.
    pub fn as_entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(entries) | Value::Object(entries) => Some(entries),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Number(Number::Float(f))
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attr_of_missing_or_non_object_is_null() {
        let v = Value::object([("a", Value::from("x"))]);
        assert_eq!(v.attr("a").as_str(), Some("x"));
        assert!(v.attr("b").is_null());
        assert!(Value::from("s").attr("a").is_null());
    }

    #[test]
    fn fully_known_looks_inside_collections() {
        assert!(Value::List(vec![Value::from(1i64)]).is_fully_known());
        assert!(!Value::List(vec![Value::Unknown]).is_fully_known());
        assert!(!Value::object([("a", Value::Unknown)]).is_fully_known());
        assert!(Value::Null.is_fully_known());
    }

    #[test]
    fn whole_floats_read_as_integers() {
        assert_eq!(Number::Float(3.0).as_i64(), Some(3));
        assert_eq!(Number::Float(3.5).as_i64(), None);
    }
}
