//! A validator for the part of Swagger 2.0 (OpenAPI 2) that Azure's specs use, and the embedded 2026-06-01 spec.
//!
//! Swagger 2.0 schemas are JSON Schema draft 4 plus a few rules of their own, and a general JSON Schema validator
//! gets those rules wrong: polymorphism is declared with `discriminator` on the base type and
//! `x-ms-discriminator-value` on subtypes that extend it through `allOf` (the base never lists its subtypes),
//! `readOnly` properties are ignored in requests even when `required`, `x-ms-enum` with `modelAsString: true`
//! makes an enum open, and `null` is only valid where `x-nullable: true` says so. This module implements exactly
//! that subset: `$ref` (within a document and into other documents by file name), `allOf`, `type`, `format`
//! (`date-time`, `int32`, `int64`), `enum`, `properties`, `required`, `additionalProperties`, `items`,
//! `discriminator`, `readOnly` and `x-nullable`.
//!
//! The emulator uses it to reject request bodies the real service would reject, and the contract tests use it to
//! check every response the emulator produces.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

use serde_json::Value;

/// Whether a document is being sent to the service or returned by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A request body: `readOnly` properties are ignored, and `required` does not apply to them.
    Request,
    /// A response body: everything is checked.
    Response,
}

/// One way in which a document does not match its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// Where in the document, as a dotted path such as `properties.dataSourceInfo.resourceID` (`$` is the root).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SchemaViolation {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}", self.path, self.message)
    }
}

/// A set of Swagger documents, indexed for validation.
#[derive(Debug)]
pub struct Spec {
    documents: HashMap<String, Value>,
    main: String,
    /// For each base definition with a `discriminator`: its descendants.
    subtypes: HashMap<(String, String), Vec<Subtype>>,
}

/// An error building a [`Spec`].
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// A document is not valid JSON.
    #[error("parsing {name}: {source}")]
    Parse {
        /// The document's file name.
        name: String,
        /// The JSON error.
        source: serde_json::Error,
    },
}

const DATAPROTECTION: &str = include_str!("../../../spec/azure/dataprotection.json");
const COMMON_TYPES: &str = include_str!("../../../spec/azure/common-types/resource-management/v5/types.json");
const MANAGED_IDENTITY: &str =
    include_str!("../../../spec/azure/common-types/resource-management/v5/managedidentity.json");

