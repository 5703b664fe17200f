//! Terraform values (cty) and their MessagePack wire form.
//!
//! Terraform sends configuration, plans and state as MessagePack shaped by the schema's type:
//! objects are maps keyed by attribute name, lists are arrays, null is nil and an unknown value
//! ("known after apply") is the extension type 0 (or 12 when it carries refinements). This module
//! decodes those bytes against a [`Ty`] and encodes values back, always writing every attribute of
//! an object so Terraform sees the full shape it expects.

use std::collections::BTreeMap;
use std::fmt;

/// A cty type, as far as the schemas of this provider need.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    String,
    Number,
    Bool,
    List(Box<Ty>),
    Set(Box<Ty>),
    Map(Box<Ty>),
    Object(Vec<(String, Ty)>),
    /// `dynamic`: any value; carried as an opaque MessagePack value.
    Dynamic,
}

impl Ty {
    /// The JSON form Terraform expects in a schema's `type` field.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Ty::String => json!("string"),
            Ty::Number => json!("number"),
            Ty::Bool => json!("bool"),
            Ty::List(inner) => json!(["list", inner.to_json()]),
            Ty::Set(inner) => json!(["set", inner.to_json()]),
            Ty::Map(inner) => json!(["map", inner.to_json()]),
            Ty::Object(attrs) => {
                let fields: serde_json::Map<String, serde_json::Value> =
                    attrs.iter().map(|(name, ty)| (name.clone(), ty.to_json())).collect();
                json!(["object", fields])
            }
            Ty::Dynamic => json!("dynamic"),
        }
    }
}

/// A Terraform value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Unknown,
    Bool(bool),
    Number(f64),
    String(String),
    /// List or set elements.
    List(Vec<Value>),
    /// Object attributes or map entries.
    Object(BTreeMap<String, Value>),
    /// A known value of a `dynamic` attribute, kept as it came.
    Opaque(rmpv::Value),
}

/// A value that does not fit its type.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeError(pub String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

/// cty's extension type for an unknown value.
const UNKNOWN_EXT: i8 = 0;
/// cty's extension type for an unknown value with refinements (e.g. "not null").
const REFINED_UNKNOWN_EXT: i8 = 12;

impl Value {
    pub fn str(text: impl Into<String>) -> Value {
        Value::String(text.into())
    }

