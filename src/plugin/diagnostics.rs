//! Diagnostics: the errors and warnings Terraform shows, optionally pointing at an attribute.

use std::fmt;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Stops the operation.
    Error,
    /// Shown, but the operation goes on.
    Warning,
}

/// One step of a path into a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    /// An attribute of an object (or block).
    Attribute(String),
    /// A key of a map.
    Key(String),
    /// An index of a list or tuple.
    Index(i64),
}

/// A path to an attribute, for example `timeouts.create`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttributePath {
    /// The steps from the top-level object.
    pub steps: Vec<PathStep>,
}

impl AttributePath {
    /// The top-level attribute `name`.
    pub fn root(name: &str) -> AttributePath {
        AttributePath { steps: vec![PathStep::Attribute(name.to_owned())] }
    }

    /// This path followed by attribute `name`.
    pub fn attribute(mut self, name: &str) -> AttributePath {
        self.steps.push(PathStep::Attribute(name.to_owned()));
        self
    }

    /// This path followed by map key `key`.
    pub fn key(mut self, key: &str) -> AttributePath {
        self.steps.push(PathStep::Key(key.to_owned()));
        self
    }

    /// This path followed by list index `index`.
    pub fn index(mut self, index: i64) -> AttributePath {
        self.steps.push(PathStep::Index(index));
        self
    }
}

impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => write!(f, "{name}")?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::Key(key) => write!(f, "[{key:?}]")?,
                PathStep::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// One error or warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// One line that says what went wrong.
    pub summary: String,
    /// Everything else the user needs: codes, recommended actions, request ids.
    pub detail: String,
    /// The attribute the diagnostic is about, when there is one.
    pub attribute: Option<AttributePath>,
}

/// The diagnostics of one operation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Diagnostics {
        Diagnostics(Vec::new())
    }

    /// Adds an error.
    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Error, summary.into(), detail.into(), None);
    }

    /// Adds an error about the attribute at `path`.
    pub fn attribute_error(&mut self, path: AttributePath, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Error, summary.into(), detail.into(), Some(path));
    }

    /// Adds a warning.
    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Warning, summary.into(), detail.into(), None);
    }

    /// Adds a warning about the attribute at `path`.
    pub fn attribute_warning(&mut self, path: AttributePath, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Warning, summary.into(), detail.into(), Some(path));
    }

    fn push(&mut self, severity: Severity, summary: String, detail: String, attribute: Option<AttributePath>) {
        self.0.push(Diagnostic { severity, summary, detail, attribute });
    }

    /// Appends all of `other`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// True when at least one diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// True when there are no diagnostics at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The diagnostics in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_display_like_terraform_addresses() {
        let p = AttributePath::root("timeouts").attribute("create");
        assert_eq!(p.to_string(), "timeouts.create");
        assert_eq!(AttributePath::root("tags").key("env").to_string(), "tags[\"env\"]");
        assert_eq!(AttributePath::root("rules").index(2).attribute("name").to_string(), "rules[2].name");
    }

    #[test]
    fn errors_are_told_apart_from_warnings() {
        let mut d = Diagnostics::new();
        d.warning("w", "");
        assert!(!d.has_errors());
        d.attribute_error(AttributePath::root("name"), "bad", "detail");
        assert!(d.has_errors());
        assert_eq!(d.iter().count(), 2);
    }
}
