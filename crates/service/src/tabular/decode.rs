//! Streaming text decoding for CSV files: BOM → that encoding; no BOM → UTF-8 while the bytes
//! are valid UTF-8, else GB18030 (a superset of GBK). The decision is taken at the first
//! non-ASCII byte (ASCII is the same in both), looking at up to [`SNIFF_BYTES`] from there, so
//! a file is never read into memory in one piece.
//!
//! [`Recorder`] sits between the decoder and the csv reader and keeps the decoded bytes of the
//! current record, so that every row can be handed back as the text it had in the file and its
//! physical line number can be counted exactly (quoted fields with line breaks included).

use std::io::{self, Read};

use encoding_rs::{Encoding, GB18030, UTF_8, UTF_16BE, UTF_16LE};

/// How many bytes after the first non-ASCII byte decide between UTF-8 and GB18030.
const SNIFF_BYTES: usize = 64 * 1024;
/// Size of one read from the underlying file.
const CHUNK: usize = 64 * 1024;

enum State {
    /// Only ASCII seen so far: passed through unchanged.
    Undecided,
    Decoding(encoding_rs::Decoder),
    Finished,
}

/// A `Read` that yields UTF-8, decoding the underlying bytes as it goes.
pub(crate) struct Decoder<R> {
    inner: R,
    input: Vec<u8>,
    in_pos: usize,
    in_end: usize,
    eof: bool,
    out: Vec<u8>,
    out_pos: usize,
    state: State,
    encoding: &'static Encoding,
}

impl<R: Read> Decoder<R> {
    /// Looks at the start of `inner` for a byte-order mark (or the zero bytes of BOM-less
    /// UTF-16) and prepares to decode.
    pub(crate) fn new(inner: R) -> io::Result<Self> {
        let mut d = Decoder {
            inner,
            input: Vec::new(),
            in_pos: 0,
            in_end: 0,
            eof: false,
            out: Vec::new(),
            out_pos: 0,
            state: State::Undecided,
            encoding: UTF_8,
        };
        d.fill_input(4)?;
        let head = &d.input[d.in_pos..d.in_end];
        if let Some((enc, bom)) = Encoding::for_bom(head) {
            d.in_pos += bom;
            d.start(enc);
        } else if head.len() >= 2 && head[0] != 0 && head[1] == 0 {
            d.start(UTF_16LE);
        } else if head.len() >= 2 && head[0] == 0 && head[1] != 0 {
            d.start(UTF_16BE);
        }
        Ok(d)
    }