    /// A string, or null for `None`.
    pub fn opt_str(text: Option<impl Into<String>>) -> Value {
        text.map_or(Value::Null, |t| Value::String(t.into()))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// Whether the value or anything inside it is unknown.
    pub fn contains_unknown(&self) -> bool {
        match self {
            Value::Unknown => true,
            Value::List(items) => items.iter().any(Value::contains_unknown),
            Value::Object(attrs) => attrs.values().any(Value::contains_unknown),
            _ => false,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// An attribute of an object; null when the value is not an object or lacks it.
    pub fn get(&self, name: &str) -> &Value {
        const NULL: Value = Value::Null;
        match self {
            Value::Object(attrs) => attrs.get(name).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    /// Sets an attribute of an object (turning a non-object into an empty object first).
    pub fn set(&mut self, name: &str, value: Value) {
        if !matches!(self, Value::Object(_)) {
            *self = Value::Object(BTreeMap::new());
        }
        if let Value::Object(attrs) = self {
            attrs.insert(name.to_string(), value);
        }
    }

    /// Decodes Terraform's MessagePack for a value of type `ty`.
    pub fn from_msgpack(bytes: &[u8], ty: &Ty) -> Result<Value, DecodeError> {
        let mut reader = bytes;
        let raw = rmpv::decode::read_value(&mut reader)
            .map_err(|e| DecodeError(format!("invalid MessagePack from Terraform: {e}")))?;
        Value::from_rmpv(&raw, ty)
    }

    /// Decodes a value of type `ty` from the JSON Terraform keeps in its state file (used when
    /// Terraform asks to upgrade a stored state).
    pub fn from_json(json: &serde_json::Value, ty: &Ty) -> Result<Value, DecodeError> {
        use serde_json::Value as J;
        if json.is_null() {
            return Ok(Value::Null);
        }
        match ty {
            Ty::String => match json {
                J::String(s) => Ok(Value::String(s.clone())),
                J::Number(n) => Ok(Value::String(n.to_string())),
                J::Bool(b) => Ok(Value::String(b.to_string())),
                _ => Err(DecodeError(format!("expected a string, got {json}"))),
            },
            Ty::Number => match json {
                J::Number(n) => {
                    n.as_f64().map(Value::Number).ok_or_else(|| DecodeError(format!("bad number {n}")))
                }
                J::String(s) => s
                    .parse()
                    .map(Value::Number)
                    .map_err(|_| DecodeError(format!("expected a number, got {s:?}"))),
                _ => Err(DecodeError(format!("expected a number, got {json}"))),
            },
            Ty::Bool => match json {
                J::Bool(b) => Ok(Value::Bool(*b)),
                _ => Err(DecodeError(format!("expected a bool, got {json}"))),
            },
            Ty::List(inner) | Ty::Set(inner) => match json {
                J::Array(items) => Ok(Value::List(
                    items.iter().map(|item| Value::from_json(item, inner)).collect::<Result<_, _>>()?,
                )),
                _ => Err(DecodeError(format!("expected a list, got {json}"))),
            },
            Ty::Map(inner) => match json {
                J::Object(entries) => Ok(Value::Object(
                    entries
                        .iter()
                        .map(|(k, v)| Ok((k.clone(), Value::from_json(v, inner)?)))
                        .collect::<Result<_, DecodeError>>()?,
                )),
                _ => Err(DecodeError(format!("expected a map, got {json}"))),
            },
            Ty::Object(attrs) => match json {
                J::Object(entries) => {
                    let mut out = BTreeMap::new();
                    for (name, attr_ty) in attrs {
                        let value = match entries.get(name) {
                            Some(v) => Value::from_json(v, attr_ty)?,
                            None => Value::Null,
                        };
                        out.insert(name.clone(), value);
                    }
                    Ok(Value::Object(out))
                }
                _ => Err(DecodeError(format!("expected an object, got {json}"))),
            },
            Ty::Dynamic => Ok(Value::Opaque(json_to_rmpv(json))),
        }
    }

    fn from_rmpv(raw: &rmpv::Value, ty: &Ty) -> Result<Value, DecodeError> {
        use rmpv::Value as R;
        match raw {
            R::Nil => return Ok(Value::Null),
            R::Ext(UNKNOWN_EXT | REFINED_UNKNOWN_EXT, _) => return Ok(Value::Unknown),
            _ => {}
        }
        match ty {
            Ty::String => match raw {
                R::String(s) => s
                    .as_str()
                    .map(|s| Value::String(s.to_string()))
                    .ok_or_else(|| DecodeError("string is not UTF-8".into())),
                _ => Err(DecodeError(format!("expected a string, got {raw}"))),
            },
            Ty::Number => match raw {
                R::Integer(i) => i
                    .as_f64()
                    .map(Value::Number)
                    .ok_or_else(|| DecodeError(format!("number out of range: {raw}"))),
                R::F32(f) => Ok(Value::Number(f64::from(*f))),
                R::F64(f) => Ok(Value::Number(*f)),
                // cty writes numbers that do not fit a float as decimal strings.
                R::String(s) => s
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .map(Value::Number)
                    .ok_or_else(|| DecodeError(format!("expected a number, got {raw}"))),
                _ => Err(DecodeError(format!("expected a number, got {raw}"))),
            },
            Ty::Bool => match raw {
                R::Boolean(b) => Ok(Value::Bool(*b)),
                _ => Err(DecodeError(format!("expected a bool, got {raw}"))),
            },
            Ty::List(inner) | Ty::Set(inner) => match raw {
                R::Array(items) => Ok(Value::List(
                    items.iter().map(|item| Value::from_rmpv(item, inner)).collect::<Result<_, _>>()?,
                )),
                _ => Err(DecodeError(format!("expected a list, got {raw}"))),
            },
            Ty::Map(inner) => match raw {
                R::Map(entries) => {
                    let mut out = BTreeMap::new();
                    for (key, value) in entries {
                        let key =
                            key.as_str().ok_or_else(|| DecodeError("map key is not a string".into()))?;
                        out.insert(key.to_string(), Value::from_rmpv(value, inner)?);
                    }
                    Ok(Value::Object(out))
                }
                _ => Err(DecodeError(format!("expected a map, got {raw}"))),
            },
            Ty::Object(attrs) => match raw {
                R::Map(entries) => {
                    let mut out = BTreeMap::new();
                    for (name, attr_ty) in attrs {
                        let found = entries.iter().find(|(key, _)| key.as_str() == Some(name.as_str()));
                        let value = match found {
                            Some((_, v)) => Value::from_rmpv(v, attr_ty)?,
                            None => Value::Null,
                        };
                        out.insert(name.clone(), value);
                    }
                    Ok(Value::Object(out))
                }
                _ => Err(DecodeError(format!("expected an object, got {raw}"))),
            },
            Ty::Dynamic => Ok(Value::Opaque(raw.clone())),
        }
    }

    /// Encodes the value as Terraform's MessagePack for type `ty`.
    pub fn to_msgpack(&self, ty: &Ty) -> Vec<u8> {
        let raw = self.to_rmpv(ty);
        let mut out = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = rmpv::encode::write_value(&mut out, &raw);
        out
    }

    fn to_rmpv(&self, ty: &Ty) -> rmpv::Value {
        use rmpv::Value as R;
        match (self, ty) {
            (Value::Null, _) => R::Nil,
            (Value::Unknown, _) => R::Ext(UNKNOWN_EXT, vec![0]),
            (Value::Opaque(raw), _) => raw.clone(),
            (Value::Bool(b), _) => R::Boolean(*b),
            (Value::Number(n), _) => number_to_rmpv(*n),
            (Value::String(s), _) => R::String(s.clone().into()),
            (Value::List(items), Ty::List(inner) | Ty::Set(inner)) => {
                R::Array(items.iter().map(|item| item.to_rmpv(inner)).collect())
            }
            (Value::Object(attrs), Ty::Object(attr_types)) => R::Map(
                attr_types
                    .iter()
                    .map(|(name, attr_ty)| {
                        let value = attrs.get(name).map_or(R::Nil, |v| v.to_rmpv(attr_ty));
                        (R::String(name.clone().into()), value)
                    })
                    .collect(),
            ),
            (Value::Object(entries), Ty::Map(inner)) => {
                R::Map(entries.iter().map(|(k, v)| (R::String(k.clone().into()), v.to_rmpv(inner))).collect())
            }
            // A shape that does not match its type: the provider built it wrong; write null so
            // Terraform reports an inconsistency instead of the provider crashing.
            _ => R::Nil,
        }
    }
}

fn number_to_rmpv(n: f64) -> rmpv::Value {
    // Whole numbers go as integers (what Terraform itself writes); others as floats.
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        #[allow(clippy::cast_possible_truncation, reason = "checked whole and within i64 range above")]
        let whole = n as i64;
        rmpv::Value::from(whole)
    } else {
        rmpv::Value::F64(n)
    }
}

fn json_to_rmpv(json: &serde_json::Value) -> rmpv::Value {
    use serde_json::Value as J;
    match json {
        J::Null => rmpv::Value::Nil,
        J::Bool(b) => rmpv::Value::Boolean(*b),
        J::Number(n) => n.as_f64().map_or(rmpv::Value::Nil, number_to_rmpv),
        J::String(s) => rmpv::Value::String(s.clone().into()),
        J::Array(items) => rmpv::Value::Array(items.iter().map(json_to_rmpv).collect()),
        J::Object(entries) => rmpv::Value::Map(
            entries.iter().map(|(k, v)| (rmpv::Value::String(k.clone().into()), json_to_rmpv(v))).collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj() -> Ty {
        Ty::Object(vec![
            ("name".into(), Ty::String),
            ("version".into(), Ty::Number),
            ("tags".into(), Ty::List(Box::new(Ty::String))),
        ])
    }

    #[test]
    fn round_trips_an_object_with_unknown_and_null() {
        let mut value = Value::Null;
        value.set("name", Value::str("ci"));
        value.set("version", Value::Unknown);
        value.set("tags", Value::Null);
        let bytes = value.to_msgpack(&obj());
        assert_eq!(Value::from_msgpack(&bytes, &obj()).unwrap(), value);
    }

    #[test]
    fn unknown_is_cty_extension_zero() {
        assert_eq!(Value::Unknown.to_msgpack(&Ty::String), vec![0xd4, 0, 0]);
        assert_eq!(Value::from_msgpack(&[0xd4, 0, 0], &Ty::String).unwrap(), Value::Unknown);
        // A refined unknown (extension 12) is unknown too.
        assert_eq!(Value::from_msgpack(&[0xc7, 1, 12, 0x80], &Ty::String).unwrap(), Value::Unknown);
    }

    #[test]
    fn missing_attributes_decode_as_null_and_encode_present() {
        let mut raw = Vec::new();
        rmpv::encode::write_value(&mut raw, &rmpv::Value::Map(vec![("name".into(), "x".into())])).unwrap();
        let value = Value::from_msgpack(&raw, &obj()).unwrap();
        assert_eq!(value.get("version"), &Value::Null);
        let encoded = value.to_msgpack(&obj());
        let back = rmpv::decode::read_value(&mut encoded.as_slice()).unwrap();
        assert_eq!(back.as_map().unwrap().len(), 3);
    }

    #[test]
    fn numbers_accept_integers_floats_and_strings() {
        let int = Value::Number(2.0).to_msgpack(&Ty::Number);
        assert_eq!(int, vec![2]);
        assert_eq!(Value::from_msgpack(&int, &Ty::Number).unwrap(), Value::Number(2.0));
        let float = Value::Number(1.5).to_msgpack(&Ty::Number);
        assert_eq!(Value::from_msgpack(&float, &Ty::Number).unwrap(), Value::Number(1.5));
        let mut text = Vec::new();
        rmpv::encode::write_value(&mut text, &rmpv::Value::from("3")).unwrap();
        assert_eq!(Value::from_msgpack(&text, &Ty::Number).unwrap(), Value::Number(3.0));
    }

    #[test]
    fn wrong_shapes_are_errors_not_panics() {
        let mut raw = Vec::new();
        rmpv::encode::write_value(&mut raw, &rmpv::Value::from(true)).unwrap();
        assert!(Value::from_msgpack(&raw, &Ty::String).is_err());
        assert!(Value::from_msgpack(&[0xd9], &Ty::String).is_err(), "truncated input");
    }

    #[test]
    fn state_json_decodes_against_the_type() {
        let json = serde_json::json!({"name": "ci", "version": 2, "extra": 1});
        let value = Value::from_json(&json, &obj()).unwrap();
        assert_eq!(value.get("version"), &Value::Number(2.0));
        assert_eq!(value.get("tags"), &Value::Null);
    }

    #[test]
    fn type_json_matches_terraform() {
        assert_eq!(
            obj().to_json(),
            serde_json::json!(["object", {"name": "string", "tags": ["list", "string"], "version": "number"}])
        );
    }
}
