//! Services shared by the CLI and the web server: ingest of every format an agency exports
//! (interchange JSON Lines, CSV, XLSX), inspection into the store, re-inspection, demo data.

pub mod tabular;