impl Spec {
    /// The Data Protection 2026-06-01 swagger with the common types it references, parsed once.
    pub fn dataprotection() -> &'static Spec {
        static SPEC: OnceLock<Spec> = OnceLock::new();
        SPEC.get_or_init(|| {
            Spec::from_documents(
                ("dataprotection.json", DATAPROTECTION),
                &[("types.json", COMMON_TYPES), ("managedidentity.json", MANAGED_IDENTITY)],
            )
            // The embedded documents are fixed at build time and covered by tests; an empty spec would make every
            // check vacuous, so the fallback is an impossible-to-miss empty set of definitions.
            .unwrap_or_else(|_| Spec {
                documents: HashMap::new(),
                main: String::new(),
                subtypes: HashMap::new(),
            })
        })
    }

    /// Builds a spec from a main document and the documents its external `$ref`s point to, each named by the file
    /// name those references end in (`types.json`).
    pub fn from_documents(main: (&str, &str), others: &[(&str, &str)]) -> Result<Spec, SpecError> {
        let mut documents = HashMap::new();
        for (name, text) in std::iter::once(&main).chain(others.iter()) {
            let value =
                serde_json::from_str(text).map_err(|source| SpecError::Parse { name: (*name).to_owned(), source })?;
            documents.insert((*name).to_owned(), value);
        }
        let mut spec = Spec { documents, main: main.0.to_owned(), subtypes: HashMap::new() };
        spec.index_subtypes();
        Ok(spec)
    }

    /// Whether the main document defines `definition`.
    pub fn has_definition(&self, definition: &str) -> bool {
        self.definition(&self.main, definition).is_some()
    }

    /// Checks `value` against the main document's `definition`. An unknown definition is itself a violation.
    pub fn validate(&self, definition: &str, value: &Value, direction: Direction) -> Result<(), Vec<SchemaViolation>> {
        let mut violations = Vec::new();
        match self.definition(&self.main, definition) {
            Some(schema) => {
                let context = Context { spec: self, direction };
                context.check(value, schema, &self.main, Some(definition), "$", true, &mut violations);
            }
            None => violations.push(SchemaViolation {
                path: "$".to_owned(),
                message: format!("the spec has no definition '{definition}'"),
            }),
        }
        if violations.is_empty() { Ok(()) } else { Err(violations) }
    }

    fn definition(&self, document: &str, name: &str) -> Option<&Value> {
        self.documents.get(document)?.get("definitions")?.get(name)
    }

    /// Resolves a `$ref` found in `document` to (document, definition name, schema).
    fn resolve<'a>(&'a self, document: &'a str, reference: &'a str) -> Option<(&'a str, &'a str, &'a Value)> {
        let (file, pointer) = reference.split_once('#')?;
        let target_document = if file.is_empty() { document } else { file.rsplit('/').next()? };
        let name = pointer.strip_prefix("/definitions/")?;
        let (document_name, _) = self.documents.get_key_value(target_document)?;
        let schema = self.definition(document_name, name)?;
        Some((document_name.as_str(), name, schema))
    }

    /// Records, for every definition with a `discriminator`, all definitions that extend it through `allOf`
    /// (directly or through intermediate types).
    fn index_subtypes(&mut self) {
        let mut parents: HashMap<(String, String), Vec<(String, String)>> = HashMap::new();
        let mut discriminated = HashSet::new();
        for (document, value) in &self.documents {
            let Some(definitions) = value.get("definitions").and_then(Value::as_object) else { continue };
            for (name, schema) in definitions {
                if schema.get("discriminator").is_some() {
                    discriminated.insert((document.clone(), name.clone()));
                }
                let references = schema.get("allOf").and_then(Value::as_array).into_iter().flatten();
                for reference in references.filter_map(|member| member.get("$ref").and_then(Value::as_str)) {
                    if let Some((parent_document, parent_name, _)) = self.resolve(document, reference) {
                        parents
                            .entry((document.clone(), name.clone()))
                            .or_default()
                            .push((parent_document.to_owned(), parent_name.to_owned()));
                    }
                }
            }
        }
        let mut subtypes: HashMap<(String, String), Vec<Subtype>> = HashMap::new();
        for child in parents.keys() {
            let mut ancestors = Vec::new();
            let mut pending = parents.get(child).cloned().unwrap_or_default();
            while let Some(ancestor) = pending.pop() {
                if ancestors.contains(&ancestor) {
                    continue;
                }
                pending.extend(parents.get(&ancestor).cloned().unwrap_or_default());
                ancestors.push(ancestor);
            }
            let Some(schema) = self.definition(&child.0, &child.1) else { continue };
            let value = schema
                .get("x-ms-discriminator-value")
                .and_then(Value::as_str)
                .map_or_else(|| child.1.clone(), str::to_owned);
            for ancestor in ancestors.into_iter().filter(|ancestor| discriminated.contains(ancestor)) {
                subtypes.entry(ancestor).or_default().push((value.clone(), child.0.clone(), child.1.clone()));
            }
        }
        self.subtypes = subtypes;
    }
}

/// A definition that extends a discriminated base: (discriminator value, document, definition name).
type Subtype = (String, String, String);

struct Context<'a> {
    spec: &'a Spec,
    direction: Direction,
}