    /// The encoding in use (UTF-8 while only ASCII has been seen).
    pub(crate) fn encoding(&self) -> &'static Encoding {
        self.encoding
    }

    fn start(&mut self, enc: &'static Encoding) {
        self.encoding = enc;
        self.state = State::Decoding(enc.new_decoder_without_bom_handling());
    }

    /// Reads until at least `want` unconsumed input bytes are buffered, or the end of input.
    fn fill_input(&mut self, want: usize) -> io::Result<()> {
        if self.in_pos == self.in_end {
            self.in_pos = 0;
            self.in_end = 0;
        }
        while !self.eof && self.in_end - self.in_pos < want {
            if self.in_pos > 0 {
                self.input.copy_within(self.in_pos..self.in_end, 0);
                self.in_end -= self.in_pos;
                self.in_pos = 0;
            }
            let need = want.max(CHUNK);
            if self.input.len() < need {
                self.input.resize(need, 0);
            }
            match self.inner.read(&mut self.input[self.in_end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.in_end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Appends more decoded output to `out`; false at the end of the input.
    fn produce(&mut self) -> io::Result<bool> {
        loop {
            match &mut self.state {
                State::Finished => return Ok(false),
                State::Undecided => {
                    self.fill_input(1)?;
                    let avail = &self.input[self.in_pos..self.in_end];
                    if avail.is_empty() {
                        self.state = State::Finished;
                        return Ok(false);
                    }
                    let ascii = avail
                        .iter()
                        .position(|b| !b.is_ascii())
                        .unwrap_or(avail.len());
                    if ascii > 0 {
                        self.out.extend_from_slice(&avail[..ascii]);
                        self.in_pos += ascii;
                        return Ok(true);
                    }
                    // First non-ASCII byte: decide on what follows it.
                    self.fill_input(SNIFF_BYTES)?;
                    let look = &self.input[self.in_pos..self.in_end];
                    let look = &look[..look.len().min(SNIFF_BYTES)];
                    let utf8 = looks_like_utf8(look);
                    self.start(if utf8 { UTF_8 } else { GB18030 });
                }
                State::Decoding(dec) => {
                    if !self.eof && self.in_end - self.in_pos < 16 {
                        self.fill_input(16)?;
                        continue;
                    }
                    let src = &self.input[self.in_pos..self.in_end];
                    let last = self.eof;
                    let old = self.out.len();
                    let room = dec
                        .max_utf8_buffer_length(src.len())
                        .unwrap_or(CHUNK * 4)
                        .clamp(16, CHUNK * 4);
                    self.out.resize(old + room, 0);
                    let (res, read, written, _) =
                        dec.decode_to_utf8(src, &mut self.out[old..], last);
                    self.out.truncate(old + written);
                    self.in_pos += read;
                    if last && res == encoding_rs::CoderResult::InputEmpty {
                        self.state = State::Finished;
                    }
                    if written > 0 {
                        return Ok(true);
                    }
                }
            }
        }
    }

    /// The decoded text from the current position on, at least `want` bytes of it unless the
    /// input ends first. Nothing is consumed.
    pub(crate) fn peek(&mut self, want: usize) -> io::Result<&[u8]> {
        while self.out.len() - self.out_pos < want {
            if !self.produce()? {
                break;
            }
        }
        Ok(&self.out[self.out_pos..])
    }
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
            if !self.produce()? {
                return Ok(0);
            }
        }
        let avail = &self.out[self.out_pos..];
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.out_pos += n;
        Ok(n)
    }
}

/// Whether bytes that start with a non-ASCII byte are UTF-8 rather than GBK/GB18030: no
/// invalid sequence at all, or far more valid multi-byte characters than invalid sequences (a
/// UTF-8 file with a damaged byte stays UTF-8; in GBK text only about one character in ten
/// happens to form valid UTF-8). A character cut off at the end of the window is not invalid.
fn looks_like_utf8(mut bytes: &[u8]) -> bool {
    let (mut valid, mut invalid) = (0usize, 0usize);
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                valid += s.chars().filter(|c| !c.is_ascii()).count();
                break;
            }
            Err(e) => {
                let ok = &bytes[..e.valid_up_to()];
                // Safe: `valid_up_to` bytes are valid UTF-8.
                valid += std::str::from_utf8(ok)
                    .map_or(0, |s| s.chars().filter(|c| !c.is_ascii()).count());
                match e.error_len() {
                    Some(n) => {
                        invalid += 1;
                        bytes = &bytes[e.valid_up_to() + n..];
                    }
                    None => break,
                }
            }
        }
    }
    invalid == 0 || valid >= 8 * invalid
}

/// Counts line breaks: LF, CRLF and a lone CR each count once, also when a CRLF is split
/// between two calls.
#[derive(Debug, Clone, Copy, Default)]
struct LineCounter {
    lines: u64,
    after_cr: bool,
}

impl LineCounter {
    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'\r' => {
                    self.lines += 1;
                    self.after_cr = true;
                }
                b'\n' => {
                    if !self.after_cr {
                        self.lines += 1;
                    }
                    self.after_cr = false;
                }
                _ => self.after_cr = false,
            }
        }
    }
}

/// Keeps the bytes read through it from the start of the current record on.
pub(crate) struct Recorder<R> {
    inner: R,
    buf: Vec<u8>,
    /// Absolute offset of `buf[0]` in the stream.
    base: u64,
    /// Line breaks before `base`.
    counter: LineCounter,
    /// A record longer than this (an unbalanced quote swallowing the file) is an error.
    limit: usize,
}

impl<R> Recorder<R> {
    pub(crate) fn new(inner: R, limit: usize) -> Self {
        Recorder {
            inner,
            buf: Vec::new(),
            base: 0,
            counter: LineCounter::default(),
            limit,
        }
    }

    pub(crate) fn inner(&self) -> &R {
        &self.inner
    }

