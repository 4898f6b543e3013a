//! Refanging with an offset map back to the original text.
//!
//! The extractor runs on a *normalised* copy of the input in which defanged notations
//! (`[.]`, `hxxp`, `[@]`, ` dot `, ...) are replaced by their plain form. Every replacement is
//! recorded as an [`Edit`], so any range in the normalised text maps back to a byte range of the
//! input (on ASCII, hence char, boundaries).

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use crate::lists;

/// One replacement: `orig` (input bytes) became `norm` (normalised bytes).
#[derive(Debug, Clone)]
pub(crate) struct Edit {
    pub orig: Range<usize>,
    pub norm: Range<usize>,
    /// An invisible format character removed (not a defang notation).
    pub invisible: bool,
}

/// Invisible format characters that text copied from web pages carries inside words (zero-width
/// space/joiners, word joiner, BOM, soft hyphen): removed before matching, so
/// `micro\u{200B}soft-update.com` is `microsoft-update.com`, not `soft-update.com`.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    )
}

pub(crate) struct Normalized<'a> {
    pub text: Cow<'a, str>,
    pub edits: Vec<Edit>,
}

/// Bracketed tokens: `[.]`, `(.)`, `{.}`, `].[`, `[dot]`, `(at)`, `[@]`, `[:]`, `[://]`, `[/]`, `[-]`.
static BRACKET_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"[\[\(\{\]\)\}]\x20?(\.|(?i:dot|punto|punkt|at|arroba)|@|://|:|/|-)\x20?[\]\)\}\[\(\{]",
    )
    .unwrap()
});

/// Scheme spellings before `//`: `hxxp://`, `hXXps[://]`, `http[:]//`, `[http]://`, `http ://`, `http//`, `http:///`.
static SCHEME_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)([\[\(]?)([a-z][a-z0-9+.\-]{1,15})([\]\)]?)(\x20?)(\[://\]|\[:\]//|:///?|//)(\x20?)",
    )
    .unwrap()
});

/// Spelled-out separators surrounded by spaces: ` dot `, ` DOT `, ` at `, ` AT `, ` . `, ` @ `.
static SPACED_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r" (dot|DOT|Dot|at|AT|\.|@) ").unwrap());

#[inline]
fn is_label_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

#[inline]
fn is_local_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

/// The word (label bytes) ending at `end`.
fn word_before(b: &[u8], end: usize, pred: fn(u8) -> bool) -> (usize, usize) {
    let mut s = end;
    while s > 0 && pred(b[s - 1]) && end - s < 64 {
        s -= 1;
    }
    (s, end)
}

/// A tolerant scan of a domain chain starting at `pos`: labels separated by `.`, `[.]`-style
/// brackets, or ` dot `. Returns (labels, number of spelled-out ` dot ` separators, end).
fn scan_chain(b: &[u8], mut pos: usize) -> (Vec<(usize, usize)>, usize, usize) {
    let mut labels = Vec::new();
    let mut obf = 0;
    let mut end = pos;
    loop {
        let s = pos;
        while pos < b.len() && is_label_byte(b[pos]) && pos - s < 63 {
            pos += 1;
        }
        if pos == s {
            break;
        }
        labels.push((s, pos));
        end = pos;
        if labels.len() >= 8 {
            break;
        }
        // separator
        let rest = &b[pos..];
        let sep = if rest.first() == Some(&b'.') {
            1
        } else if let Some(n) = bracket_sep_len(rest) {
            // bracketed `[.]` alone does not make ` at ` an e-mail ("C2 at evil[.]com")
            n
        } else if let Some(n) = spaced_dot_len(rest) {
            obf += 1;
            n
        } else {
            0
        };
        if sep == 0 || pos + sep >= b.len() || !is_label_byte(b[pos + sep]) {
            break;
        }
        pos += sep;
    }
    (labels, obf, end)
}