impl Context<'_> {
    /// Checks `value` against `schema`, which lives in `document` and, when it is a named definition, is called
    /// `name`. `dispatch` is false while checking the `allOf` parents of a subtype, so that a base type does not
    /// dispatch on its discriminator again.
    #[allow(clippy::too_many_arguments)]
    fn check(
        &self,
        value: &Value,
        schema: &Value,
        document: &str,
        name: Option<&str>,
        path: &str,
        dispatch: bool,
        violations: &mut Vec<SchemaViolation>,
    ) {
        let mut report = |message: String| violations.push(SchemaViolation { path: path.to_owned(), message });
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            match self.spec.resolve(document, reference) {
                Some((target_document, target_name, target)) => {
                    self.check(value, target, target_document, Some(target_name), path, true, violations)
                }
                None => report(format!("unresolvable $ref '{reference}'")),
            }
            return;
        }
        if value.is_null() {
            if schema.get("x-nullable").and_then(Value::as_bool) != Some(true) {
                report("null is not allowed here".to_owned());
            }
            return;
        }
        if dispatch
            && let (Some(property), Some(name)) = (schema.get("discriminator").and_then(Value::as_str), name)
            && let Some(discriminator) = value.get(property).and_then(Value::as_str)
        {
            let key = (document.to_owned(), name.to_owned());
            let subtype = self.spec.subtypes.get(&key).and_then(|subtypes| {
                subtypes.iter().find(|(subtype_value, _, _)| subtype_value.as_str() == discriminator)
            });
            if let Some((_, subtype_document, subtype_name)) = subtype {
                if let Some(subtype_schema) = self.spec.definition(subtype_document, subtype_name) {
                    self.check(value, subtype_schema, subtype_document, Some(subtype_name), path, false, violations);
                }
                return;
            }
            let own_value = schema.get("x-ms-discriminator-value").and_then(Value::as_str).unwrap_or(name);
            if discriminator != own_value {
                let mut known: Vec<&str> = self
                    .spec
                    .subtypes
                    .get(&key)
                    .map(|subtypes| subtypes.iter().map(|(known, _, _)| known.as_str()).collect())
                    .unwrap_or_default();
                known.sort_unstable();
                report(format!(
                    "'{discriminator}' is not a known {property} for {name} (expected one of: {})",
                    known.join(", ")
                ));
                return;
            }
        }
        for parent in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
            match parent.get("$ref").and_then(Value::as_str) {
                Some(reference) => match self.spec.resolve(document, reference) {
                    Some((parent_document, parent_name, parent_schema)) => {
                        self.check(value, parent_schema, parent_document, Some(parent_name), path, false, violations)
                    }
                    None => violations.push(SchemaViolation {
                        path: path.to_owned(),
                        message: format!("unresolvable $ref '{reference}'"),
                    }),
                },
                None => self.check(value, parent, document, None, path, false, violations),
            }
        }
        self.check_own(value, schema, document, path, violations);
    }

    /// The keywords that apply to this schema object itself (not its `$ref` or `allOf`).
    fn check_own(
        &self,
        value: &Value,
        schema: &Value,
        document: &str,
        path: &str,
        violations: &mut Vec<SchemaViolation>,
    ) {
        let mut report = |message: String| violations.push(SchemaViolation { path: path.to_owned(), message });
        if let Some(expected) = schema.get("type").and_then(Value::as_str) {
            let matches = match expected {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "boolean" => value.is_boolean(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                _ => true,
            };
            if !matches {
                report(format!("expected {expected}, found {}", json_type(value)));
                return;
            }
        }
        if let Some(format) = schema.get("format").and_then(Value::as_str) {
            let valid = match format {
                "date-time" => value.as_str().is_none_or(is_date_time),
                "int32" => value.as_i64().is_none_or(|number| i32::try_from(number).is_ok()),
                "int64" => !value.is_u64() || value.as_i64().is_some(),
                _ => true,
            };
            if !valid {
                report(format!("{value} is not a valid {format}"));
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
            let open =
                schema.get("x-ms-enum").and_then(|x_ms_enum| x_ms_enum.get("modelAsString")).and_then(Value::as_bool)
                    == Some(true);
            if !open && !allowed.contains(value) {
                let allowed: Vec<String> = allowed.iter().map(Value::to_string).collect();
                report(format!("{value} is not one of {}", allowed.join(", ")));
            }
        }
        if let Some(object) = value.as_object() {
            let properties = schema.get("properties").and_then(Value::as_object);
            if let Some(properties) = properties {
                for (key, property_schema) in properties {
                    let Some(property_value) = object.get(key) else { continue };
                    if self.direction == Direction::Request && self.is_read_only(property_schema, document) {
                        continue;
                    }
                    let property_path = child_path(path, key);
                    self.check(property_value, property_schema, document, None, &property_path, true, violations);
                }
            }
            for required in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
                let Some(required) = required.as_str() else { continue };
                if object.contains_key(required) {
                    continue;
                }
                let read_only = properties
                    .and_then(|properties| properties.get(required))
                    .is_some_and(|property| self.is_read_only(property, document));
                if self.direction == Direction::Request && read_only {
                    continue;
                }
                violations.push(SchemaViolation {
                    path: path.to_owned(),
                    message: format!("missing required property '{required}'"),
                });
            }
            match schema.get("additionalProperties") {
                Some(Value::Bool(false)) => {
                    for key in object.keys().filter(|key| properties.is_none_or(|known| !known.contains_key(*key))) {
                        violations.push(SchemaViolation {
                            path: child_path(path, key),
                            message: "additional properties are not allowed here".to_owned(),
                        });
                    }
                }
                Some(additional @ Value::Object(_)) => {
                    for (key, item) in object {
                        if properties.is_some_and(|known| known.contains_key(key)) {
                            continue;
                        }
                        self.check(item, additional, document, None, &child_path(path, key), true, violations);
                    }
                }
                _ => {}
            }
        }
        if let (Some(items), Some(schema_items)) = (value.as_array(), schema.get("items")) {
            for (index, item) in items.iter().enumerate() {
                self.check(item, schema_items, document, None, &format!("{path}[{index}]"), true, violations);
            }
        }
    }

    /// A property is read-only when it says so or the definition it refers to does (as `systemData` does).
    fn is_read_only(&self, schema: &Value, document: &str) -> bool {
        if schema.get("readOnly").and_then(Value::as_bool) == Some(true) {
            return true;
        }
        schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|reference| self.spec.resolve(document, reference))
            .is_some_and(|(_, _, target)| target.get("readOnly").and_then(Value::as_bool) == Some(true))
    }
}