    /// The record that occupies stream bytes `start..end`: its first physical line (1-based)
    /// and its text without the line breaks around it. Bytes before `start` are forgotten.
    pub(crate) fn take(&mut self, start: u64, end: u64) -> (u64, String) {
        let skip = (start.saturating_sub(self.base) as usize).min(self.buf.len());
        self.counter.feed(&self.buf[..skip]);
        self.buf.drain(..skip);
        self.base += skip as u64;
        let len = (end.saturating_sub(self.base) as usize).min(self.buf.len());
        let rec = &self.buf[..len];
        let lead = rec
            .iter()
            .position(|&b| b != b'\n' && b != b'\r')
            .unwrap_or(rec.len());
        let mut at = self.counter;
        at.feed(&rec[..lead]);
        let body = &rec[lead..];
        let trail = body
            .iter()
            .rposition(|&b| b != b'\n' && b != b'\r')
            .map_or(0, |i| i + 1);
        let raw = String::from_utf8_lossy(&body[..trail]).into_owned();
        (at.lines + 1, raw)
    }
}

impl<R: Read> Read for Recorder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.buf.len() > self.limit {
            return Err(io::Error::other(format!(
                "一行超过 {} MiB，可能有未闭合的引号 / a row is longer than {} MiB: unbalanced quote?",
                self.limit >> 20,
                self.limit >> 20
            )));
        }
        let n = self.inner.read(buf)?;
        self.buf.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out one byte per call, to exercise every buffer boundary.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }

    fn decode(bytes: &[u8]) -> (String, &'static str) {
        let mut d = Decoder::new(Trickle(bytes)).unwrap();
        let mut s = String::new();
        d.read_to_string(&mut s).unwrap();
        (s, d.encoding().name())
    }

    #[test]
    fn detects_encodings() {
        let text = "案件编号,坐席工号\r\nA1,甲\r\n";
        let (gbk, _, _) = GB18030.encode(text);
        assert_eq!(decode(&gbk), (text.to_string(), "gb18030"));
        assert_eq!(decode(text.as_bytes()), (text.to_string(), "UTF-8"));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode(&bom), (text.to_string(), "UTF-8"));
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in text.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
            be.extend_from_slice(&u.to_be_bytes());
        }
        // Without a BOM, UTF-16 is recognised by the zero bytes of an ASCII start.
        let ascii_start = "case_id,坐席\n";
        let le_nobom: Vec<u8> = ascii_start
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(decode(&le), (text.to_string(), "UTF-16LE"));
        assert_eq!(decode(&be), (text.to_string(), "UTF-16BE"));
        assert_eq!(decode(&le_nobom), (ascii_start.to_string(), "UTF-16LE"));
        assert_eq!(decode(b""), (String::new(), "UTF-8"));
        // One damaged byte in a UTF-8 file does not make it GB18030.
        let mut damaged = "案件编号,坐席工号,呼叫开始时间\n".repeat(20).into_bytes();
        damaged[40] = 0xFF;
        assert_eq!(decode(&damaged).1, "UTF-8");
        // GBK after a long ASCII prefix is still recognised.
        let mut late = "a,b\n".repeat(50_000).into_bytes();
        late.extend_from_slice(&gbk);
        let (s, enc) = decode(&late);
        assert_eq!(enc, "gb18030");
        assert!(s.ends_with(text));
    }

    #[test]
    fn recorder_counts_lines() {
        let data = "h1,h2\r\n\r\na,\"x\ny\"\r\nb,c\r\rd\n";
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(Recorder::new(Trickle(data.as_bytes()), 1 << 20));
        let mut rec = csv::StringRecord::new();
        let mut last = 0;
        let mut got = Vec::new();
        while rdr.read_record(&mut rec).unwrap() {
            let end = rdr.position().byte();
            let (line, raw) = rdr.get_mut().take(last, end);
            last = end;
            got.push((line, raw));
        }
        assert_eq!(
            got,
            vec![
                (1, "h1,h2".to_string()),
                (3, "a,\"x\ny\"".to_string()),
                (5, "b,c".to_string()),
                (7, "d".to_string())
            ]
        );
    }
}
