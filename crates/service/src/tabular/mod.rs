//! CSV and XLSX exports of collection systems → interchange records.
//!
//! [`open`] looks at a file's content (not only its name), detects the text encoding (CSV) and
//! the kind of table from its headers, and returns a [`TableReader`] that yields one [`Row`]
//! per data row: its physical line number, its text as in the file, and the
//! [`Record`] or a [`RowError`] that names the column and the value. A
//! bad row never stops the file. docs/tabular.md describes the formats and the column mapping.
//!
//! CSV files are streamed (decoded and parsed as they are read); workbooks are loaded one sheet
//! at a time.

mod columns;
mod decode;
mod records;
mod values;

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use calamine::{Data, Range, Reader as _, Sheets};
use jiff::tz::TimeZone;
use zhijian_domain::Record;

use columns::{Detected, Mapping};
use decode::{Decoder, Recorder};
use records::{Cells, RowCtx};
use values::CellRef;

/// What a table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableKind {
    /// Cases (案件): → `Record::Case`.
    Cases,
    /// Agents (坐席 / 催收员): → `Record::Agent`.
    Agents,
    /// Contacts of a case (联系人): → `Record::Contact`.
    Contacts,
    /// Call detail records / contact logs (通话记录 / 话单): → interactions of kind `call`.
    Calls,
    /// SMS logs (短信记录): → interactions of kind `sms`.
    Sms,
    /// Collection notes (催记): → interactions of kind `note`.
    Notes,
    /// Complaints (投诉工单): → `Record::Complaint`.
    Complaints,
    /// Clients (委托方): → `Record::Client`.
    Clients,
    /// Flags on cases or contacts (停催 / 投诉风险 / 争议): → `Record::Flag`.
    Flags,
}

impl TableKind {
    pub const ALL: [TableKind; 9] = [
        TableKind::Cases,
        TableKind::Agents,
        TableKind::Contacts,
        TableKind::Calls,
        TableKind::Sms,
        TableKind::Notes,
        TableKind::Complaints,
        TableKind::Clients,
        TableKind::Flags,
    ];

    /// The kind's name for options and messages: `cases`, `agents`, `contacts`, `calls`,
    /// `sms`, `notes`, `complaints`, `clients`, `flags`.
    pub fn as_str(self) -> &'static str {
        match self {
            TableKind::Cases => "cases",
            TableKind::Agents => "agents",
            TableKind::Contacts => "contacts",
            TableKind::Calls => "calls",
            TableKind::Sms => "sms",
            TableKind::Notes => "notes",
            TableKind::Complaints => "complaints",
            TableKind::Clients => "clients",
            TableKind::Flags => "flags",
        }
    }

    /// The kind a name means (see the `FromStr` impl), `None` when it means none.
    pub fn parse(s: &str) -> Option<TableKind> {
        s.parse().ok()
    }

    /// The Chinese name of the table.
    pub fn label_zh(self) -> &'static str {
        match self {
            TableKind::Cases => "案件表",
            TableKind::Agents => "坐席表",
            TableKind::Contacts => "联系人表",
            TableKind::Calls => "通话记录",
            TableKind::Sms => "短信记录",
            TableKind::Notes => "催记",
            TableKind::Complaints => "投诉工单",
            TableKind::Clients => "委托方表",
            TableKind::Flags => "标记表",
        }
    }

    /// The English name of the table.
    pub fn label_en(self) -> &'static str {
        match self {
            TableKind::Cases => "a case list",
            TableKind::Agents => "an agent list",
            TableKind::Contacts => "a contact list",
            TableKind::Calls => "a call log",
            TableKind::Sms => "an SMS log",
            TableKind::Notes => "collection notes",
            TableKind::Complaints => "a complaint list",
            TableKind::Clients => "a client list",
            TableKind::Flags => "a flag list",
        }
    }
}

