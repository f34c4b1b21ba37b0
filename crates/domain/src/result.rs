use serde::{Deserialize, Serialize};

use crate::{Category, Level};

/// One finding: which rule, what category and level, and the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub category: Category,
    pub level: Level,
    /// Index of the transcript segment holding the evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<usize>,
    /// Evidence time span in seconds from the start of the recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<f64>,
    /// The evidence text as it was said or written (original characters, not normalised).
    pub excerpt: String,
    pub message: String,
    /// Character span `[from, to)` of the evidence inside the segment text (or the SMS/note
    /// body), counted in Unicode scalar values of the original text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<[usize; 2]>,
    /// Points deducted from the scorecard for this finding.
    pub deduction: u32,
}

/// The result of inspecting one interaction (interchange v1 result line; extra fields allowed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InspectionResult {
    pub id: String,
    pub score: f64,
    pub passed: bool,
    pub findings: Vec<Finding>,
    /// Who the engine believes was on the call, after reading the call itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<crate::Party>,
    /// `pack_id@version` that produced this result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pack: Option<String>,
}