fn bracket_sep_len(rest: &[u8]) -> Option<usize> {
    let open = |c: u8| matches!(c, b'[' | b'(' | b'{' | b']' | b')' | b'}');
    if rest.len() >= 3 && open(rest[0]) && rest[1] == b'.' && open(rest[2]) {
        return Some(3);
    }
    if rest.len() >= 5 && open(rest[0]) && rest[1..4].eq_ignore_ascii_case(b"dot") && open(rest[4])
    {
        return Some(5);
    }
    None
}

fn spaced_dot_len(rest: &[u8]) -> Option<usize> {
    for pat in [&b" dot "[..], b" DOT ", b" Dot "] {
        if rest.starts_with(pat) {
            return Some(pat.len());
        }
    }
    None
}

fn canonical_scheme(s: &str) -> Option<&'static str> {
    let l = s.to_ascii_lowercase();
    let b = l.as_bytes();
    let tx = |c: u8| c == b't' || c == b'x';
    Some(match b {
        [b'h', a, c, b'p'] if tx(*a) && tx(*c) => "http",
        [b'h', a, c, b'p', b's'] if tx(*a) && tx(*c) => "https",
        [b'f', a, b'p'] if tx(*a) => "ftp",
        [b'f', a, b'p', b's'] if tx(*a) => "ftps",
        [b's', b'f', a, b'p'] if tx(*a) => "sftp",
        b"xxxx" => "http",
        b"xxxxs" | b"xxxxx" => "https",
        _ => return None,
    })
}