impl fmt::Display for TableKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TableKind {
    type Err = String;
    /// English names (singular or plural) and common Chinese ones (`通话`, `催记`, …).
    fn from_str(s: &str) -> Result<Self, String> {
        let w = values::word(s);
        let k = match w.as_str() {
            "cases" | "case" | "案件" | "案件表" => TableKind::Cases,
            "agents" | "agent" | "坐席" | "坐席表" | "催收员" | "员工" => {
                TableKind::Agents
            }
            "contacts" | "contact" | "联系人" | "联系人表" => TableKind::Contacts,
            "calls" | "call" | "cdr" | "cdrs" | "通话" | "通话记录" | "话单" | "呼叫记录" => {
                TableKind::Calls
            }
            "sms" | "短信" | "短信记录" => TableKind::Sms,
            "notes" | "note" | "催记" | "催收记录" => TableKind::Notes,
            "complaints" | "complaint" | "投诉" | "投诉工单" | "工单" => {
                TableKind::Complaints
            }
            "clients" | "client" | "委托方" | "委托方表" => TableKind::Clients,
            "flags" | "flag" | "标记" | "标记表" => TableKind::Flags,
            _ => {
                return Err(format!(
                    "unknown table kind `{s}`; expected one of {}",
                    TableKind::ALL.map(|k| k.as_str()).join(", ")
                ));
            }
        };
        Ok(k)
    }
}

/// How to read a tabular file.
#[derive(Debug, Clone)]
pub struct TabularOptions {
    /// The table kind; `None` detects it from the headers.
    pub kind: Option<TableKind>,
    /// The time zone of local times without an offset (default Asia/Shanghai).
    pub timezone: TimeZone,
    /// The workbook sheet to read; `None` reads the first sheet whose headers are recognised
    /// and every later sheet of the same kind.
    pub sheet: Option<String>,
}

impl Default for TabularOptions {
    fn default() -> Self {
        TabularOptions {
            kind: None,
            timezone: TimeZone::get("Asia/Shanghai")
                .unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(8))),
            sheet: None,
        }
    }
}

/// One data row of a table.
#[derive(Debug, Clone)]
pub struct Row {
    /// The physical line (CSV) or row (workbook) where the row starts; the header is line 1
    /// unless title lines come before it.
    pub line: u64,
    /// The row as written in the file (CSV: the decoded text of its lines, without the line
    /// break; workbook: its cells as one CSV line), for a rejects file.
    pub raw: String,
    pub record: Result<Record, RowError>,
    /// The workbook sheet the row is on; `None` for CSV.
    pub sheet: Option<String>,
}

/// Why a row was rejected: the column (its header as written in the file; empty when the
/// whole row is at fault), the value as written, and the reason in plain words (Chinese /
/// English).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub column: String,
    pub value: String,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(
                f,
                "column 「{}」: {} (value \"{}\")",
                self.column, self.reason, self.value
            )
        }
    }
}

impl std::error::Error for RowError {}

/// Why a file cannot be read as a table at all.
#[derive(Debug)]
pub enum FileError {
    Io {
        path: PathBuf,
        source: io::Error,
    },
    /// No header row: the file (or every sheet) is empty.
    Empty,
    /// Binary content that is not a workbook.
    NotText,
    /// The workbook cannot be opened (damaged, encrypted, not a spreadsheet).
    Workbook(String),
    NoSuchSheet {
        sheet: String,
        available: Vec<String>,
    },
    /// The headers match no known table (the first non-empty row is shown).
    UnknownTable {
        headers: Vec<String>,
        sheet: Option<String>,
    },
    /// The headers look like `kind` (or `kind` was forced) but required columns are missing.
    MissingColumns {
        kind: TableKind,
        missing: Vec<String>,
        headers: Vec<String>,
        sheet: Option<String>,
    },
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let on = |sheet: &Option<String>| match sheet {
            Some(s) => format!("工作表「{s}」/ sheet 「{s}」: "),
            None => String::new(),
        };
        let list = |v: &[String]| {
            v.iter()
                .map(|h| format!("「{h}」"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            FileError::Io { path, source } => {
                write!(f, "无法读取 / cannot read {}: {source}", path.display())
            }
            FileError::Empty => {
                f.write_str("文件为空，没有表头 / the file is empty: no header row")
            }
            FileError::NotText => f.write_str(
                "不是文本表格，也不是 Excel 工作簿 / not a text table nor a workbook \
                 (CSV, TSV, XLSX, XLS are read)",
            ),
            FileError::Workbook(e) => write!(f, "无法打开工作簿 / cannot open the workbook: {e}"),
            FileError::NoSuchSheet { sheet, available } => write!(
                f,
                "没有工作表「{sheet}」/ no sheet 「{sheet}」; sheets: {}",
                list(available)
            ),
            FileError::UnknownTable { headers, sheet } => write!(
                f,
                "{}表头不属于任何已知表格 / the headers match no known table \
                 (cases, agents, contacts, calls, sms, notes, complaints, clients, flags); \
                 headers found: {}",
                on(sheet),
                list(headers)
            ),
            FileError::MissingColumns {
                kind,
                missing,
                headers,
                sheet,
            } => write!(
                f,
                "{}{}缺少必需的列 / {} misses required columns: {}; headers found: {}",
                on(sheet),
                kind.label_zh(),
                kind.label_en(),
                missing.join("; "),
                list(headers)
            ),
        }
    }
}

impl std::error::Error for FileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FileError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Rows scanned for the header row (title lines may come before it).
const HEADER_SCAN: usize = 10;
/// A CSV record longer than this is an error (an unbalanced quote).
const MAX_RECORD: usize = 64 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Xlsx,
    Xls,
    Xlsb,
    Ods,
}