fn child_path(path: &str, key: &str) -> String {
    if path == "$" { key.to_owned() } else { format!("{path}.{key}") }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// An ISO 8601 date-time as the service writes it: `YYYY-MM-DDThh:mm:ss`, optional fraction, and an offset that
/// may be missing. RFC 3339 requires the offset, but the service itself answers `"endTime": "0001-01-01T00:00:00"`
/// for an unfinished operation (CONTRACT.md §4), and .NET-generated clients accept both.
fn is_date_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits =
        |range: std::ops::Range<usize>| bytes.get(range).is_some_and(|part| part.iter().all(u8::is_ascii_digit));
    let at = |index: usize, expected: u8| bytes.get(index) == Some(&expected);
    let number =
        |range: std::ops::Range<usize>| text.get(range).and_then(|part| part.parse::<u32>().ok()).unwrap_or(u32::MAX);
    let shape = digits(0..4)
        && at(4, b'-')
        && digits(5..7)
        && at(7, b'-')
        && digits(8..10)
        && matches!(bytes.get(10), Some(b'T' | b't'))
        && digits(11..13)
        && at(13, b':')
        && digits(14..16)
        && at(16, b':')
        && digits(17..19);
    if !shape || !(1..=12).contains(&number(5..7)) || !(1..=31).contains(&number(8..10)) {
        return false;
    }
    if number(11..13) > 23 || number(14..16) > 59 || number(17..19) > 60 {
        return false;
    }
    let mut rest = text.get(19..).unwrap_or_default();
    if let Some(fraction) = rest.strip_prefix('.') {
        let length = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if length == 0 {
            return false;
        }
        rest = fraction.get(length..).unwrap_or_default();
    }
    match rest.as_bytes() {
        [] | [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|digit| digit.is_ascii_digit()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn small_spec() -> Spec {
        let main = json!({
            "definitions": {
                "Pet": {
                    "type": "object",
                    "discriminator": "kind",
                    "required": ["kind", "name"],
                    "properties": {
                        "kind": {"type": "string"},
                        "name": {"type": "string"},
                        "id": {"type": "string", "readOnly": true},
                        "born": {"type": "string", "format": "date-time"},
                        "legs": {"type": "integer", "format": "int32"},
                        "size": {"$ref": "#/definitions/Size"},
                        "mood": {"$ref": "#/definitions/Mood"},
                        "tags": {"type": "object", "additionalProperties": {"type": "string"}},
                        "meta": {"$ref": "other.json#/definitions/Meta"},
                        "note": {"type": "string", "x-nullable": true}
                    }
                },
                "Cat": {"allOf": [{"$ref": "#/definitions/Pet"}], "x-ms-discriminator-value": "cat",
                        "properties": {"whiskers": {"type": "integer"}}, "required": ["whiskers"]},
                "Lion": {"allOf": [{"$ref": "#/definitions/Cat"}], "x-ms-discriminator-value": "lion",
                         "properties": {"mane": {"type": "boolean"}}},
                "Dog": {"allOf": [{"$ref": "#/definitions/Pet"}], "properties": {"barks": {"type": "boolean"}}},
                "Size": {"type": "string", "enum": ["S", "L"], "x-ms-enum": {"name": "Size", "modelAsString": false}},
                "Mood": {"type": "string", "enum": ["Calm"], "x-ms-enum": {"name": "Mood", "modelAsString": true}},
                "Owner": {"type": "object", "properties": {"pets": {"type": "array", "items": {"$ref": "#/definitions/Pet"}},
                          "stamp": {"$ref": "other.json#/definitions/Stamp"}}}
            }
        })
        .to_string();
        let other = json!({
            "definitions": {
                "Meta": {"type": "object", "properties": {"by": {"type": "string"}}, "required": ["by"]},
                "Stamp": {"type": "object", "readOnly": true, "required": ["at"], "properties": {"at": {"type": "string"}}}
            }
        })
        .to_string();
        Spec::from_documents(("main.json", &main), &[("other.json", &other)]).unwrap()
    }

    fn errors(spec: &Spec, definition: &str, value: Value, direction: Direction) -> Vec<String> {
        match spec.validate(definition, &value, direction) {
            Ok(()) => Vec::new(),
            Err(violations) => violations.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn a_valid_subtype_passes() {
        let spec = small_spec();
        let cat = json!({"kind": "cat", "name": "Tom", "whiskers": 12, "size": "S", "mood": "Grumpy",
                         "born": "2020-01-02T03:04:05.123Z", "tags": {"a": "b"}, "meta": {"by": "x"}, "note": null});
        assert_eq!(errors(&spec, "Pet", cat, Direction::Response), Vec::<String>::new());
    }

    #[test]
    fn discriminator_dispatches_to_subtypes_and_their_descendants() {
        let spec = small_spec();
        // Cat requires whiskers; dispatch from Pet must find that.
        let errors_cat = errors(&spec, "Pet", json!({"kind": "cat", "name": "Tom"}), Direction::Response);
        assert_eq!(errors_cat, vec!["$: missing required property 'whiskers'"]);
        // Lion extends Cat, which extends Pet: still found from Pet, with every ancestor's rules.
        let errors_lion =
            errors(&spec, "Pet", json!({"kind": "lion", "name": "Leo", "mane": "yes"}), Direction::Response);
        assert_eq!(
            errors_lion,
            vec!["$: missing required property 'whiskers'", "mane: expected boolean, found string"]
        );
        // A subtype without x-ms-discriminator-value is named by its definition.
        assert!(
            errors(&spec, "Pet", json!({"kind": "Dog", "name": "Rex", "barks": true}), Direction::Response).is_empty()
        );
        assert_eq!(
            errors(&spec, "Pet", json!({"kind": "Dog", "name": "Rex", "barks": 1}), Direction::Response),
            vec!["barks: expected boolean, found integer"]
        );
    }

    #[test]
    fn unknown_discriminator_values_are_rejected() {
        let spec = small_spec();
        let found = errors(&spec, "Pet", json!({"kind": "Fish", "name": "Nemo"}), Direction::Response);
        assert_eq!(found, vec!["$: 'Fish' is not a known kind for Pet (expected one of: Dog, cat, lion)"]);
        // The base's own name is a valid value.
        assert!(errors(&spec, "Pet", json!({"kind": "Pet", "name": "Generic"}), Direction::Response).is_empty());
    }

    #[test]
    fn types_formats_and_enums_are_checked() {
        let spec = small_spec();
        let pet = json!({"kind": "Pet", "name": 5, "legs": 5_000_000_000_i64, "size": "M", "born": "yesterday",
                         "tags": {"a": 1}, "meta": {}});
        let mut found = errors(&spec, "Pet", pet, Direction::Response);
        found.sort();
        assert_eq!(
            found,
            vec![
                "born: \"yesterday\" is not a valid date-time",
                "legs: 5000000000 is not a valid int32",
                "meta: missing required property 'by'",
                "name: expected string, found integer",
                "size: \"M\" is not one of \"S\", \"L\"",
                "tags.a: expected string, found integer",
            ]
        );
    }

    #[test]
    fn null_is_rejected_unless_nullable() {
        let spec = small_spec();
        let found = errors(&spec, "Pet", json!({"kind": "Pet", "name": null}), Direction::Response);
        assert_eq!(found, vec!["name: null is not allowed here"]);
    }

    #[test]
    fn read_only_properties_are_ignored_in_requests_only() {
        let spec = small_spec();
        let owner = json!({"stamp": {"at": 5}, "pets": [{"kind": "Pet", "name": "a", "id": 7}]});
        assert!(errors(&spec, "Owner", owner.clone(), Direction::Request).is_empty());
        let mut found = errors(&spec, "Owner", owner, Direction::Response);
        found.sort();
        assert_eq!(
            found,
            vec!["pets[0].id: expected string, found integer", "stamp.at: expected string, found integer"]
        );
    }

    #[test]
    fn unknown_definitions_and_references_are_violations() {
        let spec = small_spec();
        assert_eq!(errors(&spec, "Nope", json!({}), Direction::Response), vec!["$: the spec has no definition 'Nope'"]);
        let broken =
            json!({"definitions": {"A": {"properties": {"b": {"$ref": "#/definitions/Missing"}}}}}).to_string();
        let spec = Spec::from_documents(("a.json", &broken), &[]).unwrap();
        assert_eq!(
            errors(&spec, "A", json!({"b": 1}), Direction::Response),
            vec!["b: unresolvable $ref '#/definitions/Missing'"]
        );
    }

    #[test]
    fn date_times_follow_the_service() {
        for valid in
            ["2019-11-20T09:49:46Z", "2019-11-20T09:49:44.0478496Z", "0001-01-01T00:00:00", "2021-07-07T12:48:50+05:30"]
        {
            assert!(is_date_time(valid), "{valid}");
        }
        for invalid in [
            "2019-11-20",
            "2019-13-20T09:49:46Z",
            "2019-11-20T25:49:46Z",
            "2019-11-20T09:49:46.Z",
            "x",
            "2019-11-20T09:49:46+0530",
        ] {
            assert!(!is_date_time(invalid), "{invalid}");
        }
    }

    #[test]
    fn the_embedded_spec_resolves_common_types_and_dispatches_polymorphic_types() {
        let spec = Spec::dataprotection();
        assert!(spec.has_definition("BackupInstanceResource"));
        let resource = json!({
            "id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.DataProtection/backupVaults/v/backupInstances/b",
            "name": "b", "type": "Microsoft.DataProtection/backupVaults/backupInstances",
            "systemData": {"createdByType": "SomethingNew", "createdAt": "2024-01-01T00:00:00Z"},
            "properties": {
                "objectType": "BackupInstance",
                "dataSourceInfo": {"resourceID": "/x", "objectType": "Datasource"},
                "policyInfo": {"policyId": "/p", "policyParameters": {"dataStoreParametersList": [
                    {"objectType": "AzureOperationalStoreParameters", "dataStoreType": "OperationalStore", "resourceGroupId": "/r"}
                ]}},
                "currentProtectionState": "ProtectionConfigured"
            }
        });
        assert_eq!(spec.validate("BackupInstanceResource", &resource, Direction::Response), Ok(()));

        let mut wrong = resource.clone();
        wrong["properties"]["policyInfo"]["policyParameters"]["dataStoreParametersList"][0]["objectType"] =
            json!("Nope");
        wrong["properties"]["policyInfo"]["policyParameters"]["dataStoreParametersList"][0]["dataStoreType"] =
            json!("Tape");
        wrong["systemData"]["createdAt"] = json!(12);
        let violations = spec.validate("BackupInstanceResource", &wrong, Direction::Response).unwrap_err();
        let text: Vec<String> = violations.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(text[0].starts_with("systemData.createdAt: expected string"), "{text:?}");
        assert!(
            text[1].starts_with(
                "properties.policyInfo.policyParameters.dataStoreParametersList[0]: 'Nope' is not a known objectType"
            ),
            "{text:?}"
        );
        // systemData is read-only, so a request may carry anything there; the enums are all open
        // (modelAsString), so an unknown value passes, but the JSON type still matters.
        let mut request = wrong;
        let store = &mut request["properties"]["policyInfo"]["policyParameters"]["dataStoreParametersList"][0];
        store["objectType"] = json!("AzureOperationalStoreParameters");
        assert_eq!(spec.validate("BackupInstanceResource", &request, Direction::Request), Ok(()));
        request["properties"]["policyInfo"]["policyParameters"]["dataStoreParametersList"][0]["dataStoreType"] =
            json!(5);
        let violations = spec.validate("BackupInstanceResource", &request, Direction::Request).unwrap_err();
        let text: Vec<String> = violations.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            vec![
                "properties.policyInfo.policyParameters.dataStoreParametersList[0].dataStoreType: expected string, found integer"
            ]
        );
    }
}