impl<'a> Normalized<'a> {
    pub fn new(text: &'a str) -> Self {
        let b = text.as_bytes();
        let mut raw: Vec<(Range<usize>, Cow<'static, str>)> = Vec::new();

        // 0. invisible format characters (all are >= U+00AD: only non-ASCII text can hold one)
        if !text.is_ascii() {
            for (i, c) in text.char_indices().filter(|&(_, c)| is_invisible(c)) {
                raw.push((i..i + c.len_utf8(), Cow::Borrowed("")));
            }
        }

        // 1. bracketed tokens
        if memchr_any(b, b"[({])}") {
            for c in BRACKET_RE.captures_iter(text) {
                let m = c.get(0).unwrap();
                let tok = c.get(1).unwrap().as_str().to_ascii_lowercase();
                let rep: &'static str = match tok.as_str() {
                    "." | "dot" | "punto" | "punkt" => ".",
                    "@" | "at" | "arroba" => "@",
                    "://" => "://",
                    ":" => ":",
                    "/" => "/",
                    "-" => "-",
                    _ => continue,
                };
                // Outer spaces are only swallowed for `.`/`@` between two words ("foo [at] bar.com").
                let (inner_start, inner_end) = (m.start(), m.end());
                let mut outer = m.range();
                while outer.start > 0 && b[outer.start - 1] == b' ' && inner_start - outer.start < 2
                {
                    outer.start -= 1;
                }
                while outer.end < b.len() && b[outer.end] == b' ' && outer.end - inner_end < 2 {
                    outer.end += 1;
                }
                let m = &outer;
                let word_l = |p: usize| p > 0 && is_local_byte(b[p - 1]);
                let word_r = |p: usize| p < b.len() && is_label_byte(b[p]);
                let mut r = inner_start..inner_end;
                if matches!(rep, "." | "@")
                    && (r.start != m.start || r.end != m.end)
                    && word_l(m.start)
                    && word_r(m.end)
                {
                    r = m.clone();
                }
                // A bare `(.)` between non-words (e.g. in prose) is left alone.
                if matches!(rep, "." | "@" | "-") && !(word_l(r.start) && word_r(r.end)) {
                    continue;
                }
                raw.push((r, Cow::Borrowed(rep)));
            }
        }

        // 2. scheme spellings (anchored on `//`)
        let mut last_q = usize::MAX;
        let pairs: Vec<usize> = LIT_SLASH
            .positions(text)
            .map(|(q, _)| q)
            .filter(|&q| b.get(q + 1) == Some(&b'/'))
            .collect();
        for q in pairs {
            if last_q != usize::MAX && q < last_q + 4 {
                continue;
            }
            last_q = q;
            let mut ws = q.saturating_sub(24);
            while !text.is_char_boundary(ws) {
                ws += 1;
            }
            let mut we = (q + 4).min(b.len());
            while !text.is_char_boundary(we) {
                we += 1;
            }
            for c in SCHEME_RE.captures_iter(&text[ws..we]) {
                let sepm = c.get(5).unwrap();
                if !(sepm.start() + ws <= q && q < sepm.end() + ws) {
                    continue;
                }
                let m0 = c.get(0).unwrap();
                let sep_end = sepm.end() + ws;
                let mut start = m0.start() + ws;
                if start > 0 && (b[start - 1].is_ascii_alphanumeric() || b[start - 1] == b'_') {
                    continue;
                }
                let mut open = c.get(1).unwrap().as_str();
                let scheme = c.get(2).unwrap().as_str();
                let close = c.get(3).unwrap().as_str();
                if !open.is_empty() && close.is_empty() {
                    // `(https://` is prose punctuation, not a bracketed scheme
                    start += open.len();
                    open = "";
                }
                let sp1 = c.get(4).unwrap().as_str();
                let sep = c.get(5).unwrap().as_str();
                let sp2 = c.get(6).unwrap();
                let canon = canonical_scheme(scheme);
                let known = canon.is_some()
                    || matches!(
                        scheme.to_ascii_lowercase().as_str(),
                        "http"
                            | "https"
                            | "ftp"
                            | "ftps"
                            | "sftp"
                            | "file"
                            | "smb"
                            | "ws"
                            | "wss"
                            | "tcp"
                            | "udp"
                            | "ssh"
                            | "telnet"
                            | "ldap"
                            | "ldaps"
                            | "rdp"
                            | "irc"
                            | "git"
                            | "svn"
                    );
                let plain_sep = sep == "://";
                let structural = !open.is_empty()
                    || !close.is_empty()
                    || !sp1.is_empty()
                    || !plain_sep
                    || !sp2.is_empty();
                if canon.is_none() && !structural {
                    continue;
                }
                if !known && !plain_sep {
                    continue;
                }
                if !known && (!sp1.is_empty() || !open.is_empty()) {
                    continue;
                }
                // the space after `//` is only dropped when a host follows
                let mut end = m0.end() + ws;
                if !(sp2.is_empty() || end < b.len() && is_label_byte(b[end])) {
                    end = sp2.start() + ws;
                }
                if !sp1.is_empty() && sep == "//" {
                    // `http //x` is too loose
                    continue;
                }
                // `svn///`, `http:////`: a longer slash run is left alone, so refang stays
                // idempotent (one pass never creates a new `://` followed by `/`).
                if b.get(sep_end) == Some(&b'/') {
                    continue;
                }
                let sch = canon
                    .map(str::to_string)
                    .unwrap_or_else(|| scheme.to_string());
                let rep = format!("{sch}://");
                if text[start..end] == rep {
                    continue;
                }
                raw.push((start..end, Cow::Owned(rep)));
            }
        }

        // 3. backslash escapes `\.` and `\/`
        if b.contains(&b'\\') {
            for (i, _) in LIT_BSLASH.positions(text) {
                let prev = if i > 0 { b[i - 1] } else { b' ' };
                let next = b.get(i + 1).copied().unwrap_or(b' ');
                let after = b.get(i + 2).copied().unwrap_or(b' ');
                if next == b'.'
                    && prev.is_ascii_alphanumeric()
                    && after.is_ascii_alphanumeric()
                    && !hive_before(b, i)
                {
                    raw.push((i..i + 2, Cow::Borrowed(".")));
                } else if next == b'/'
                    && prev != b'\\'
                    && (prev == b'/' || prev == b':' || prev.is_ascii_alphanumeric())
                {
                    raw.push((i..i + 2, Cow::Borrowed("/")));
                }
            }
        }

        // 4. spaced words: only with a clear domain on the right and a word on the left.
        for c in SPACED_RE.captures_iter(text) {
            let m0 = c.get(0).unwrap();
            let w = c.get(1).unwrap().as_str();
            let mut m = m0.range();
            if m.start > 0 && b[m.start - 1] == b' ' {
                m.start -= 1;
            }
            if m.end < b.len() && b[m.end] == b' ' {
                m.end += 1;
            }
            let (ls, le) = word_before(
                b,
                m.start,
                if w == "@" || w.eq_ignore_ascii_case("at") {
                    is_local_byte
                } else {
                    is_label_byte
                },
            );
            if ls == le {
                continue;
            }
            let left = &text[ls..le];
            let right_start = m.end;
            if right_start >= b.len() || !is_label_byte(b[right_start]) {
                continue;
            }
            let (labels, obf, _end) = scan_chain(b, right_start);
            let Some(&(ts, te)) = labels.last() else {
                continue;
            };
            let tld = &text[ts..te];
            if !lists::is_tld(tld) {
                continue;
            }
            let rep: &'static str = match w {
                "@" => {
                    if labels.len() < 2 {
                        continue;
                    }
                    "@"
                }
                "AT" | "at" => {
                    if labels.len() < 2 || lists::is_stop_word(left) {
                        continue;
                    }
                    if w == "at" && obf == 0 {
                        // lower-case ` at ` only with a spelled-out domain: "john at example dot com"
                        continue;
                    }
                    "@"
                }
                _ => {
                    // ` dot ` / ` . `: the right side must end the chain with a strong TLD
                    if lists::is_stop_word(left) || lists::is_weak_tld(tld) {
                        continue;
                    }
                    if labels.len() == 1 && (te < b.len() && b[te].is_ascii_alphanumeric()) {
                        continue;
                    }
                    let lower = |s: &str| !s.bytes().any(|c| c.is_ascii_uppercase());
                    if (w == "dot" || w == ".") && !(lower(left) && lower(tld)) {
                        continue;
                    }
                    "."
                }
            };
            raw.push((m, Cow::Borrowed(rep)));
        }