impl Format {
    fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Xls => "xls",
            Format::Xlsb => "xlsb",
            Format::Ods => "ods",
        }
    }
}

type CsvInput = Recorder<Decoder<BufReader<File>>>;

struct CsvSource {
    rdr: csv::Reader<CsvInput>,
    record: csv::StringRecord,
    last_end: u64,
    width: usize,
}

struct LoadedSheet {
    name: String,
    range: Range<Data>,
    /// Index in `range` of the next row to read.
    next: usize,
}

struct BookSource {
    book: Sheets<BufReader<File>>,
    names: Vec<String>,
    /// Index in `names` of the next sheet to load.
    next_sheet: usize,
    /// Only the sheet the caller named.
    single: bool,
    cur: Option<LoadedSheet>,
}

enum Source {
    Csv(Box<CsvSource>),
    Book(Box<BookSource>),
    Done,
}

/// Rows of one table file. See [`open`].
pub struct TableReader {
    kind: TableKind,
    format: Format,
    headers: Vec<String>,
    mapping: Mapping,
    timezone: TimeZone,
    source: Source,
    skipped: Vec<(String, String)>,
}

impl fmt::Debug for TableReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TableReader")
            .field("kind", &self.kind)
            .field("format", &self.format)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

impl TableReader {
    /// The kind of table (detected or forced).
    pub fn kind(&self) -> TableKind {
        self.kind
    }

    /// The text encoding of a CSV file as encoding_rs names it: `UTF-8`, `UTF-16LE`,
    /// `UTF-16BE` or `gb18030` (GBK files are read as GB18030, its superset). A file that is
    /// all ASCII so far reads as `UTF-8`. Workbooks report `UTF-8`.
    pub fn encoding(&self) -> &'static str {
        match &self.source {
            Source::Csv(c) => c.rdr.get_ref().inner().encoding().name(),
            _ => "UTF-8",
        }
    }

    /// `csv`, `xlsx`, `xls`, `xlsb` or `ods`.
    pub fn format(&self) -> &'static str {
        self.format.as_str()
    }

    /// The header row as written in the file (of the current sheet, for workbooks).
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// `(header, field)` for every column that is read; other columns are ignored.
    pub fn columns(&self) -> Vec<(String, &'static str)> {
        self.mapping.used(&self.headers)
    }

    /// Workbook sheets passed over so far, with the reason.
    pub fn skipped_sheets(&self) -> &[(String, String)] {
        &self.skipped
    }
}

