//! A second judge for the contract tests: the spec keywords the emulator's own validator does not check (`format`
//! uuid, date-time, uri and arm-id; `minimum` and `maximum`; `minLength` and `maxLength`; `pattern`), read straight
//! from the spec's JSON files, independently of `dataprotection_emulator::swagger`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

/// The spec's documents, by file name, and where to start.
pub struct Keywords {
    documents: BTreeMap<String, Value>,
}

impl Keywords {
    /// Reads dataprotection.json and the common types it refers to from `dir` (spec/azure).
    pub fn load(dir: &Path) -> Keywords {
        let read = |path: &str| -> Value {
            serde_json::from_str(&std::fs::read_to_string(dir.join(path)).expect("spec file")).expect("spec JSON")
        };
        let documents = BTreeMap::from([
            ("dataprotection.json".to_owned(), read("dataprotection.json")),
            ("types.json".to_owned(), read("common-types/resource-management/v5/types.json")),
            ("managedidentity.json".to_owned(), read("common-types/resource-management/v5/managedidentity.json")),
        ]);
        Keywords { documents }
    }

    /// What in `body` breaks a keyword of `definition` (of dataprotection.json); empty when nothing does.
    pub fn check(&self, definition: &str, body: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        let schema = &self.documents["dataprotection.json"]["definitions"][definition];
        assert!(schema.is_object(), "no definition {definition}");
        self.walk("dataprotection.json", schema, body, "$", &mut problems);
        problems
    }

    fn walk(&self, document: &str, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let (file, pointer) = reference.split_once('#').unwrap_or((reference, ""));
            let document = if file.is_empty() { document } else { file.rsplit('/').next().unwrap_or(file) };
            let target = self.documents.get(document).and_then(|d| d.pointer(pointer));
            let target = target.unwrap_or_else(|| panic!("unresolved reference {reference} at {at}"));
            return self.walk(document, target, value, at, problems);
        }
        for part in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
            self.walk(document, part, value, at, problems);
        }
        if value.is_null() {
            return;
        }
        check_keywords(schema, value, at, problems);
        if let (Some(properties), Some(object)) = (schema.get("properties"), value.as_object()) {
            for (name, property) in properties.as_object().into_iter().flatten() {
                if let Some(inner) = object.get(name) {
                    self.walk(document, property, inner, &format!("{at}.{name}"), problems);
                }
            }
        }
        if let (Some(additional), Some(object)) = (schema.get("additionalProperties"), value.as_object())
            && additional.is_object()
        {
            let declared = schema.get("properties").and_then(Value::as_object);
            for (name, inner) in object {
                if !declared.is_some_and(|d| d.contains_key(name)) {
                    self.walk(document, additional, inner, &format!("{at}.{name}"), problems);
                }
            }
        }
        if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
            for (index, inner) in array.iter().enumerate() {
                self.walk(document, items, inner, &format!("{at}[{index}]"), problems);
            }
        }
    }
}

/// The keywords of `schema` that apply to `value` itself.
fn check_keywords(schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    let mut fail = |what: String| problems.push(format!("{at}: {what}"));
    if let Some(text) = value.as_str() {
        let length = text.chars().count() as u64;
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
            && length > max
        {
            fail(format!("{length} characters, more than maxLength {max}"));
        }
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && length < min
        {
            fail(format!("{length} characters, fewer than minLength {min}"));
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
            && let Ok(regex) = regex::Regex::new(pattern)
            && !regex.is_match(text)
        {
            fail(format!("{text:?} does not match the pattern {pattern}"));
        }
        match schema.get("format").and_then(Value::as_str) {
            Some("uuid") if !is_uuid(text) => fail(format!("{text:?} is not a uuid")),
            Some("date-time") if !is_date_time(text) => fail(format!("{text:?} is not a date-time")),
            Some("uri") if url::Url::parse(text).is_err() => fail(format!("{text:?} is not a uri")),
            Some("arm-id") if !text.starts_with('/') || text.split('/').filter(|s| !s.is_empty()).count() < 2 => {
                fail(format!("{text:?} is not an ARM ID"))
            }
            _ => {}
        }
    }
    if let Some(number) = value.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
            && number < min
        {
            fail(format!("{number} is below the minimum {min}"));
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
            && number > max
        {
            fail(format!("{number} is above the maximum {max}"));
        }
    }
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// RFC 3339, or the offset-less form the service itself writes (`0001-01-01T00:00:00` as an operation's endTime
/// while it runs, CONTRACT.md), which clients must read too.
fn is_date_time(text: &str) -> bool {
    use time::format_description::well_known::{Iso8601, Rfc3339};
    time::OffsetDateTime::parse(text, &Rfc3339).is_ok()
        || time::PrimitiveDateTime::parse(text, &Iso8601::DEFAULT).is_ok()
}

#[test]
fn the_second_judge_sees_what_the_first_does_not() {
    let judge = Keywords::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/azure"));
    let good = serde_json::json!({"id": "x", "name": "n", "status": "Succeeded", "startTime": "2026-12-03T05:20:00Z",
        "endTime": "0001-01-01T00:00:00"});
    assert_eq!(judge.check("OperationResource", &good), Vec::<String>::new());
    let bad = serde_json::json!({"id": "x", "name": "n", "status": "Succeeded", "startTime": "yesterday"});
    let problems = judge.check("OperationResource", &bad);
    assert_eq!(problems, vec!["$.startTime: \"yesterday\" is not a date-time"]);
}