        if raw.is_empty() {
            return Normalized {
                text: Cow::Borrowed(text),
                edits: Vec::new(),
            };
        }
        raw.sort_by_key(|(r, _)| (r.start, std::cmp::Reverse(r.end)));
        let mut out = String::with_capacity(text.len());
        let mut edits = Vec::with_capacity(raw.len());
        let mut pos = 0;
        for (r, rep) in raw {
            if r.start < pos {
                continue;
            }
            out.push_str(&text[pos..r.start]);
            let ns = out.len();
            out.push_str(&rep);
            edits.push(Edit {
                orig: r.clone(),
                norm: ns..out.len(),
                invisible: rep.is_empty(),
            });
            pos = r.end;
        }
        out.push_str(&text[pos..]);
        Normalized {
            text: Cow::Owned(out),
            edits,
        }
    }

    /// Map a normalised range back to the input.
    pub fn map(&self, r: Range<usize>) -> Range<usize> {
        if self.edits.is_empty() {
            return r;
        }
        let start = {
            let i = self.edits.partition_point(|e| e.norm.start <= r.start);
            if i == 0 {
                r.start
            } else {
                let e = &self.edits[i - 1];
                if r.start < e.norm.end {
                    e.orig.start
                } else {
                    r.start - e.norm.end + e.orig.end
                }
            }
        };
        let end = {
            let i = self.edits.partition_point(|e| e.norm.start < r.end);
            if i == 0 {
                r.end
            } else {
                let e = &self.edits[i - 1];
                if r.end <= e.norm.end {
                    e.orig.end
                } else {
                    r.end - e.norm.end + e.orig.end
                }
            }
        };
        start..end.max(start)
    }

    /// Does any replacement fall inside (or overlap) the normalised range?
    pub fn edited(&self, r: &Range<usize>) -> bool {
        if self.edits.is_empty() {
            return false;
        }
        let i = self.edits.partition_point(|e| e.norm.end <= r.start);
        self.edits[i..]
            .iter()
            .take_while(|e| e.norm.start < r.end)
            .any(|e| !e.invisible)
    }
}