/// Open a CSV/TSV or workbook file and recognise its table. The kind of file is taken from
/// its content (a zip is an XLSX workbook, an OLE file an XLS workbook, anything else text).
pub fn open(path: &Path, opts: &TabularOptions) -> Result<TableReader, FileError> {
    let io_err = |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(io_err)?;
    let mut magic = [0u8; 8];
    let n = read_up_to(&mut file, &mut magic).map_err(io_err)?;
    let ext = extension(path);
    let format = sniff_format(&magic[..n], &ext);
    drop(file);
    match format {
        Format::Csv => open_csv(path, opts),
        _ => open_book(path, format, opts),
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn sniff_format(magic: &[u8], ext: &str) -> Format {
    if magic.starts_with(b"PK\x03\x04") {
        match ext {
            "ods" => Format::Ods,
            "xlsb" => Format::Xlsb,
            _ => Format::Xlsx,
        }
    } else if magic.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Format::Xls
    } else {
        Format::Csv
    }
}

/// Whether `path` looks like a table this module reads: by extension (`.csv`, `.tsv`,
/// `.xlsx`, `.xlsm`, `.xls`, `.xlsb`, `.ods`; `.txt` unless it holds JSON), else by content (a
/// workbook, or text whose first lines hold a recognised header row). Never fails: unreadable
/// files are not tabular.
pub fn is_tabular(path: &Path) -> bool {
    let ext = extension(path);
    if matches!(
        ext.as_str(),
        "csv" | "tsv" | "xlsx" | "xlsm" | "xls" | "xlsb" | "ods"
    ) {
        return true;
    }
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    let mut magic = [0u8; 8];
    let Ok(n) = read_up_to(&mut file, &mut magic) else {
        return false;
    };
    if sniff_format(&magic[..n], &ext) != Format::Csv {
        return true;
    }
    let Ok(file) = File::open(path) else {
        return false;
    };
    let Ok(mut dec) = Decoder::new(BufReader::new(file)) else {
        return false;
    };
    let Ok(head) = dec.peek(64 * 1024) else {
        return false;
    };
    let text = String::from_utf8_lossy(head);
    let first = text.trim_start_matches('\u{feff}').trim_start();
    if first.starts_with('{') || first.starts_with('[') || first.contains('\0') {
        return false;
    }
    if ext == "txt" {
        return true;
    }
    let delimiter = sniff_delimiter(&text);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    rdr.records().take(HEADER_SCAN).flatten().any(|r| {
        let headers: Vec<String> = r.iter().map(|h| values::trim(h).to_string()).collect();
        !matches!(columns::detect(&headers, None), Detected::Unknown)
    })
}

/// The delimiter among `,` `\t` `;` that occurs most, outside quotes, in the first line that
/// has any of them (the header, or a title line that Excel padded with delimiters); a leading
/// `sep=X` line, as Excel writes it, names it.
fn sniff_delimiter(text: &str) -> u8 {
    let text = text.trim_start_matches('\u{feff}');
    if let Some(rest) = text.strip_prefix("sep=")
        && let Some(&b) = rest.as_bytes().first()
    {
        return b;
    }
    for line in text.lines().take(HEADER_SCAN) {
        let mut best = (0usize, b',');
        for d in [b',', b'\t', b';'] {
            let mut quoted = false;
            let mut count = 0;
            for b in line.bytes() {
                if b == b'"' {
                    quoted = !quoted;
                } else if b == d && !quoted {
                    count += 1;
                }
            }
            if count > best.0 {
                best = (count, d);
            }
        }
        if best.0 > 0 {
            return best.1;
        }
    }
    b','
}

fn open_csv(path: &Path, opts: &TabularOptions) -> Result<TableReader, FileError> {
    let io_err = |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    let mut dec = Decoder::new(BufReader::with_capacity(64 * 1024, file)).map_err(io_err)?;
    let head = dec.peek(64 * 1024).map_err(io_err)?;
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(FileError::Empty);
    }
    if head.contains(&0) {
        return Err(FileError::NotText);
    }
    let delimiter = sniff_delimiter(&String::from_utf8_lossy(head));
    let rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(Recorder::new(dec, MAX_RECORD));
    let mut src = CsvSource {
        rdr,
        record: csv::StringRecord::new(),
        last_end: 0,
        width: 0,
    };
    let mut seen = 0;
    let mut scan = HeaderScan::default();
    while seen < HEADER_SCAN {
        match src.rdr.read_record(&mut src.record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(io_err(io::Error::other(e.to_string()))),
        }
        let end = src.rdr.position().byte();
        src.rdr.get_mut().take(src.last_end, end);
        src.last_end = end;
        if (0..src.record.len()).all(|i| src.record.cell(i).is_blank()) {
            continue;
        }
        seen += 1;
        let headers: Vec<String> = src
            .record
            .iter()
            .map(|h| values::trim(h).to_string())
            .collect();
        if let Some((headers, mapping)) = scan.detect(headers, opts.kind) {
            src.width = headers.len();
            return Ok(TableReader {
                kind: mapping.kind,
                format: Format::Csv,
                headers,
                mapping,
                timezone: opts.timezone.clone(),
                source: Source::Csv(Box::new(src)),
                skipped: Vec::new(),
            });
        }
    }
    Err(scan.error())
}

