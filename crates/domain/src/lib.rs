//! Domain types shared by every part of Zhijian.
//!
//! This crate is the bottom of the dependency graph: it knows the interchange format v1
//! (see `docs/formats.md`), the stable finding categories and levels, and the shape of an
//! inspection result. It does no I/O and holds no behaviour beyond parsing and small
//! helpers on the types themselves.

mod category;
mod context;
mod interchange;
mod result;

pub use category::{BUILTIN_CATEGORIES, Category, CategoryKind, Level};
pub use context::{Agent, Case, Client, Complaint, ContactRecord};
pub use interchange::{
    CaseContext, Channel, Contact, Direction, Flag, FlagKind, Interaction, Outcome, Party, Record,
    RecordError, Segment, Speaker, VisitInfo, normalize_number, parse_record,
};
pub use jiff::Timestamp;
pub use jiff::civil::Date;
pub use result::{Finding, InspectionResult};