/// Literal searchers: `regex` compiles a literal to a SIMD `memchr`/`memmem` scan.
pub(crate) struct Lit(LazyLock<Regex>);

impl Lit {
    pub(crate) const fn new(f: fn() -> Regex) -> Self {
        Lit(LazyLock::new(f))
    }
    pub(crate) fn positions<'t>(
        &'static self,
        t: &'t str,
    ) -> impl Iterator<Item = (usize, ())> + 't {
        self.0.find_iter(t).map(|m| (m.start(), ()))
    }
}

pub(crate) static LIT_SLASH: Lit = Lit::new(|| Regex::new("/").unwrap());
pub(crate) static LIT_BSLASH: Lit = Lit::new(|| Regex::new(r"\\").unwrap());
pub(crate) static LIT_AT: Lit = Lit::new(|| Regex::new("@").unwrap());
pub(crate) static LIT_COLON: Lit = Lit::new(|| Regex::new(":").unwrap());
pub(crate) static LIT_CSS: Lit = Lit::new(|| Regex::new("://").unwrap());
pub(crate) static LIT_RULE: Lit = Lit::new(|| Regex::new("rule").unwrap());

/// A registry hive name ends at `i` (`HKU\.DEFAULT` is a key, not an escaped dot).
fn hive_before(b: &[u8], i: usize) -> bool {
    let mut s = i;
    while s > 0 && (b[s - 1].is_ascii_alphanumeric() || b[s - 1] == b'_') && i - s < 24 {
        s -= 1;
    }
    let w = String::from_utf8_lossy(&b[s..i]).to_ascii_uppercase();
    w.starts_with("HK") && (w.len() <= 4 || w.starts_with("HKEY_"))
}

fn memchr_any(b: &[u8], set: &[u8]) -> bool {
    b.iter().any(|c| set.contains(c))
}

/// Refang repeatedly until nothing changes. A pass may undo one layer of nesting only (the fuzzer
/// found `)))…)/` runs that lose one character a pass), so the passes go on while the text
/// shrinks, not for a fixed count; a pass that changes the text without shortening it (`hxxp` ->
/// `http`) is allowed a few times in a row. Worst case quadratic in the length of adversarial
/// text: this is the `refang` API, not the extraction path (which reads the text once).
pub(crate) fn refang_full(s: &str) -> String {
    let mut cur = s.to_string();
    let mut same_length_passes = 0;
    // a bound whatever the edits do (passes that shorten the text number at most its length)
    for _ in 0..s.len() + 17 {
        let n = Normalized::new(&cur);
        if n.edits.is_empty() {
            return cur;
        }
        let next = n.text.into_owned();
        if next == cur {
            return cur;
        }
        if next.len() < cur.len() {
            same_length_passes = 0;
        } else {
            same_length_passes += 1;
            if same_length_passes > 16 {
                return next;
            }
        }
        cur = next;
    }
    cur
}

pub(crate) static LIT_CVE: Lit = Lit::new(|| Regex::new("(?i)cve").unwrap());
/// The spellings of the user-agent anchors actually seen in reports (case-sensitive alternatives
/// search about twice as fast as `(?i)`).
pub(crate) static LIT_UA: Lit = Lit::new(|| {
    Regex::new(
        "Mozilla/|MOZILLA/|User-Agent|user-agent|User-agent|USER-AGENT|User agent|user agent|User Agent|USER AGENT|UserAgent|userAgent|useragent|Useragent|USERAGENT",
    )
    .unwrap()
});