/// The search for a header row (CSV and sheets): what was seen before a table was found.
#[derive(Default)]
struct HeaderScan {
    /// The first candidate row.
    first: Option<Vec<String>>,
    /// The first row that looked like a table with columns missing.
    incomplete: Option<FileError>,
}

impl HeaderScan {
    /// The headers and their mapping when they name a table; otherwise noted for the error.
    fn detect(
        &mut self,
        headers: Vec<String>,
        kind: Option<TableKind>,
    ) -> Option<(Vec<String>, Mapping)> {
        match columns::detect(&headers, kind) {
            Detected::Table(mapping) => return Some((headers, *mapping)),
            Detected::Incomplete { kind, missing } => {
                self.incomplete.get_or_insert(FileError::MissingColumns {
                    kind,
                    missing,
                    headers: headers.clone(),
                    sheet: None,
                });
            }
            Detected::Unknown => {}
        }
        self.first.get_or_insert(headers);
        None
    }

    /// No table found: the first incomplete one, else the first row, else an empty file.
    fn error(self) -> FileError {
        self.incomplete.unwrap_or(match self.first {
            Some(headers) => FileError::UnknownTable {
                headers,
                sheet: None,
            },
            None => FileError::Empty,
        })
    }
}

/// A workbook row as cells: row `.1` (relative) of the range.
struct SheetRow<'a>(&'a Range<Data>, usize);

impl Cells for SheetRow<'_> {
    fn width(&self) -> usize {
        self.0.width()
    }
    fn cell(&self, i: usize) -> CellRef<'_> {
        match self.0.get((self.1, i)) {
            None | Some(Data::Empty) => CellRef::Empty,
            Some(Data::String(s)) | Some(Data::DateTimeIso(s)) | Some(Data::DurationIso(s)) => {
                CellRef::Text(s)
            }
            Some(Data::Float(f)) => CellRef::Number(*f),
            Some(Data::Int(i)) => CellRef::Int(*i),
            Some(Data::Bool(b)) => CellRef::Bool(*b),
            Some(Data::Error(e)) => CellRef::Error(e.to_string()),
            Some(Data::DateTime(d)) => {
                let (y, mo, day, h, mi, s, ms) = d.to_ymd_hms_milli();
                let civil = jiff::civil::DateTime::new(
                    y as i16,
                    mo as i8,
                    day as i8,
                    h as i8,
                    mi as i8,
                    s as i8,
                    i32::from(ms) * 1_000_000,
                );
                // A serial before 1900-03-01 is a time of day or a duration, not a date.
                CellRef::Date {
                    civil: civil.ok().filter(|_| d.is_datetime() && d.as_f64() >= 61.0),
                    serial: d.as_f64(),
                }
            }
        }
    }
}

impl SheetRow<'_> {
    fn is_blank(&self) -> bool {
        (0..self.width()).all(|i| self.cell(i).is_blank())
    }
    fn texts(&self) -> Vec<String> {
        (0..self.width())
            .map(|i| values::trim(&self.cell(i).display()).to_string())
            .collect()
    }
    /// The cells as one CSV line, without trailing empty cells.
    fn raw(&self) -> String {
        let mut cells = self.texts();
        while cells.last().is_some_and(|c| c.is_empty()) {
            cells.pop();
        }
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let _ = w.write_record(&cells);
        let bytes = w.into_inner().unwrap_or_default();
        String::from_utf8_lossy(&bytes)
            .trim_end_matches('\n')
            .to_string()
    }
}

