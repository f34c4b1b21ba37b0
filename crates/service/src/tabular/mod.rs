//! CSV and XLSX exports of collection systems → interchange records.
