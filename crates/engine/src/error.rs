//! Errors with stable codes. `PackError`s are user errors (a rule pack to fix); the engine has
//! no internal errors of its own: inspection never fails and never panics.

use std::fmt;

/// A problem in a rule pack, located by file, line, rule and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackError {
    /// Stable machine-readable code, e.g. `pack.invalid_field`.
    pub code: &'static str,
    pub file: String,
    pub line: Option<usize>,
    pub rule: Option<String>,
    pub field: Option<String>,
    pub message: String,
}

impl PackError {
    pub fn new(code: &'static str, file: &str, message: impl Into<String>) -> Self {
        PackError {
            code,
            file: file.to_string(),
            line: None,
            rule: None,
            field: None,
            message: message.into(),
        }
    }
    pub fn rule(mut self, rule: &str) -> Self {
        self.rule = Some(rule.to_string());
        self
    }
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
    pub fn line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }
}

impl fmt::Display for PackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(r) = &self.rule {
            write!(f, ": rule `{r}`")?;
        }
        if let Some(fl) = &self.field {
            write!(f, ": field `{fl}`")?;
        }
        write!(f, ": {} [{}]", self.message, self.code)
    }
}

impl std::error::Error for PackError {}

/// All the problems found in a pack (validation does not stop at the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackErrors(pub Vec<PackError>);

impl fmt::Display for PackErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PackErrors {}