fn open_book(path: &Path, format: Format, opts: &TabularOptions) -> Result<TableReader, FileError> {
    let wb = |e: &dyn fmt::Display| FileError::Workbook(e.to_string());
    let book = match format {
        Format::Xls => Sheets::Xls(calamine::open_workbook(path).map_err(|e| wb(&e))?),
        Format::Xlsb => Sheets::Xlsb(calamine::open_workbook(path).map_err(|e| wb(&e))?),
        Format::Ods => Sheets::Ods(calamine::open_workbook(path).map_err(|e| wb(&e))?),
        _ => Sheets::Xlsx(calamine::open_workbook(path).map_err(|e| wb(&e))?),
    };
    let all = book.sheet_names();
    let (names, single) = match &opts.sheet {
        Some(s) => {
            if !all.contains(s) {
                return Err(FileError::NoSuchSheet {
                    sheet: s.clone(),
                    available: all,
                });
            }
            (vec![s.clone()], true)
        }
        None => (all, false),
    };
    let mut src = BookSource {
        book,
        names,
        next_sheet: 0,
        single,
        cur: None,
    };
    let mut skipped = Vec::new();
    let mut first_error: Option<FileError> = None;
    while src.next_sheet < src.names.len() {
        let name = src.names[src.next_sheet].clone();
        src.next_sheet += 1;
        let range = src.book.worksheet_range(&name).map_err(|e| wb(&e))?;
        match find_header(&range, opts.kind) {
            Ok((row, headers, mapping)) => {
                src.cur = Some(LoadedSheet {
                    name,
                    range,
                    next: row + 1,
                });
                return Ok(TableReader {
                    kind: mapping.kind,
                    format,
                    headers,
                    mapping,
                    timezone: opts.timezone.clone(),
                    source: Source::Book(Box::new(src)),
                    skipped,
                });
            }
            Err(e) => {
                skipped.push((name.clone(), e.to_string()));
                let e = with_sheet(e, &name);
                // The most telling error: missing columns over unknown headers over empty.
                let rank = |e: &FileError| match e {
                    FileError::MissingColumns { .. } => 2,
                    FileError::UnknownTable { .. } => 1,
                    _ => 0,
                };
                if first_error.as_ref().is_none_or(|f| rank(&e) > rank(f)) {
                    first_error = Some(e);
                }
            }
        }
    }
    Err(first_error.unwrap_or(FileError::Empty))
}

fn with_sheet(e: FileError, name: &str) -> FileError {
    match e {
        FileError::UnknownTable { headers, .. } => FileError::UnknownTable {
            headers,
            sheet: Some(name.to_string()),
        },
        FileError::MissingColumns {
            kind,
            missing,
            headers,
            ..
        } => FileError::MissingColumns {
            kind,
            missing,
            headers,
            sheet: Some(name.to_string()),
        },
        other => other,
    }
}

/// The header row of a sheet: its index in the range, its texts and the mapping.
fn find_header(
    range: &Range<Data>,
    kind: Option<TableKind>,
) -> Result<(usize, Vec<String>, Mapping), FileError> {
    let mut scan = HeaderScan::default();
    for i in (0..range.height())
        .filter(|&i| !SheetRow(range, i).is_blank())
        .take(HEADER_SCAN)
    {
        let mut headers = SheetRow(range, i).texts();
        while headers.last().is_some_and(|h| h.is_empty()) {
            headers.pop();
        }
        if let Some((headers, mapping)) = scan.detect(headers, kind) {
            return Ok((i, headers, mapping));
        }
    }
    Err(scan.error())
}

impl TableReader {
    fn next_csv(&mut self) -> Option<Row> {
        let Source::Csv(src) = &mut self.source else {
            return None;
        };
        loop {
            let res = src.rdr.read_record(&mut src.record);
            let end = src.rdr.position().byte();
            let (line, raw) = src.rdr.get_mut().take(src.last_end, end);
            src.last_end = end;
            match res {
                Ok(true) => {}
                Ok(false) => {
                    self.source = Source::Done;
                    return None;
                }
                Err(e) => {
                    let reason = match e.kind() {
                        csv::ErrorKind::Io(io) => io.to_string(),
                        _ => e.to_string(),
                    };
                    self.source = Source::Done;
                    return Some(Row {
                        line,
                        raw,
                        record: Err(RowError {
                            column: String::new(),
                            value: String::new(),
                            reason: format!("读取中断 / reading stopped: {reason}"),
                        }),
                        sheet: None,
                    });
                }
            }
            let rec = &src.record;
            if (0..rec.len()).all(|i| rec.cell(i).is_blank()) {
                continue;
            }
            let width = src.width;
            let record = if rec.len() < width || (width..rec.len()).any(|i| !rec.cell(i).is_blank())
            {
                Err(RowError {
                    column: String::new(),
                    value: String::new(),
                    reason: format!(
                        "该行有 {} 列，表头有 {} 列 / the row has {} fields, the header {}",
                        rec.len(),
                        width,
                        rec.len(),
                        width
                    ),
                })
            } else {
                records::build(&RowCtx {
                    map: &self.mapping,
                    headers: &self.headers,
                    tz: &self.timezone,
                    cells: rec,
                })
            };
            return Some(Row {
                line,
                raw,
                record,
                sheet: None,
            });
        }
    }

    fn next_book(&mut self) -> Option<Row> {
        loop {
            let Source::Book(src) = &mut self.source else {
                return None;
            };
            if let Some(cur) = &mut src.cur {
                let top = cur.range.start().map_or(0, |(r, _)| r as u64);
                while cur.next < cur.range.height() {
                    let i = cur.next;
                    cur.next += 1;
                    let row = SheetRow(&cur.range, i);
                    if row.is_blank() {
                        continue;
                    }
                    let record = records::build(&RowCtx {
                        map: &self.mapping,
                        headers: &self.headers,
                        tz: &self.timezone,
                        cells: &row,
                    });
                    return Some(Row {
                        line: top + i as u64 + 1,
                        raw: row.raw(),
                        record,
                        sheet: Some(cur.name.clone()),
                    });
                }
                src.cur = None;
            }
            // The next sheet of the same kind.
            if src.single || src.next_sheet >= src.names.len() {
                self.source = Source::Done;
                return None;
            }
            let name = src.names[src.next_sheet].clone();
            src.next_sheet += 1;
            let range = match src.book.worksheet_range(&name) {
                Ok(r) => r,
                Err(e) => {
                    self.skipped.push((name, e.to_string()));
                    continue;
                }
            };
            match find_header(&range, Some(self.kind)) {
                Ok((row, headers, mapping)) => {
                    self.headers = headers;
                    self.mapping = mapping;
                    src.cur = Some(LoadedSheet {
                        name,
                        range,
                        next: row + 1,
                    });
                }
                Err(e) => self.skipped.push((name, e.to_string())),
            }
        }
    }
}

impl Iterator for TableReader {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        match self.source {
            Source::Csv(_) => self.next_csv(),
            Source::Book(_) => self.next_book(),
            Source::Done => None,
        }
    }
}

/// The column mapping as Markdown (docs/tabular.md embeds it between markers).
#[doc(hidden)]
pub fn mapping_markdown() -> String {
    columns::markdown()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_is_send() {
        fn send<T: Send>() {}
        send::<TableReader>();
        send::<Row>();
    }

    #[test]
    fn kinds_parse() {
        for k in TableKind::ALL {
            assert_eq!(k.as_str().parse::<TableKind>(), Ok(k));
        }
        assert_eq!("通话记录".parse::<TableKind>(), Ok(TableKind::Calls));
        assert_eq!("CDR".parse::<TableKind>(), Ok(TableKind::Calls));
        assert!("fax".parse::<TableKind>().is_err());
        assert_eq!(TableKind::parse("短信"), Some(TableKind::Sms));
        assert_eq!(TableKind::parse("fax"), None);
    }

    #[test]
    fn delimiters() {
        assert_eq!(sniff_delimiter("a;b;c\n1;2;3"), b';');
        assert_eq!(sniff_delimiter("a\tb\tc\n1\t2,5\t3"), b'\t');
        assert_eq!(sniff_delimiter("\"a;b\",c,d\n"), b',');
        assert_eq!(sniff_delimiter("sep=;\na;b"), b';');
        assert_eq!(sniff_delimiter("x"), b',');
        assert_eq!(sniff_delimiter("标题\na\tb\n1;2;3;4;5"), b'\t');
    }
}
