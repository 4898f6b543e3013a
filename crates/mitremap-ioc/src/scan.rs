//! The scanners. All work on the normalised text with ASCII byte tests, so every position they
//! produce is a char boundary; each one is a single forward pass (linear time).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use crate::norm::{
    LIT_AT, LIT_BSLASH, LIT_COLON, LIT_CSS, LIT_CVE, LIT_RULE, LIT_SLASH, LIT_UA, Normalized,
};
use crate::{Derived, Ioc, IocFlags, IocKind, btc, keccak, lists};

// Work counter for the linear-time tests (unit tests only; compiles to nothing otherwise).
#[cfg(test)]
thread_local! {
    pub(crate) static WORK: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

macro_rules! tick {
    () => {
        #[cfg(test)]
        WORK.with(|w| w.set(w.get() + 1));
    };
}

#[derive(Debug, Clone)]
struct Cand {
    kind: IocKind,
    s: usize,
    e: usize,
    value: String,
    flags: IocFlags,
    /// URL host range (normalised coordinates).
    host: Option<Range<usize>>,
    /// An IPv4 written as `Product/1.2.3.4`: a version unless inside a URL.
    versionish: bool,
}

impl Cand {
    fn new(kind: IocKind, s: usize, e: usize, value: String) -> Self {
        Cand {
            kind,
            s,
            e,
            value,
            flags: IocFlags::default(),
            host: None,
            versionish: false,
        }
    }
}

pub(crate) fn extract(text: &str) -> Vec<Ioc> {
    let n = Normalized::new(text);
    let t: &str = &n.text;
    let mut c: Vec<Cand> = Vec::new();
    scan_urls(t, &mut c);
    scan_emails(t, &mut c);
    scan_backslash(t, &mut c);
    scan_slash(t, &mut c);
    scan_tokens(t, &n, &mut c);
    scan_colons(t, &mut c);
    scan_yara(t, &mut c);
    scan_cve(t, &mut c);
    scan_user_agents(t, &mut c);
    let kept = resolve(c);
    let mut out: Vec<Ioc> = kept
        .into_iter()
        .map(|c| {
            let r = n.map(c.s..c.e);
            Ioc {
                kind: c.kind,
                value: c.value,
                raw: text[r.clone()].to_string(),
                defanged: n.edited(&(c.s..c.e)),
                range: r,
                flags: c.flags,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.range
            .start
            .cmp(&b.range.start)
            .then(a.range.end.cmp(&b.range.end))
            .then(a.kind.cmp(&b.kind))
    });
    out.dedup_by(|a, b| a.kind == b.kind && a.range == b.range);
    out
}

fn is_container(k: IocKind) -> bool {
    matches!(
        k,
        IocKind::Url
            | IocKind::Email
            | IocKind::Xmpp
            | IocKind::WindowsPath
            | IocKind::UnixPath
            | IocKind::RegistryKey
            | IocKind::Ipv6
            | IocKind::UserAgent
    )
}

fn is_hash(k: IocKind) -> bool {
    use IocKind::*;
    matches!(
        k,
        Md5 | Sha1 | Sha256 | Sha512 | Imphash | Authentihash | Ja3 | Ja3s | Tlsh
    )
}

fn allowed_inside(container: &Cand, x: &Cand) -> bool {
    use IocKind::*;
    match container.kind {
        Url => {
            matches!(x.kind, Ipv4 | Ipv4Cidr | Ipv6 | Cve | AttackId | BtcAddress)
                || is_hash(x.kind)
                || (x.kind == Domain && x.flags.derived == Some(Derived::FromUrl))
                || (x.kind == Url && x.flags.derived == Some(Derived::EmbeddedUrl))
        }
        Email | Xmpp => x.kind == Domain && x.flags.derived == Some(Derived::FromEmail),
        // an IPv4 inside a Windows path only as the UNC host (`\\10.1.2.3\share`), not a version
        // directory (`...\EdgeUpdate\1.3.175.29\`)
        WindowsPath if x.kind == Ipv4 => x.s == container.s + 2,
        WindowsPath | UnixPath | RegistryKey => {
            matches!(x.kind, FileName | Ipv4 | Ipv6 | Cve | AttackId) || is_hash(x.kind)
        }
        UserAgent => matches!(x.kind, Url | Domain | Email),
        _ => false,
    }
}

fn resolve(mut c: Vec<Cand>) -> Vec<Cand> {
    c.sort_by(|a, b| a.s.cmp(&b.s).then(b.e.cmp(&a.e)).then(a.kind.cmp(&b.kind)));
    c.dedup_by(|a, b| a.kind == b.kind && a.s == b.s && a.e == b.e);
    let mut active: Vec<Cand> = Vec::new();
    let mut out = Vec::with_capacity(c.len());
    for x in c {
        active.retain(|a| a.e > x.s);
        let mut keep = true;
        let mut in_url = false;
        for a in &active {
            if a.s <= x.s && x.e <= a.e && !(a.s == x.s && a.e == x.e) {
                if matches!(a.kind, IocKind::Url | IocKind::UnixPath) {
                    in_url = true; // `http://x/ip-address/1.2.3.4`, `/dev/tcp/10.0.0.1`
                }
                if !allowed_inside(a, &x) {
                    keep = false;
                }
            }
        }
        if x.versionish && !in_url {
            keep = false;
        }
        if !keep {
            continue;
        }
        if is_container(x.kind) {
            active.push(x.clone());
        }
        out.push(x);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// byte classes

#[inline]
fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

#[inline]
fn is_label(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

#[inline]
fn is_host_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'.' || c == b'_'
}

#[inline]
fn is_local(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

/// Bytes that may precede a path start.
#[inline]
fn path_boundary(c: u8) -> bool {
    c.is_ascii_whitespace()
        || matches!(
            c,
            b'"' | b'\''
                | b'('
                | b'['
                | b'{'
                | b'='
                | b':'
                | b','
                | b';'
                | b'<'
                | b'>'
                | b'`'
                | b'|'
        )
}

// ---------------------------------------------------------------------------------------------
// domains

/// Structural validity of a host name and whether its TLD is in the IANA list.
fn domain_ok(host: &str) -> bool {
    if host.len() > 253 || host.len() < 4 {
        return false;
    }
    let mut n = 0;
    let mut last = "";
    for l in host.split('.') {
        if l.is_empty()
            || l.len() > 63
            || !l.bytes().all(is_label)
            || l.starts_with('-')
            || l.ends_with('-')
        {
            return false;
        }
        n += 1;
        last = l;
    }
    if n < 2 || !lists::is_tld(last) {
        return false;
    }
    if last.eq_ignore_ascii_case("onion") {
        // v3 (56 chars, checksum verified) or legacy v2 (16 base32 chars)
        let name = host[..host.len() - 6].rsplit('.').next().unwrap_or("");
        return keccak::is_onion_v3(name)
            || (name.len() == 16
                && name
                    .bytes()
                    .all(|c| c.is_ascii_alphabetic() || (b'2'..=b'7').contains(&c)));
    }
    true
}

fn domain_flags(host_lower: &str) -> IocFlags {
    IocFlags {
        benign: lists::is_benign_domain(host_lower),
        ..IocFlags::default()
    }
}

// ---------------------------------------------------------------------------------------------
// URLs

/// End of a URL body starting at `i`: stops at whitespace, quotes, angle brackets, non-ASCII and
/// unbalanced closing brackets; trailing punctuation is dropped.
fn url_end(b: &[u8], mut i: usize) -> usize {
    let mut paren = 0i32;
    let mut square = 0i32;
    while i < b.len() {
        let c = b[i];
        if c <= b' '
            || c >= 0x7f
            || matches!(
                c,
                b'"' | b'<' | b'>' | b'`' | b'\'' | b'|' | b'^' | b'{' | b'}' | b'\\'
            )
        {
            break;
        }
        match c {
            b'(' => paren += 1,
            b')' => {
                if paren == 0 {
                    break;
                }
                paren -= 1
            }
            b'[' => square += 1,
            b']' => {
                if square == 0 {
                    break;
                }
                square -= 1
            }
            _ => {}
        }
        i += 1;
    }
    while i > 0
        && matches!(
            b[i - 1],
            b'.' | b',' | b';' | b':' | b'!' | b'?' | b'*' | b'(' | b'['
        )
    {
        i -= 1;
    }
    i
}

fn scan_urls(t: &str, out: &mut Vec<Cand>) {
    let b = t.as_bytes();
    let mut last_end = 0;
    for (p, _) in LIT_CSS.positions(t) {
        if p < last_end {
            continue;
        }
        let mut s = p;
        while s > 0
            && (b[s - 1].is_ascii_alphanumeric() || matches!(b[s - 1], b'+' | b'.' | b'-'))
            && p - s < 24
        {
            s -= 1;
        }
        while s < p && !b[s].is_ascii_alphabetic() {
            s += 1;
        }
        if p - s < 2 || (s > 0 && is_word(b[s - 1])) {
            continue;
        }
        let scheme = t[s..p].to_ascii_lowercase();
        let body = p + 3;
        // The authority is scanned with a bound, and the (unbounded) URL end only for valid
        // hosts, which then consume their range: no quadratic re-scans.
        let mut auth_end = body;
        while auth_end < b.len()
            && auth_end - body < 512
            && b[auth_end] > b' '
            && b[auth_end] < 0x7f
            && !matches!(
                b[auth_end],
                b'/' | b'?' | b'#' | b'"' | b'<' | b'>' | b'`' | b'\'' | b'\\' | b'{' | b'}' | b'|'
            )
        {
            auth_end += 1;
        }
        let hs = b[body..auth_end]
            .iter()
            .rposition(|&c| c == b'@')
            .map_or(body, |i| body + i + 1);
        let (hs, he) = if b.get(hs) == Some(&b'[') {
            match b[hs..auth_end].iter().position(|&c| c == b']') {
                Some(i) => (hs, hs + i + 1),
                None => continue,
            }
        } else {
            let mut he = hs;
            while he < auth_end && is_host_byte(b[he]) {
                he += 1;
            }
            while he > hs && b[he - 1] == b'.' {
                he -= 1;
            }
            (hs, he)
        };
        let host = t[hs..he].to_ascii_lowercase();
        let is_ip4 = host.parse::<Ipv4Addr>().ok();
        let is_ip6 = host.starts_with('[') && host[1..host.len() - 1].parse::<Ipv6Addr>().is_ok();
        let is_dom = domain_ok(&host);
        let valid = is_dom
            || is_ip4.is_some()
            || is_ip6
            || host == "localhost"
            || (host.contains('.')
                && host.bytes().any(|c| c.is_ascii_alphabetic())
                && !host.contains(".."))
            || (scheme == "file" && host.is_empty());
        if !valid {
            continue;
        }
        let e = url_end(b, body);
        if e < he || (e <= body && scheme != "file") {
            continue;
        }
        let value = format!("{scheme}://{}{host}{}", &t[body..hs], &t[he..e]);
        let mut cand = Cand::new(IocKind::Url, s, e, value);
        cand.host = Some(hs..he);
        if is_dom {
            cand.flags = domain_flags(&host);
            let mut d = Cand::new(IocKind::Domain, hs, he, host.clone());
            d.flags = cand.flags;
            d.flags.derived = Some(Derived::FromUrl);
            out.push(d);
        }
        if let Some(ip) = is_ip4 {
            cand.flags.private = ip_private4(ip);
        }
        out.push(cand);
        embedded_urls(t, he, e, out);
        last_end = e;
    }
}

// ---------------------------------------------------------------------------------------------
// URLs inside URLs: redirectors (`?url=http%3A%2F%2F...`), Outlook safelinks, urldefense v2/v3

fn hexval(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Percent-decode (`%XX`); invalid escapes are kept as written. `None` if the result is not UTF-8.
fn pct_decode(s: &str, esc: u8) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        tick!();
        if b[i] == esc
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hexval(b[i + 1]), hexval(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Case-insensitive `needle` at `i`.
fn at_ci(b: &[u8], i: usize, needle: &[u8]) -> bool {
    b.len() >= i + needle.len() && b[i..i + needle.len()].eq_ignore_ascii_case(needle)
}

/// Scheme letters (`http`, `https`, `ftp`, `hxxp`) ending at `end`, preceded by a non-letter.
fn scheme_before(b: &[u8], end: usize) -> Option<usize> {
    let mut s = end;
    while s > 0 && b[s - 1].is_ascii_alphabetic() && end - s < 6 {
        tick!();
        s -= 1;
    }
    if s == end || (s > 0 && b[s - 1].is_ascii_alphanumeric()) {
        return None;
    }
    matches!(
        b[s..end].to_ascii_lowercase().as_slice(),
        b"http" | b"https" | b"ftp" | b"hxxp" | b"hxxps"
    )
    .then_some(s)
}

/// Embedded URLs inside the outer URL's path/query `t[from..to]`: each one is decoded, validated
/// (host must be a valid domain or IP) and reported with its host, derived from the outer URL.
/// One forward pass over the span; every embedded URL consumes its range.
fn embedded_urls(t: &str, from: usize, to: usize, out: &mut Vec<Cand>) {
    let b = t.as_bytes();
    let mut i = from;
    while i < to {
        tick!();
        let c = b[i];
        // the kinds of separator after a scheme: `%3A%2F%2F` (also double-encoded `%253A%252F%252F`),
        // `://` (unencoded, urldefense v3 `__https://...__`), `-3A__` (urldefense v2)
        let (sep_len, style) = if c == b'%' && at_ci(b, i, b"%3a%2f%2f") {
            (9, 0)
        } else if c == b'%' && at_ci(b, i, b"%253a%252f%252f") {
            (15, 1)
        } else if c == b':' && at_ci(b, i, b"://") {
            (3, 2)
        } else if c == b'-' && at_ci(b, i, b"-3a__") {
            (5, 3)
        } else {
            i += 1;
            continue;
        };
        let Some(ss) = scheme_before(b, i) else {
            i += sep_len;
            continue;
        };
        let body = i + sep_len;
        // end: the next outer-query separator (`&`, or `__` for urldefense v3 / `&` for v2)
        let v3 = style == 2 && ss >= 2 && &b[ss - 2..ss] == b"__";
        let mut e = body;
        while e < to {
            tick!();
            if b[e] == b'&' || (v3 && b[e] == b'_' && b.get(e + 1) == Some(&b'_')) {
                break;
            }
            if style == 2 && !v3 && b[e] == b':' && at_ci(b, e, b"://") && e > body {
                break; // another unencoded URL: handled on the next turn
            }
            e += 1;
        }
        let raw = &t[ss..e];
        let decoded = match style {
            0 => pct_decode(raw, b'%'),
            1 => pct_decode(raw, b'%').and_then(|x| pct_decode(&x, b'%')),
            2 => Some(raw.to_string()),
            _ => pct_decode(&raw.replace('_', "/"), b'-'),
        };
        i = e.max(body);
        let Some(mut decoded) = decoded else { continue };
        if v3 && let Some(k) = decoded.find('*') {
            decoded.truncate(k); // urldefense v3 replaced a character by `*`: keep the sure prefix
        }
        let db = decoded.as_bytes();
        let Some(css) = decoded.find("://") else {
            continue;
        };
        let scheme = decoded[..css].to_ascii_lowercase();
        let scheme = match scheme.as_str() {
            "hxxp" => "http".to_string(),
            "hxxps" => "https".to_string(),
            _ => scheme,
        };
        let hb = css + 3;
        let mut he = hb;
        while he < db.len() && is_host_byte(db[he]) {
            he += 1;
        }
        while he > hb && db[he - 1] == b'.' {
            he -= 1;
        }
        let host = decoded[hb..he].to_ascii_lowercase();
        let ip4 = host.parse::<Ipv4Addr>().ok();
        let is_dom = domain_ok(&host);
        if !is_dom && ip4.is_none() {
            continue;
        }
        let mut ue = url_end(db, hb);
        if ue < he {
            ue = he;
        }
        let value = format!("{scheme}://{host}{}", &decoded[he..ue]);
        // the raw span: trimmed like a URL end (trailing punctuation of the outer text)
        let mut re = e;
        while re > ss && matches!(b[re - 1], b'.' | b',' | b';' | b':' | b'!' | b'?' | b'*') {
            re -= 1;
        }
        let mut u = Cand::new(IocKind::Url, ss, re, value);
        u.flags = if is_dom {
            domain_flags(&host)
        } else {
            IocFlags {
                private: ip4.is_some_and(ip_private4),
                ..IocFlags::default()
            }
        };
        u.flags.derived = Some(Derived::EmbeddedUrl);
        u.host = None;
        if is_dom {
            // the host as written inside the raw span when it is literal, else the whole span
            let lit = body + (he - hb);
            let (ds, de) = if lit <= re && t[body..lit].eq_ignore_ascii_case(&host) {
                (body, lit)
            } else {
                (ss, re)
            };
            let mut d = Cand::new(IocKind::Domain, ds, de, host);
            d.flags = u.flags;
            d.flags.derived = Some(Derived::FromUrl);
            out.push(d);
        } else if let Some(ip) = ip4 {
            let lit = body + (he - hb);
            if lit <= re && t[body..lit] == host {
                let mut c = Cand::new(IocKind::Ipv4, body, lit, ip.to_string());
                c.flags.private = ip_private4(ip);
                out.push(c);
            }
        }
        out.push(u);
    }
}

// ---------------------------------------------------------------------------------------------
// e-mail

fn scan_emails(t: &str, out: &mut Vec<Cand>) {
    let b = t.as_bytes();
    let mut last_end = 0;
    for (p, _) in LIT_AT.positions(t) {
        if p < last_end || p == 0 {
            continue;
        }
        let mut ls = p;
        while ls > 0 && is_local(b[ls - 1]) && p - ls < 64 {
            ls -= 1;
        }
        while ls < p && matches!(b[ls], b'.' | b'-' | b'+') {
            ls += 1;
        }
        if ls == p || b[p - 1] == b'.' {
            continue;
        }
        let mut de = p + 1;
        while de < b.len() && (is_label(b[de]) || b[de] == b'.') && de - p < 256 {
            de += 1;
        }
        while de > p + 1 && matches!(b[de - 1], b'.' | b'-') {
            de -= 1;
        }
        let dom = t[p + 1..de].to_ascii_lowercase();
        if !domain_ok(&dom) {
            continue;
        }
        let kind = if xmpp_label(b, ls) {
            IocKind::Xmpp
        } else {
            IocKind::Email
        };
        let mut c = Cand::new(kind, ls, de, t[ls..de].to_ascii_lowercase());
        c.flags = domain_flags(&dom);
        let mut d = Cand::new(IocKind::Domain, p + 1, de, dom);
        d.flags = c.flags;
        d.flags.derived = Some(Derived::FromEmail);
        out.push(c);
        out.push(d);
        last_end = de;
    }
}

/// An address is XMPP (Jabber) rather than e-mail when the nearest address label before it on the
/// same line (at most 80 bytes back, not across a sentence end) is `XMPP`/`Jabber`, or it is
/// written as an `xmpp:` URI; an e-mail label (`e-mail`, `email`, `mail`) in between wins.
fn xmpp_label(b: &[u8], s: usize) -> bool {
    let lo = s.saturating_sub(80);
    let mut j = s;
    while j > lo {
        tick!();
        let c = b[j - 1];
        if c == b'\n' || (c == b' ' && j >= 2 && b[j - 2] == b'.') {
            return false;
        }
        if !c.is_ascii_alphanumeric() {
            j -= 1;
            continue;
        }
        let we = j;
        while j > lo && b[j - 1].is_ascii_alphanumeric() {
            j -= 1;
        }
        match b[j..we].to_ascii_lowercase().as_slice() {
            b"xmpp" | b"jabber" => return true,
            // `e-mail` splits into `e` + `mail`
            b"email" | b"mail" | b"emails" | b"mailbox" => return false,
            _ => {}
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Windows paths and registry keys

fn hive_long(w: &str) -> Option<&'static str> {
    Some(match w.to_ascii_uppercase().as_str() {
        "HKLM" | "HKEY_LOCAL_MACHINE" => "HKEY_LOCAL_MACHINE",
        "HKCU" | "HKEY_CURRENT_USER" => "HKEY_CURRENT_USER",
        "HKCR" | "HKEY_CLASSES_ROOT" => "HKEY_CLASSES_ROOT",
        "HKU" | "HKEY_USERS" => "HKEY_USERS",
        "HKCC" | "HKEY_CURRENT_CONFIG" => "HKEY_CURRENT_CONFIG",
        "HKPD" | "HKEY_PERFORMANCE_DATA" => "HKEY_PERFORMANCE_DATA",
        "HKDD" | "HKEY_DYN_DATA" => "HKEY_DYN_DATA",
        _ => return None,
    })
}

#[inline]
fn win_char(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'_' | b'-'
                | b'.'
                | b'$'
                | b'~'
                | b'%'
                | b'!'
                | b'@'
                | b'#'
                | b'&'
                | b'+'
                | b'='
                | b'{'
                | b'}'
                | b'('
                | b')'
                | b'*'
        )
}

/// A placeholder inside a path or key at `i`: `<username>`, `<USER SID>`, `[REDACTED]`
/// (`{GUID}` and `%APPDATA%` are ordinary path bytes). Returns its end.
fn placeholder_end(b: &[u8], i: usize) -> Option<usize> {
    let close = match b.get(i) {
        Some(b'<') => b'>',
        Some(b'[') => b']',
        _ => return None,
    };
    let mut j = i + 1;
    while j < b.len() && j - i <= 40 {
        tick!();
        let c = b[j];
        if c == close {
            return (j > i + 1 && b[i + 1] != b' ').then_some(j + 1);
        }
        if !(c.is_ascii_alphanumeric() || matches!(c, b' ' | b'_' | b'-' | b'.' | b'@')) {
            return None;
        }
        j += 1;
    }
    None
}

/// Capitalised words that end a path or key in prose ("...\Run Registry key", "...\Temp The").
fn is_path_stop_word(w: &[u8]) -> bool {
    let w = String::from_utf8_lossy(w).to_ascii_lowercase();
    lists::is_stop_word(&w)
        || matches!(
            w.as_str(),
            "then"
                | "when"
                | "while"
                | "which"
                | "where"
                | "after"
                | "before"
                | "also"
                | "note"
                | "registry"
                | "key"
                | "keys"
                | "subkey"
                | "value"
                | "values"
                | "folder"
                | "directory"
                | "path"
                | "file"
                | "files"
                | "via"
                | "using"
                | "under"
                | "into"
                | "and"
                | "or"
        )
}

/// The word starting at `i` (path bytes, no separators): its end.
fn word_end(b: &[u8], i: usize) -> usize {
    let mut j = i;
    while j < b.len() && win_char(b[j]) && j - i < 64 {
        tick!();
        j += 1;
    }
    j
}

/// Does the word at `i` start a new indicator (a hive, a drive, `%VAR%`, `Computer\`)?
fn starts_new_root(b: &[u8], i: usize) -> bool {
    let we = word_end(b, i);
    let w = std::str::from_utf8(&b[i..we]).unwrap_or("");
    if b.get(i) == Some(&b'%') || b.get(i) == Some(&b'<') && hive_at_angle(b, i).is_some() {
        return true;
    }
    if hive_long(w.trim_end_matches(':')).is_some() || w.eq_ignore_ascii_case("computer") {
        return true;
    }
    // a drive letter `C:` or a UNC / rooted path
    (we == i + 1 && b.get(we) == Some(&b':')) || b.get(i) == Some(&b'\\')
}

/// Does the path segment that ends at `i` have a `.` (a file name, not a directory)?
fn seg_has_ext(b: &[u8], i: usize) -> bool {
    let mut k = i;
    while k > 0 && b[k - 1] != b'\\' && i - k < 256 {
        tick!();
        k -= 1;
        if b[k] == b'.' {
            return true;
        }
    }
    false
}

/// `<HKCU>` at `i`: the hive's long name and the end of `>`.
fn hive_at_angle(b: &[u8], i: usize) -> Option<(&'static str, usize)> {
    let mut j = i + 1;
    while j < b.len() && is_word(b[j]) && j - i < 24 {
        j += 1;
    }
    if b.get(j) != Some(&b'>') {
        return None;
    }
    hive_long(std::str::from_utf8(&b[i + 1..j]).ok()?).map(|h| (h, j + 1))
}

/// At a space inside a path or key (`b[i] == b' '`), decide from structure whether the value goes
/// on: never right after a separator or before a new root (hive, drive, `%VAR%`); inside quotes
/// always; otherwise when the next words (capitalised, digits, `(x86)`, placeholders) lead to
/// another `\` ("Program Files\", "Image File Execution Options\"), or, for the last segment,
/// when at most two capitalised non-prose words follow and then the path ends (punctuation, a
/// quote, the line end or a lower-case prose word): "...\Flash Player.", "...\Windows Defender".
fn space_continues(b: &[u8], i: usize, cont_to: &mut usize, quoted_to: usize) -> bool {
    if i < *cont_to {
        return true;
    }
    if i == 0 || b[i - 1] == b'\\' || i + 1 >= b.len() {
        return false;
    }
    let n = b[i + 1];
    if n == b' ' || n == b'\\' || n == b'\n' {
        return false;
    }
    if starts_new_root(b, i + 1) {
        return false;
    }
    if i < quoted_to
        && (n.is_ascii_alphanumeric() || matches!(n, b'(' | b'{' | b'<' | b'['))
        && !seg_has_ext(b, i)
    {
        return true; // inside quotes: "C:\Users\John Smith\My Files\a b.exe"
    }
    // a word may also be lower-case when it carries a digit (`Windows x64\`, `amd64`)
    let starts_ok_at = |j: usize| {
        let c = b[j];
        c.is_ascii_uppercase()
            || c.is_ascii_digit()
            || matches!(c, b'(' | b'{' | b'<' | b'[')
            || (c.is_ascii_lowercase() && {
                let mut k = j;
                while k < b.len() && b[k].is_ascii_alphanumeric() && k - j < 12 {
                    k += 1;
                }
                b[j..k].iter().any(u8::is_ascii_digit)
            })
    };
    // the segment before the space must be a directory-like word (no extension)
    let mut k = i;
    while k > 0 && b[k - 1] != b'\\' {
        tick!();
        if i - k > 255 {
            return false;
        }
        k -= 1;
        if b[k] == b'.' {
            return false;
        }
    }
    if !starts_ok_at(i + 1) {
        return false;
    }
    // (1) the following words lead to another backslash
    let mut j = i;
    let mut spaces = 0;
    while j < b.len() && j - i < 64 {
        tick!();
        let c = b[j];
        if c == b' ' {
            spaces += 1;
            if spaces > 3 {
                break;
            }
            if j + 1 >= b.len() || !starts_ok_at(j + 1) || starts_new_root(b, j + 1) {
                break;
            }
        } else if c == b'\\' {
            return true;
        } else if let Some(pe) = placeholder_end(b, j) {
            j = pe;
            continue;
        } else if !win_char(c) {
            break;
        }
        j += 1;
    }
    // (2) the last segment: one or two capitalised name words, then the clear end of the value
    match last_segment_end(b, i) {
        Some(end) => {
            *cont_to = end;
            true
        }
        None => false,
    }
}

/// A capitalised name word of a last segment at `j` (`Data`, `Manager.exe`, `(x86)`, `TCP/IP`):
/// its end, or `None`.
fn name_word(b: &[u8], j: usize) -> Option<usize> {
    let mut we = j;
    while we < b.len()
        && (b[we].is_ascii_alphanumeric()
            || matches!(b[we], b'(' | b')')
            || (b[we] == b'/' && b.get(we + 1).is_some_and(u8::is_ascii_alphanumeric)))
        && we - j < 64
    {
        tick!();
        we += 1;
    }
    let w = &b[j..we];
    let title = (w.len() >= 2
        && w[0].is_ascii_uppercase()
        && w[1..].iter().all(u8::is_ascii_lowercase))
        || (w.len() >= 3 && w[0] == b'(' && w[w.len() - 1] == b')')
        // an all-caps protocol pair such as `TCP/IP`
        || (w.contains(&b'/') && w.iter().all(|c| c.is_ascii_uppercase() || *c == b'/'));
    if !title || is_path_stop_word(w) {
        return None;
    }
    // `Manager.exe`: a file extension ends the word
    if b.get(we) == Some(&b'.') && b.get(we + 1).is_some_and(u8::is_ascii_alphanumeric) {
        let es = we + 1;
        let mut ee = es;
        while ee < b.len() && b[ee].is_ascii_alphanumeric() && ee - es < 8 {
            ee += 1;
        }
        let ext = std::str::from_utf8(&b[es..ee]).unwrap_or("");
        return lists::is_file_ext(ext).then_some(ee);
    }
    Some(we)
}

/// Lower-case words that may follow a multi-word last segment in prose ("…\Session Manager is").
fn is_follow_word(w: &[u8]) -> bool {
    matches!(
        w,
        b"is"
            | b"are"
            | b"was"
            | b"were"
            | b"and"
            | b"or"
            | b"for"
            | b"on"
            | b"in"
            | b"to"
            | b"with"
            | b"which"
            | b"that"
            | b"under"
            | b"from"
            | b"by"
            | b"as"
            | b"has"
            | b"have"
            | b"will"
            | b"would"
            | b"can"
            | b"could"
            | b"should"
            | b"must"
            | b"then"
            | b"where"
            | b"when"
            | b"exists"
            | b"does"
    )
}

/// Does the value clearly end at `e`? End of text or line, a closing quote/bracket, sentence
/// punctuation followed by a space (not `:`), a command-line option (` /v`, ` -V`), a capitalised
/// stop word (a new sentence whose full stop was lost), or a lower-case follow word.
fn value_ends_at(b: &[u8], e: usize) -> bool {
    let Some(&c) = b.get(e) else { return true };
    let after_ws = |k: usize| {
        b.get(k)
            .is_none_or(|&x| x.is_ascii_whitespace() || matches!(x, b'"' | b'\'' | b'`' | b')'))
    };
    match c {
        b'\n' | b'\r' | b'"' | b'\'' | b'`' | b')' | b']' | b'|' => true,
        b'.' | b',' | b';' | b'!' | b'?' => after_ws(e + 1),
        b' ' => {
            let n = e + 1;
            if matches!(b.get(n), Some(b'/' | b'-'))
                && b.get(n + 1).is_some_and(u8::is_ascii_alphabetic)
            {
                return true;
            }
            let mut we = n;
            while we < b.len() && b[we].is_ascii_alphabetic() && we - n < 16 {
                we += 1;
            }
            let w = &b[n..we];
            !w.is_empty()
                && (is_follow_word(w) || (w[0].is_ascii_uppercase() && is_path_stop_word(w)))
        }
        _ => false,
    }
}

/// At the space `i` in the last segment: continue through one to three capitalised name words when
/// the value then clearly ends. The segment before must be a name word too (letters only).
fn last_segment_end(b: &[u8], i: usize) -> Option<usize> {
    let mut k = i;
    while k > 0 && b[k - 1] != b'\\' && i - k < 64 {
        k -= 1;
    }
    let prev = &b[k..i];
    if prev.is_empty()
        || !prev[0].is_ascii_uppercase()
        || !prev.iter().all(|c| c.is_ascii_alphabetic() || *c == b'-')
    {
        return None;
    }
    // three words after a plain Title word (`Delete Cached Update Binary`), two after a CamelCase
    // one (`VirtualBox Guest Additions`)
    let simple = prev[1..]
        .iter()
        .all(|c| c.is_ascii_lowercase() || *c == b'-');
    let mut j = i + 1;
    for _ in 0..if simple { 3 } else { 2 } {
        let we = name_word(b, j)?;
        // a file name (`System Manager.exe`) ends the value whatever follows
        let file = b[j..we].contains(&b'.');
        if value_ends_at(b, we) || (file && b.get(we) == Some(&b' ')) {
            return Some(we);
        }
        if b.get(we) != Some(&b' ') {
            return None;
        }
        j = we + 1;
    }
    None
}

fn win_path_end(b: &[u8], p: usize, quoted_to: usize, reg: bool) -> usize {
    let mut i = p;
    let mut paren = 0i32;
    let mut cont_to = 0usize;
    while i < b.len() {
        tick!();
        let c = b[i];
        if c == b'\\' {
            i += 1;
            continue;
        }
        if c == b':' && b.get(i + 1) == Some(&b'\\') && i >= 1 && b[i - 1].is_ascii_alphabetic() {
            i += 1; // \\.\C:\
            continue;
        }
        if c == b'?' && i >= 2 && b[i - 1] == b'\\' && b[i - 2] == b'\\' {
            i += 1; // \\?\
            continue;
        }
        if let Some(pe) = placeholder_end(b, i) {
            i = pe;
            continue;
        }
        if c == b'(' {
            paren += 1;
        } else if c == b')' {
            if paren == 0 {
                break;
            }
            paren -= 1;
        }
        if win_char(c)
            || (reg
                && c == b'/'
                && b[i - 1].is_ascii_alphanumeric()
                && b.get(i + 1).is_some_and(u8::is_ascii_alphanumeric))
        {
            i += 1; // `Standard TCP/IP Port`: key names may hold `/`
            continue;
        }
        if c == b' ' && space_continues(b, i, &mut cont_to, quoted_to) {
            i += 1;
            continue;
        }
        break;
    }
    while i > p && matches!(b[i - 1], b'.' | b',' | b'\\' | b'(' | b'-') {
        i -= 1;
    }
    i
}

/// When the path starting at `s` is opened by a quote, the position of the closing quote on the
/// same line (at most 300 bytes on), else 0.
fn quote_close(b: &[u8], s: usize) -> usize {
    let Some(&q) = s.checked_sub(1).and_then(|k| b.get(k)) else {
        return 0;
    };
    if !matches!(q, b'"' | b'\'' | b'`') {
        return 0;
    }
    let mut j = s;
    while j < b.len() && j - s < 300 {
        tick!();
        match b[j] {
            c if c == q => return j,
            b'\n' | b'\r' => return 0,
            _ => j += 1,
        }
    }
    0
}

fn scan_backslash(t: &str, out: &mut Vec<Cand>) {
    let b = t.as_bytes();
    let mut consumed = 0;
    for (p, _) in LIT_BSLASH.positions(t) {
        if p < consumed {
            continue;
        }
        // registry key: a hive word right before (optionally `HKLM:\`, `<HKCU>\`, `Computer\`)
        let angle = p > 0 && b[p - 1] == b'>';
        let q = if p > 0 && matches!(b[p - 1], b':' | b'>') {
            p - 1
        } else {
            p
        };
        let mut ws = q;
        while ws > 0 && is_word(b[ws - 1]) && q - ws < 24 {
            tick!();
            ws -= 1;
        }
        if angle {
            ws = if ws > 0 && b[ws - 1] == b'<' {
                ws - 1
            } else {
                q
            };
        }
        let hive = if angle {
            hive_at_angle(b, ws).map(|(h, _)| h)
        } else {
            hive_long(&t[ws..q])
        };
        if ws < q
            && (ws == 0 || !is_word(b[ws - 1]))
            && let Some(long) = hive
        {
            let mut ks = ws;
            if ks >= 9
                && t.as_bytes()[ks - 9..ks].eq_ignore_ascii_case(b"computer\\")
                && (ks == 9 || !is_word(b[ks - 10]))
            {
                ks -= 9; // regedit's address bar: `Computer\HKEY_LOCAL_MACHINE\...`
            }
            let e = win_path_end(b, p, quote_close(b, ks), true);
            if e > p + 1 {
                let rest = &t[p..e];
                out.push(Cand::new(
                    IocKind::RegistryKey,
                    ks,
                    e,
                    format!("{long}{rest}"),
                ));
            }
            consumed = e.max(p + 1);
            continue;
        }
        let start = if p >= 2
            && b[p - 1] == b':'
            && b[p - 2].is_ascii_alphabetic()
            && (p == 2 || path_boundary(b[p - 3]))
        {
            Some(p - 2)
        } else if p >= 1 && b[p - 1] == b'%' {
            let mut j = p - 1;
            while j > 0 && (is_word(b[j - 1]) || matches!(b[j - 1], b'(' | b')')) && p - j < 40 {
                j -= 1;
            }
            if j > 0 && j < p - 1 && b[j - 1] == b'%' && (j == 1 || path_boundary(b[j - 2])) {
                Some(j - 1)
            } else {
                None
            }
        } else if p >= 2 && &b[p - 2..p] == b".." && (p == 2 || path_boundary(b[p - 3])) {
            Some(p - 2)
        } else if p >= 1 && b[p - 1] == b'.' && (p == 1 || path_boundary(b[p - 2])) {
            Some(p - 1)
        } else if p == 0 || path_boundary(b[p - 1]) {
            Some(p)
        } else {
            None
        };
        let Some(s) = start else { continue };
        let e = win_path_end(b, p, quote_close(b, s), false);
        consumed = e.max(p + 1);
        let body = &t[p..e];
        let segs = body.split('\\').filter(|x| !x.is_empty()).count();
        let unc = body.starts_with("\\\\");
        let need = if s == p { 2 } else { 1 };
        if segs < need || (unc && segs < 2) {
            continue;
        }
        if s == p && !unc && !body[1..].contains('\\') {
            continue;
        }
        out.push(Cand::new(IocKind::WindowsPath, s, e, t[s..e].to_string()));
    }
}

// ---------------------------------------------------------------------------------------------
// Unix paths

#[inline]
fn unix_char(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'_' | b'-' | b'.' | b'~' | b'+' | b'@' | b'%' | b'$' | b'*' | b'='
        )
}

const UNIX_ROOTS: &[&str] = &[
    "tmp",
    "etc",
    "bin",
    "sbin",
    "usr",
    "var",
    "dev",
    "home",
    "opt",
    "proc",
    "sys",
    "root",
    "lib",
    "lib64",
    "mnt",
    "srv",
    "run",
    "boot",
    "Library",
    "Users",
    "Applications",
    "System",
    "private",
    "Volumes",
];

fn scan_slash(t: &str, out: &mut Vec<Cand>) {
    let b = t.as_bytes();
    let mut consumed = 0;
    for (p, _) in LIT_SLASH.positions(t) {
        if p < consumed || b.get(p + 1) == Some(&b'/') || (p > 0 && b[p - 1] == b'/') {
            continue;
        }
        let s = if p >= 2 && &b[p - 2..p] == b".." {
            p - 2
        } else if p >= 1 && matches!(b[p - 1], b'.' | b'~') {
            p - 1
        } else {
            p
        };
        if s > 0 && !path_boundary(b[s - 1]) {
            continue;
        }
        if s == p
            && p >= 2
            && b[p - 1] == b':'
            && b[p - 2].is_ascii_alphabetic()
            && (p < 3 || !is_word(b[p - 3]))
        {
            continue; // C:/Windows
        }
        let mut e = p;
        while e < b.len() && (unix_char(b[e]) || (b[e] == b'/' && b.get(e + 1) != Some(&b'/'))) {
            e += 1;
        }
        while e > p && matches!(b[e - 1], b'.' | b'-' | b'=') {
            e -= 1;
        }
        consumed = e.max(p + 1);
        let body = &t[p..e];
        let mut segs = body.split('/').filter(|x| !x.is_empty());
        let first = segs.next();
        let n = first.map_or(0, |_| 1 + segs.count());
        let ok = if s == p {
            n >= 2 || (n == 1 && UNIX_ROOTS.contains(&first.unwrap_or("")))
        } else {
            n >= 1
        };
        // a path must contain letters (not `/2020/01/`)
        if !ok || !body.bytes().any(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        out.push(Cand::new(IocKind::UnixPath, s, e, t[s..e].to_string()));
    }
}

// ---------------------------------------------------------------------------------------------
// tokens: IPv4, CIDR, domains, file names, hashes, CVE, ATT&CK, ASN, BTC, MAC (dashed)

static TOK: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric() || c == b'.' || c == b'-' || c == b'_';
        i += 1;
    }
    t
};

fn scan_tokens(t: &str, n: &Normalized<'_>, out: &mut Vec<Cand>) {
    let b = t.as_bytes();
    let mut url_seen = 0usize;
    let len = b.len();
    let mut i = 0;
    while i < len {
        if !TOK[b[i] as usize] {
            i += 1;
            continue;
        }
        let s = i;
        let mut digit = false;
        let mut dot = false;
        while i < len && TOK[b[i] as usize] {
            let c = b[i];
            digit |= c.is_ascii_digit();
            dot |= c == b'.';
            i += 1;
        }
        let e = i;
        let l = e - s;
        if !digit && !dot {
            if (l == 2 || l == 3) && i < len && b[i] == b' ' {
                asn_spaced(t, s, e, out);
            }
            continue;
        }
        if l < 3 {
            continue;
        }
        classify(t, n, s, e, dot, &mut url_seen, out);
    }
}

fn classify(
    t: &str,
    n: &Normalized<'_>,
    mut s: usize,
    mut e: usize,
    dot: bool,
    url_seen: &mut usize,
    out: &mut Vec<Cand>,
) {
    let b = t.as_bytes();
    // `пример.com`: the ASCII token is only `.com`; the name before it is non-ASCII.
    let idn_before = b[s] == b'.' && t[..s].chars().next_back().is_some_and(is_latin_like);
    let written_from = s;
    while s < e && matches!(b[s], b'.' | b'-' | b'_') {
        s += 1;
    }
    while e > s && matches!(b[e - 1], b'.' | b'-' | b'_') {
        e -= 1;
    }
    if idn_before && e > s && !t[e..].chars().next().is_some_and(is_latin_like) {
        idn_domain(t, written_from, e, out);
        return;
    }
    if e - s < 3 {
        return;
    }
    let tok = &t[s..e];
    if tok.len() == 72 && tok.starts_with("T1") && tok[2..].bytes().all(|c| c.is_ascii_hexdigit()) {
        out.push(Cand::new(IocKind::Tlsh, s, e, tok.to_ascii_uppercase()));
        return;
    }
    if e - s >= 32 {
        hex_runs(t, s, e, out);
    }
    let dot = dot && tok.contains('.');
    if !dot {
        if let Some(c) = attack_id(tok) {
            out.push(Cand::new(IocKind::AttackId, s, e, c));
        } else if is_ja4(tok) {
            out.push(Cand::new(IocKind::Ja4, s, e, tok.to_ascii_lowercase()));
        } else if let Some(v) = analytics_id(tok) {
            out.push(Cand::new(IocKind::AnalyticsId, s, e, v));
        } else if (tok.len() == 95 || tok.len() == 106) && keccak::is_xmr_address(tok) {
            out.push(Cand::new(IocKind::XmrAddress, s, e, tok.to_string()));
        } else if let Some((v, private)) = asn_glued(tok) {
            let mut c = Cand::new(IocKind::Asn, s, e, v);
            c.flags.private = private;
            out.push(c);
        } else if tok.len() == 17 && is_mac(tok, b'-') {
            out.push(Cand::new(
                IocKind::Mac,
                s,
                e,
                tok.to_ascii_lowercase().replace('-', ":"),
            ));
        } else if (26..=35).contains(&tok.len()) && btc::is_base58_address(tok)
            || tok.len() >= 14
                && tok[..3].eq_ignore_ascii_case("bc1")
                && btc::is_bech32_address(tok)
        {
            out.push(Cand::new(IocKind::BtcAddress, s, e, tok.to_string()));
        }
        return;
    }
    if tok.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        ipv4(t, n, s, e, out);
        return;
    }
    if let Some(c) = attack_id(tok) {
        out.push(Cand::new(IocKind::AttackId, s, e, c));
        return;
    }
    if let Some(m) = cisco_mac(tok) {
        out.push(Cand::new(IocKind::Mac, s, e, m));
        return;
    }
    dotted(t, n, s, e, url_seen, out);
}

fn hex_runs(t: &str, s: usize, e: usize, out: &mut Vec<Cand>) {
    let b = t.as_bytes();
    let mut i = s;
    while i < e {
        if !b[i].is_ascii_hexdigit() {
            i += 1;
            continue;
        }
        let rs = i;
        let (mut dig, mut let_) = (false, false);
        while i < e && b[i].is_ascii_hexdigit() {
            if b[i].is_ascii_digit() {
                dig = true;
            } else {
                let_ = true;
            }
            i += 1;
        }
        let kind = match (i - rs, hash_label(t, rs)) {
            (32, Some(k @ (IocKind::Ja3 | IocKind::Ja3s | IocKind::Imphash))) => k,
            (32, _) => IocKind::Md5,
            (40, _) => IocKind::Sha1,
            (64, Some(IocKind::Authentihash)) => IocKind::Authentihash,
            (64, _) => IocKind::Sha256,
            (70, Some(IocKind::Tlsh)) => IocKind::Tlsh,
            (128, _) => IocKind::Sha512,
            _ => continue,
        };
        if dig && let_ {
            let v = if kind == IocKind::Tlsh {
                t[rs..i].to_ascii_uppercase()
            } else {
                t[rs..i].to_ascii_lowercase()
            };
            out.push(Cand::new(kind, rs, i, v));
        }
    }
}

/// The hash-type label that governs a hex run at `s`: the nearest label word before it, looking
/// back at most 160 bytes, not past a sentence end (`. `) or a blank line. Labels for other hash
/// types (`MD5`, `SHA256`, ...) stop the search, so `JA3 ... MD5: <hash>` stays an MD5.
fn hash_label(t: &str, s: usize) -> Option<IocKind> {
    let b = t.as_bytes();
    let lo = s.saturating_sub(160);
    let mut j = s;
    while j > lo {
        tick!();
        let c = b[j - 1];
        if c == b'\n' && !label_line_continues(b, j - 1, lo) {
            return None;
        }
        if c == b' ' && j >= 2 && b[j - 2] == b'.' && !(j >= 3 && b[j - 3].is_ascii_digit()) {
            return None;
        }
        if !c.is_ascii_alphanumeric() {
            j -= 1;
            continue;
        }
        let we = j;
        while j > lo && b[j - 1].is_ascii_alphanumeric() {
            tick!();
            j -= 1;
        }
        let w = &t[j..we];
        if w.len() > 14 {
            continue; // another hash or a long token
        }
        match w.to_ascii_lowercase().as_str() {
            "ja3" => return Some(IocKind::Ja3),
            "ja3s" => return Some(IocKind::Ja3s),
            "imphash" | "imphashes" | "imphashs" => return Some(IocKind::Imphash),
            "import" if at_ci(b, we, b" hash") || at_ci(b, we, b"hash") => {
                return Some(IocKind::Imphash);
            }
            "authentihash" | "authentihashes" => return Some(IocKind::Authentihash),
            "tlsh" => return Some(IocKind::Tlsh),
            "md5" | "sha1" | "sha" | "sha256" | "sha512" | "ssdeep" | "md5s" | "sha256s"
            | "sha1s" => return None,
            _ => {}
        }
    }
    None
}

/// Looking back for a hash label across the line break at `nl`: go on into the previous line only
/// if it ends with `:` (a heading such as `JA3 hashes:`) or holds nothing but one hash (a list
/// item: `- <hash>`). A table row (`| <hash> | JA3 |`) or prose line stops the search, so a label
/// never leaks from one row to the next.
fn label_line_continues(b: &[u8], nl: usize, lo: usize) -> bool {
    let mut e = nl;
    while e > lo && matches!(b[e - 1], b' ' | b'\t' | b'\r') {
        e -= 1;
    }
    if e == lo || b[e - 1] == b'\n' {
        return false; // blank line
    }
    if b[e - 1] == b':' {
        return true;
    }
    let mut s = e;
    while s > lo && b[s - 1] != b'\n' {
        tick!();
        s -= 1;
    }
    let line = &b[s..e];
    let body: Vec<u8> = line
        .iter()
        .copied()
        .filter(|c| !matches!(c, b' ' | b'\t' | b'-' | b'*' | b'|' | b',' | b'`'))
        .collect();
    body.len() >= 32 && body.iter().all(u8::is_ascii_hexdigit)
}

/// Google Analytics (`UA-12345678-1`, GA4 `G-ABC123DEF4`), Tag Manager (`GTM-AB12CD3`) and
/// AdSense publisher IDs (`pub-1234567890123456`, `ca-pub-…`): exact shapes, so self-identifying.
fn analytics_id(tok: &str) -> Option<String> {
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit());
    let upper_alnum = |x: &str| {
        x.bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && x.bytes().any(|c| c.is_ascii_digit())
            && x.bytes().any(|c| c.is_ascii_uppercase())
    };
    if let Some(rest) = tok.strip_prefix("UA-") {
        let (a, n) = rest.split_once('-')?;
        return (digits(a) && (4..=10).contains(&a.len()) && digits(n) && n.len() <= 4)
            .then(|| tok.to_string());
    }
    if let Some(rest) = tok.strip_prefix("G-") {
        return (rest.len() == 10 && upper_alnum(rest)).then(|| tok.to_string());
    }
    if let Some(rest) = tok.strip_prefix("GTM-") {
        return ((6..=8).contains(&rest.len()) && upper_alnum(rest)).then(|| tok.to_string());
    }
    let p = tok.strip_prefix("ca-").unwrap_or(tok);
    let rest = p.strip_prefix("pub-")?;
    (rest.len() == 16 && digits(rest)).then(|| tok.to_string())
}

/// JA4 (`t13d1516h2_8daaf6152771_b186095e22b6`) and JA4S (`t130200_1301_234ea6891581`).
fn is_ja4(tok: &str) -> bool {
    let b = tok.as_bytes();
    let hex12 =
        |x: &[u8]| x.len() == 12 && x.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
    let d = |c: u8| c.is_ascii_digit();
    let an = |c: u8| c.is_ascii_digit() || c.is_ascii_lowercase();
    if b.len() == 36 {
        matches!(b[0], b't' | b'q' | b'd')
            && d(b[1])
            && d(b[2])
            && matches!(b[3], b'd' | b'i')
            && b[4..8].iter().all(|&c| d(c))
            && an(b[8])
            && an(b[9])
            && b[10] == b'_'
            && hex12(&b[11..23])
            && b[23] == b'_'
            && hex12(&b[24..36])
    } else if b.len() == 25 {
        matches!(b[0], b't' | b'q' | b'd')
            && b[1..5].iter().all(|&c| d(c))
            && an(b[5])
            && an(b[6])
            && b[7] == b'_'
            && b[8..12].iter().all(u8::is_ascii_hexdigit)
            && b[12] == b'_'
            && hex12(&b[13..25])
    } else {
        false
    }
}

/// Cisco notation `ACF2.C9A6.B34F` → `ac:f2:c9:a6:b3:4f` (needs a hex letter: `1234.5678.9012`
/// is more often a number).
fn cisco_mac(tok: &str) -> Option<String> {
    let b = tok.as_bytes();
    if b.len() != 14 || b[4] != b'.' || b[9] != b'.' {
        return None;
    }
    let hex: Vec<u8> = [&b[0..4], &b[5..9], &b[10..14]].concat();
    if !hex.iter().all(u8::is_ascii_hexdigit) || !hex.iter().any(u8::is_ascii_alphabetic) {
        return None;
    }
    let hex = String::from_utf8(hex).ok()?.to_ascii_lowercase();
    Some(
        (0..6)
            .map(|k| &hex[k * 2..k * 2 + 2])
            .collect::<Vec<_>>()
            .join(":"),
    )
}

fn attack_id(tok: &str) -> Option<String> {
    let b = tok.as_bytes();
    let (pre, rest) = if b.len() >= 2 && (b[..2] == *b"TA" || b[..2] == *b"DS") {
        (2, &b[2..])
    } else if !b.is_empty() && matches!(b[0], b'T' | b'G' | b'S' | b'M' | b'C') {
        (1, &b[1..])
    } else {
        return None;
    };
    let digits4 = |x: &[u8]| x.len() == 4 && x.iter().all(u8::is_ascii_digit);
    let ok = match rest.len() {
        4 => digits4(rest),
        8 => {
            b[0] == b'T'
                && pre == 1
                && digits4(&rest[..4])
                && rest[4] == b'.'
                && rest[5..].iter().all(u8::is_ascii_digit)
        }
        _ => false,
    };
    ok.then(|| tok.to_string())
}

fn asn_value(digits: &str) -> Option<(String, bool)> {
    if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let v: u64 = digits.parse().ok()?;
    if v == 0 || v >= 4_294_967_295 {
        return None;
    }
    let private =
        v == 23456 || (64496..=65535).contains(&v) || (4_200_000_000..=4_294_967_294).contains(&v);
    Some((format!("AS{v}"), private))
}

fn asn_glued(tok: &str) -> Option<(String, bool)> {
    let digits = tok
        .strip_prefix("ASN")
        .or_else(|| tok.strip_prefix("asn"))
        .or_else(|| tok.strip_prefix("AS"))
        .or_else(|| tok.strip_prefix("as"))?;
    asn_value(digits)
}

fn asn_spaced(t: &str, s: usize, e: usize, out: &mut Vec<Cand>) {
    let w = &t[s..e];
    if !matches!(w, "AS" | "ASN" | "asn" | "Asn") {
        return;
    }
    let b = t.as_bytes();
    if s > 0 && is_word(b[s - 1]) {
        return;
    }
    let ds = e + 1;
    let mut de = ds;
    while de < b.len() && b[de].is_ascii_digit() && de - ds <= 10 {
        de += 1;
    }
    if de - ds < 2
        || (de < b.len() && b[de] == b'/')
        || (de < b.len()
            && (is_word(b[de]) || (b[de] == b'.' && b.get(de + 1).is_some_and(u8::is_ascii_digit))))
    {
        return;
    }
    if let Some((v, private)) = asn_value(&t[ds..de]) {
        let mut c = Cand::new(IocKind::Asn, s, de, v);
        c.flags.private = private;
        out.push(c);
    }
}

fn is_mac(tok: &str, sep: u8) -> bool {
    let b = tok.as_bytes();
    b.len() == 17
        && (0..6).all(|g| b[g * 3].is_ascii_hexdigit() && b[g * 3 + 1].is_ascii_hexdigit())
        && (0..5).all(|g| b[g * 3 + 2] == sep)
}

fn ip_private4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || o[0] == 0
        || o[0] >= 240
        || (o[0] == 100 && (64..128).contains(&o[1]))
        || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
}

fn ip_private6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return ip_private4(v4);
    }
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] == 0x2001 && s[1] == 0x0db8)
}

/// The word before `s`, skipping up to two spaces and a `:`/`#`.
fn prev_word(t: &str, s: usize) -> &str {
    let b = t.as_bytes();
    let mut e = s;
    let mut skipped = 0;
    while e > 0 && matches!(b[e - 1], b' ' | b':' | b'#' | b'\t') && skipped < 3 {
        e -= 1;
        skipped += 1;
    }
    let mut ws = e;
    while ws > 0 && (b[ws - 1].is_ascii_alphanumeric() || b[ws - 1] == b'.') && e - ws < 16 {
        ws -= 1;
    }
    &t[ws..e]
}

fn ipv4(t: &str, _n: &Normalized<'_>, s: usize, e: usize, out: &mut Vec<Cand>) {
    let b = t.as_bytes();
    let tok = &t[s..e];
    let mut oct = [0u8; 4];
    let mut k = 0;
    for part in tok.split('.') {
        if k == 4 || part.is_empty() || part.len() > 3 {
            return;
        }
        // `1.250.000.00 EUR` is an amount: an address never writes an octet with a leading zero
        // (stripping them would turn the amount into `1.250.0.0`)
        if part.len() > 1 && part.starts_with('0') {
            return;
        }
        let v: u16 = match part.parse() {
            Ok(v) => v,
            Err(_) => return,
        };
        if v > 255 {
            return;
        }
        oct[k] = v as u8;
        k += 1;
    }
    if k != 4 {
        return;
    }
    // `Product/1.2.3.4` and `version 1.2.3.4` are versions
    let versionish = s >= 2 && b[s - 1] == b'/' && b[s - 2].is_ascii_alphanumeric();
    let pw = prev_word(t, s);
    // `ARP table: 192.168.1.1`, `Step: 10.0.0.1`: after a colon, a document-structure word
    // introduces a value, not a section number (`File version: 1.2.3.4` stays a version)
    let colon_after_structure_word = {
        let gap = &b[s.saturating_sub(4)..s];
        gap.contains(&b':')
            && matches!(
                pw.to_ascii_lowercase().as_str(),
                "table"
                    | "figure"
                    | "fig"
                    | "section"
                    | "chapter"
                    | "step"
                    | "appendix"
                    | "item"
                    | "rule"
                    | "paragraph"
                    | "clause"
            )
    };
    if !colon_after_structure_word && lists::is_version_word(pw.trim_end_matches('.'))
        || lists::is_product_word(pw.trim_end_matches('.'))
        || (pw.len() > 1
            && (pw.starts_with('v') || pw.starts_with('V'))
            && pw[1..].bytes().all(|c| c.is_ascii_digit() || c == b'.'))
    {
        return;
    }
    let ip = Ipv4Addr::from(oct);
    let value = ip.to_string();
    // CIDR
    if b.get(e) == Some(&b'/') {
        let ds = e + 1;
        let mut de = ds;
        while de < b.len() && b[de].is_ascii_digit() && de - ds < 3 {
            de += 1;
        }
        let ends = de == b.len()
            || !(b[de].is_ascii_alphanumeric()
                || b[de] == b'.' && b.get(de + 1).is_some_and(u8::is_ascii_digit)
                || b[de] == b'/');
        if de > ds && de - ds <= 2 && ends {
            let bits: u8 = t[ds..de].parse().unwrap_or(99);
            if bits <= 32 {
                let mut c = Cand::new(IocKind::Ipv4Cidr, s, de, format!("{value}/{bits}"));
                c.flags.private = ip_private4(ip);
                c.versionish = versionish;
                out.push(c);
                return;
            }
        }
    }
    let mut c = Cand::new(IocKind::Ipv4, s, e, value);
    c.flags.private = ip_private4(ip);
    c.versionish = versionish;
    out.push(c);
}

fn dotted(
    t: &str,
    n: &Normalized<'_>,
    s: usize,
    e: usize,
    url_seen: &mut usize,
    out: &mut Vec<Cand>,
) {
    let b = t.as_bytes();
    let tok = &t[s..e];
    if s > 0 && b[s - 1] == b'@' {
        return; // e-mail domain
    }
    // A name that goes on in letters that look Latin (`раураl.com` in Cyrillic, a homoglyph or
    // IDN name) is not cut into the ASCII tail it ends with (`l.com`, someone else's domain): it
    // is read whole, once, from the token that ends it. CJK, Thai, ... are not lookalikes and are
    // written without spaces (`访问evil.com下载`).
    let glued_left = t[..s].chars().next_back().is_some_and(is_latin_like);
    if t[e..].chars().next().is_some_and(is_latin_like) {
        return; // a later token ends the name
    }
    if glued_left {
        idn_domain(t, s, e, out);
        return;
    }
    // `Trojan.Win32.Agent.abc`: an antivirus detection name, not a domain
    if lists::is_detection_name(tok) {
        return;
    }
    let Some((stem, last)) = tok.rsplit_once('.') else {
        return;
    };
    if stem.is_empty() || last.is_empty() {
        return;
    }
    let defanged = n.edited(&(s..e));
    let is_tld = lists::is_tld(last);
    let is_ext = lists::is_file_ext(last);
    if is_ext && (!is_tld || !defanged) {
        if lists::is_not_file(tok) || !stem.bytes().any(|c| c.is_ascii_alphanumeric()) {
            return;
        }
        if !defanged && lists::is_glue_word(stem) {
            return; // "as well as.txt", "use of.hta"
        }
        if last.bytes().any(|c| c.is_ascii_uppercase())
            && last.bytes().any(|c| c.is_ascii_lowercase())
        {
            return; // `Foo.Exe`? more likely code (`Chart.Js`)
        }
        out.push(Cand::new(IocKind::FileName, s, e, tok.to_string()));
        return;
    }
    if !is_tld || !domain_ok(tok) {
        return;
    }
    let labels: Vec<&str> = tok.split('.').collect();
    let nl = labels.len();
    if !defanged {
        if lists::is_glue_word(labels[0]) && nl == 2 {
            return; // "and.pub"
        }
        if matches!(labels[0], "com" | "org" | "net") {
            return; // reverse-DNS identifiers: com.apple.dock
        }
        if nl == 2 && lists::is_code_object(labels[0]) {
            return; // wscript.shell, re.search
        }
        if s > 0 && b[s - 1] == b'\\' {
            return; // a path component: AppData\Fasta.ski
        }
        if e < b.len() && b[e] == b'(' {
            return; // a method call: r.group(0)
        }
        let has_upper = tok.bytes().any(|c| c.is_ascii_uppercase());
        let has_lower = tok.bytes().any(|c| c.is_ascii_lowercase());
        if has_upper && has_lower && last.bytes().any(|c| c.is_ascii_uppercase()) {
            return; // ADODB.Stream, actors.Cisco, System.Net: a capitalised TLD in mixed case
        }
        if has_upper && !has_lower && nl < 3 {
            return; // ASP.NET, VB.NET
        }
        if lists::is_weak_tld(last) {
            let ok = (nl >= 3
                && (lists::is_common_sld(labels[nl - 2]) || labels[0].eq_ignore_ascii_case("www")))
                || (nl == 2
                    && labels[0].len() <= 2
                    && labels[0].bytes().all(|c| c.is_ascii_lowercase()));
            if !ok {
                return;
            }
        }
        // a label that is only digits followed by a word is more often a list or version ("1.Introduction")
        if nl == 2 && labels[0].bytes().all(|c| c.is_ascii_digit()) {
            return;
        }
    }
    let host = tok.to_ascii_lowercase();
    let flags = domain_flags(&host);
    // scheme-less URL: defanged (or www.) host followed by a path
    let after_scheme = s >= 3 && &b[s - 3..s] == b"://";
    if !after_scheme
        && e < b.len()
        && b[e] == b'/'
        && (s == 0 || !matches!(b[s - 1], b'/' | b'.' | b'@'))
        && s >= *url_seen
    {
        let ue = url_end(b, e);
        *url_seen = ue; // never re-scan the same run (linear time)
        if ue > e + 1 && (n.edited(&(s..ue)) || host.starts_with("www.")) {
            let mut u = Cand::new(IocKind::Url, s, ue, format!("http://{host}{}", &t[e..ue]));
            u.host = Some(s..e);
            u.flags = flags;
            out.push(u);
            let mut d = Cand::new(IocKind::Domain, s, e, host.clone());
            d.flags = flags;
            d.flags.derived = Some(Derived::FromUrl);
            out.push(d);
            embedded_urls(t, e, ue, out);
        }
    }
    let mut c = Cand::new(IocKind::Domain, s, e, host);
    c.flags = flags;
    out.push(c);
}

/// Letters of scripts that look Latin or extend it: Latin-1 and Latin Extended, Greek, Cyrillic,
/// Armenian, Latin Extended Additional.
fn is_latin_like(c: char) -> bool {
    c.is_alphabetic()
        && matches!(u32::from(c), 0xC0..=0x24F | 0x370..=0x3FF | 0x400..=0x52F | 0x530..=0x58F | 0x1E00..=0x1EFF)
}

/// Letters of other scripts that are drawn like Latin ones (the usual homoglyph alphabet).
fn is_confusable(c: char) -> bool {
    "аеорсухіјѕԁһԛԝӏпвкмтгАВЕКМНОРСТХІЈЅαοινρτυχκεΑΒΕΖΗΙΚΜΝΟΡΤΥΧահոսց".contains(c)
}

/// The whole internationalised name that ends with the ASCII token `t[s..e]`, which follows a
/// Latin-like letter: a Domain whose value is the punycode form, flagged `lookalike` when a
/// label mixes ASCII letters with confusable ones or is made of confusables only.
fn idn_domain(t: &str, s: usize, e: usize, out: &mut Vec<Cand>) {
    let mut start = s;
    for (i, c) in t[..s].char_indices().rev() {
        tick!();
        if is_latin_like(c) || c.is_ascii_alphanumeric() || c == '-' || c == '.' {
            start = i;
        } else {
            break;
        }
        if s - i > 253 {
            return;
        }
    }
    let name = t[start..e].trim_start_matches(['.', '-']);
    let start = e - name.len();
    let lower = name.to_lowercase();
    let labels: Vec<&str> = lower.split('.').collect();
    let Some(&tld) = labels.last() else { return };
    if labels.len() < 2 || !lists::is_tld(tld) {
        return;
    }
    let mut ace = Vec::with_capacity(labels.len());
    let mut lookalike = false;
    for label in &labels {
        if label.is_empty() || label.starts_with('-') || label.ends_with('-') {
            return;
        }
        if label.is_ascii() {
            ace.push((*label).to_owned());
            continue;
        }
        let confusables = label.chars().filter(|&c| is_confusable(c)).count();
        let others = label
            .chars()
            .filter(|&c| !c.is_ascii() && !is_confusable(c))
            .count();
        let latin = label.chars().any(|c| c.is_ascii_alphabetic());
        lookalike |= confusables > 0 && others == 0 && (latin || confusables >= 2);
        let Some(encoded) = punycode(label) else {
            return;
        };
        ace.push(format!("xn--{encoded}"));
    }
    let value = ace.join(".");
    if value.len() > 253 || ace.iter().any(|l| l.len() > 63) {
        return;
    }
    let mut c = Cand::new(IocKind::Domain, start, e, value);
    c.flags.lookalike = lookalike;
    out.push(c);
}

/// RFC 3492 punycode of one label (without the `xn--` prefix); `None` on overflow.
fn punycode(label: &str) -> Option<String> {
    const BASE: u32 = 36;
    const TMIN: u32 = 1;
    const TMAX: u32 = 26;
    fn adapt(mut delta: u32, points: u32, first: bool) -> u32 {
        delta /= if first { 700 } else { 2 };
        delta += delta / points;
        let mut k = 0;
        while delta > ((BASE - TMIN) * TMAX) / 2 {
            delta /= BASE - TMIN;
            k += BASE;
        }
        k + (BASE - TMIN + 1) * delta / (delta + 38)
    }
    fn digit(d: u32) -> char {
        char::from(if d < 26 {
            b'a' + d as u8
        } else {
            b'0' + (d - 26) as u8
        })
    }
    let input: Vec<u32> = label.chars().map(u32::from).collect();
    let mut out: String = label.chars().filter(char::is_ascii).collect();
    let basic = out.len() as u32;
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias, mut handled) = (128u32, 0u32, 72u32, basic);
    while (handled as usize) < input.len() {
        let m = input.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &input {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        TMIN
                    } else if k >= bias + TMAX {
                        TMAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta += 1;
        n += 1;
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// colon-separated: IPv6, MAC, ssdeep

fn scan_colons(t: &str, out: &mut Vec<Cand>) {
    let b = t.as_bytes();
    let mut consumed = 0;
    for (p, _) in LIT_COLON.positions(t) {
        if p < consumed {
            continue;
        }
        let mut s = p;
        while s > 0 && (b[s - 1].is_ascii_hexdigit() || b[s - 1] == b':') && p - s < 48 {
            s -= 1;
        }
        let before_ok = s == 0 || !(is_word(b[s - 1]) || b[s - 1] == b'.' || b[s - 1] == b':');
        if before_ok {
            let mut e = p;
            while e < b.len()
                && (b[e].is_ascii_hexdigit() || b[e] == b':' || b[e] == b'.')
                && e - s < 64
            {
                e += 1;
            }
            while e > p && b[e - 1] == b'.' {
                e -= 1;
            }
            if e >= s + 2 && b[e - 1] == b':' && b[e - 2] != b':' {
                e -= 1;
            }
            let after_ok = e == b.len()
                || !(is_word(b[e])
                    || b[e] == b'.' && b.get(e + 1).is_some_and(u8::is_ascii_alphanumeric));
            if after_ok && e > s {
                let c = &t[s..e];
                if c.len() == 17 && is_mac(c, b':') {
                    out.push(Cand::new(IocKind::Mac, s, e, c.to_ascii_lowercase()));
                    consumed = e;
                    continue;
                }
                if let Ok(ip) = c.parse::<Ipv6Addr>() {
                    let groups = c.split(':').filter(|g| !g.is_empty()).count();
                    if groups >= 2 && c.len() >= 6 {
                        let mut cand = Cand::new(IocKind::Ipv6, s, e, c.to_ascii_lowercase());
                        cand.flags.private = ip_private6(ip);
                        out.push(cand);
                        consumed = e;
                        continue;
                    }
                }
            }
        }
        if let Some(e) = ssdeep(t, p, out) {
            consumed = e;
        }
    }
}

fn ssdeep(t: &str, p: usize, out: &mut Vec<Cand>) -> Option<usize> {
    let b = t.as_bytes();
    let mut s = p;
    while s > 0 && b[s - 1].is_ascii_digit() && p - s < 11 {
        s -= 1;
    }
    if s == p || (s > 0 && (is_word(b[s - 1]) || matches!(b[s - 1], b'/' | b'+' | b':'))) {
        return None;
    }
    let bs: u64 = t[s..p].parse().ok()?;
    if bs < 3 || !bs.is_multiple_of(3) || !(bs / 3).is_power_of_two() {
        return None;
    }
    let b64 = |c: u8| c.is_ascii_alphanumeric() || c == b'/' || c == b'+';
    let mut i = p + 1;
    while i < b.len() && b64(b[i]) && i - p <= 128 {
        i += 1;
    }
    let l1 = i - p - 1;
    if !(3..=128).contains(&l1) || b.get(i) != Some(&b':') {
        return None;
    }
    let s2 = i + 1;
    let mut e = s2;
    while e < b.len() && b64(b[e]) && e - s2 <= 128 {
        e += 1;
    }
    if !(3..=128).contains(&(e - s2)) || (e < b.len() && (is_word(b[e]) || b[e] == b':')) {
        return None;
    }
    out.push(Cand::new(IocKind::Ssdeep, s, e, t[s..e].to_string()));
    Some(e)
}

// ---------------------------------------------------------------------------------------------
// CVE: `CVE-2021-44228`, `cve-2014-1000`, `CVE 2014-1001`, `CVE_2014_1001`, non-ASCII hyphens

/// Length of a dash at `i`: ASCII `-`, or U+2010..U+2015, U+2212 (minus), U+FE63, U+FF0D.
fn dash_len(b: &[u8], i: usize) -> usize {
    match b.get(i..i + 3) {
        Some([0xE2, 0x80, 0x90..=0x95]) | Some([0xE2, 0x88, 0x92]) => 3,
        Some([0xEF, 0xB9, 0xA3]) | Some([0xEF, 0xBC, 0x8D]) => 3,
        _ => usize::from(b.get(i) == Some(&b'-')),
    }
}

fn scan_cve(t: &str, out: &mut Vec<Cand>) {
    let b = t.as_bytes();
    for (p, _) in LIT_CVE.positions(t) {
        tick!();
        if p > 0 && is_word(b[p - 1]) {
            continue;
        }
        let mut i = p + 3;
        // separator: a dash, `_`, `:` or one space (`CVE 2014-1001`, `CVE: 2014-1001` is prose)
        let d = dash_len(b, i);
        if d > 0 {
            i += d;
        } else if matches!(b.get(i), Some(b' ' | b'_')) {
            i += 1;
        } else {
            continue;
        }
        let ys = i;
        while i < b.len() && b[i].is_ascii_digit() && i - ys < 5 {
            i += 1;
        }
        if i - ys != 4 {
            continue;
        }
        let year = &t[ys..i];
        let d = dash_len(b, i);
        if d > 0 {
            i += d;
        } else if b.get(i) == Some(&b'_') {
            i += 1;
        } else {
            continue;
        }
        let ss = i;
        while i < b.len() && b[i].is_ascii_digit() && i - ss < 8 {
            i += 1;
        }
        let seq = &t[ss..i];
        if !(4..=7).contains(&seq.len()) || (seq.len() > 4 && seq.starts_with('0')) {
            continue;
        }
        if i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            continue;
        }
        let y: u32 = year.parse().unwrap_or(0);
        if !(1999..=2099).contains(&y) {
            continue;
        }
        out.push(Cand::new(IocKind::Cve, p, i, format!("CVE-{year}-{seq}")));
    }
}

// ---------------------------------------------------------------------------------------------
// User agents: `Mozilla/5.0 (...) Product/1.2 ...`, or any product list after a `User-Agent` label

/// A `Name/version` product token at `i`; returns its end.
fn ua_product(b: &[u8], i: usize) -> Option<usize> {
    let s = i;
    let mut j = i;
    if !b.get(j).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    while j < b.len() && (b[j].is_ascii_alphanumeric() || matches!(b[j], b'-' | b'_' | b'.')) {
        tick!();
        if j - s > 64 {
            return None;
        }
        j += 1;
    }
    if b.get(j) != Some(&b'/') {
        return None;
    }
    j += 1;
    let vs = j;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || matches!(b[j], b'.' | b'-' | b'_' | b'+'))
    {
        tick!();
        if j - vs > 64 {
            return None;
        }
        j += 1;
    }
    while j > vs && matches!(b[j - 1], b'.' | b'-') {
        j -= 1;
    }
    (j > vs && b[vs].is_ascii_alphanumeric()).then_some(j)
}

/// A `( ... )` comment at `i` (no nesting, on one line, at most 256 bytes); returns its end.
fn ua_comment(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'(') {
        return None;
    }
    let mut j = i + 1;
    while j < b.len() && j - i < 256 {
        tick!();
        match b[j] {
            b')' => return Some(j + 1),
            b'(' | b'\n' | b'\r' | b'"' | b'`' => return None,
            _ => j += 1,
        }
    }
    None
}

/// Products and comments separated by single spaces from `i`; returns (end, parts).
fn ua_sequence(b: &[u8], i: usize) -> (usize, usize) {
    let mut e = i;
    let mut parts = 0;
    let mut j = i;
    loop {
        tick!();
        let next = ua_product(b, j).or_else(|| ua_comment(b, j)).or_else(|| {
            // IE 11 and WebKit write `like Gecko` outside the comment
            (parts > 0 && at_ci(b, j, b"like Gecko")).then_some(j + 10)
        });
        let Some(ne) = next else { break };
        if parts == 0 && !b[ne - 1].is_ascii_digit() && !b[j..ne].contains(&b'(') {
            // the first product needs a numeric version (`curl/7.88.1`, not `HTTP/S`)
            let slash = b[j..ne]
                .iter()
                .position(|&c| c == b'/')
                .map_or(ne, |k| j + k);
            if !b.get(slash + 1).is_some_and(u8::is_ascii_digit) {
                break;
            }
        }
        parts += 1;
        e = ne;
        if parts > 32 || b.get(ne) != Some(&b' ') {
            break;
        }
        j = ne + 1;
    }
    (e, parts)
}

fn scan_user_agents(t: &str, out: &mut Vec<Cand>) {
    let b = t.as_bytes();
    let mut consumed = 0;
    for (p, _) in LIT_UA.positions(t) {
        tick!();
        if p < consumed || (p > 0 && is_word(b[p - 1])) {
            continue;
        }
        let start = if b[p].eq_ignore_ascii_case(&b'm') {
            p
        } else {
            // a label: `User-Agent:`, `user agent "..."`, `User-Agent string`; skip to the value
            let mut j = p + if at_ci(b, p, b"useragent") { 9 } else { 10 };
            if at_ci(b, j, b" string") {
                j += 7;
            } else if at_ci(b, j, b"s ") {
                j += 1;
            }
            let ls = j;
            while j < b.len() && matches!(b[j], b':' | b' ' | b'=' | b'"' | b'\'' | b'`') {
                if j - ls > 4 {
                    break;
                }
                j += 1;
            }
            if j == ls && !matches!(b.get(j.wrapping_sub(1)), Some(b' ')) {
                continue;
            }
            j
        };
        let (e, parts) = ua_sequence(b, start);
        let mozilla = at_ci(b, start, b"mozilla/");
        // Mozilla/x.y alone is a UA only with a comment or another product after it
        if parts == 0 || (mozilla && parts < 2) {
            continue;
        }
        consumed = e;
        out.push(Cand::new(
            IocKind::UserAgent,
            start,
            e,
            t[start..e].to_string(),
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// YARA rule names

fn scan_yara(t: &str, out: &mut Vec<Cand>) {
    let b = t.as_bytes();
    for (p, _) in LIT_RULE.positions(t) {
        if p > 0
            && (is_word(b[p - 1])
                || !(b[p - 1].is_ascii_whitespace()
                    || matches!(b[p - 1], b'}' | b';' | b'`' | b'"' | b'\'')))
        {
            continue;
        }
        let mut i = p + 4;
        let ws0 = i;
        while i < b.len() && b[i].is_ascii_whitespace() && i - ws0 < 8 {
            i += 1;
        }
        if i == ws0 || i >= b.len() || !(b[i].is_ascii_alphabetic() || b[i] == b'_') {
            continue;
        }
        let ns = i;
        while i < b.len() && is_word(b[i]) && i - ns < 128 {
            i += 1;
        }
        let ne = i;
        if lists::is_stop_word(&t[ns..ne]) || ne - ns < 2 {
            continue;
        }
        let skip_ws = |mut i: usize| {
            let s0 = i;
            while i < b.len() && b[i].is_ascii_whitespace() && i - s0 < 16 {
                i += 1;
            }
            i
        };
        i = skip_ws(i);
        if b.get(i) == Some(&b':') {
            i = skip_ws(i + 1);
            let mut tags = 0;
            while i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'_') && tags < 16 {
                let ts = i;
                while i < b.len() && is_word(b[i]) && i - ts < 128 {
                    i += 1;
                }
                tags += 1;
                i = skip_ws(i);
            }
            if tags == 0 {
                continue;
            }
        }
        if b.get(i) == Some(&b'{') {
            out.push(Cand::new(IocKind::YaraRule, ns, ne, t[ns..ne].to_string()));
        }
    }
}

#[cfg(test)]
mod linear_tests {
    //! Pathological inputs for the scanners added in the second pass: long runs of the delimiters
    //! each one uses. Work is counted by the `tick!()` probes in the scanners' loops (not by wall
    //! clock): 4x the input must cost at most ~4x the work.

    use super::*;

    fn work(text: &str) -> u64 {
        WORK.with(|w| w.set(0));
        let hits = extract(text);
        for h in &hits {
            assert_eq!(&text[h.range.clone()], h.raw);
        }
        WORK.with(|w| w.get())
    }

    fn check(name: &str, unit: &str, n: usize) {
        let a = unit.repeat(n);
        let b = unit.repeat(4 * n);
        let (wa, wb) = (work(&a), work(&b));
        let ratio = wb as f64 / wa.max(1) as f64;
        assert!(
            ratio <= 4.5,
            "{name}: work {wa} at n={} bytes, {wb} at 4n (ratio {ratio:.2})",
            a.len()
        );
        // and the work per byte is bounded by a constant of the scanners' look-around windows
        assert!(
            wb <= 700 * b.len() as u64,
            "{name}: {wb} work units for {} bytes",
            b.len()
        );
    }

    #[test]
    fn pathological_inputs_are_linear() {
        let cases: &[(&str, &str, usize)] = &[
            ("backslashes", "\\", 100_000),
            ("hive-backslashes", "HKLM\\", 20_000),
            ("path-spaces", "C:\\A B", 20_000),
            ("path-capital-words", " Word", 20_000),
            ("key-with-spaces", "HKLM\\Software\\A B C D", 5_000),
            ("spaces", " ", 100_000),
            ("quoted-paths", "\"C:\\A B ", 10_000),
            ("angle-placeholders", "C:\\<a<b", 10_000),
            ("square-placeholders", "C:\\[a[b", 10_000),
            ("computer-prefix", "Computer\\", 20_000),
            ("angle-hives", "<HKCU>\\", 20_000),
            ("pct2F", "%2F", 50_000),
            (
                "redirector-url",
                "http://a.com/?u=http%3A%2F%2Fb.com%2F",
                5_000,
            ),
            ("nested-scheme-runs", "http%3A%2F%2F", 10_000),
            ("urldefense-v3", "__https://", 10_000),
            ("urldefense-v2", "http-3A__", 10_000),
            ("cve-words", "CVE ", 50_000),
            ("cve-prefixes", "CVE-2021-", 20_000),
            ("cve-unicode-dashes", "CVE\u{2011}2021\u{2011}", 10_000),
            ("mozilla", "Mozilla/5.0 (", 10_000),
            ("ua-labels", "User-Agent: ", 10_000),
            ("ua-products", "a/1 ", 20_000),
            ("parens", "(", 100_000),
            ("ja3-labels", "JA3 ", 30_000),
            ("ja3-hashes", "JA3 0123456789abcdef0123456789abcdef ", 3_000),
            ("tlsh-hex", "T1", 50_000),
            ("cisco-macs", "ABCD.ABCD.ABCD.", 10_000),
            // names glued to Latin-lookalike letters are read back to their start (bounded)
            ("cyrillic-glued-names", "\u{0430}.com", 20_000),
            (
                "cyrillic-glued-words",
                "\u{0440}\u{0430}\u{0443}a.b.com ",
                10_000,
            ),
            // the shape the old wall-clock test timed: a mixed report sentence
            (
                "mixed-report-unit",
                "Actor used hxxp://evil[.]com/a.php and 1.2.3.4 with C:\\Windows\\x.exe, \
                 d41d8cd98f00b204e9800998ecf8427e and version 1.2.3.4. a.a.a.a 1:2:3 ",
                2_000,
            ),
            ("onion-runs", "aaaa.onion.", 10_000),
            ("base58-runs", "4", 100_000),
            ("tlp", "TLP:AMBER+", 10_000),
            ("at-domains", "a@b.com ", 10_000),
            ("xmpp-labels", "Jabber a@b.im ", 10_000),
            ("analytics", "UA-1234-1 G-ABC123DEF4 pub-", 5_000),
        ];
        for (name, unit, n) in cases {
            check(name, unit, *n);
        }
    }

    #[test]
    fn long_url_with_encoded_slashes_and_one_embedded_url() {
        let text = format!(
            "see https://r.example-tracker.com/?url=https%3A%2F%2Fevil.com{}&x=1 now",
            "%2F".repeat(100_000)
        );
        let hits = extract(&text);
        let urls: Vec<_> = hits.iter().filter(|h| h.kind == IocKind::Url).collect();
        assert_eq!(urls.len(), 2);
        assert!(
            urls.iter()
                .any(|u| u.value.starts_with("https://evil.com//"))
        );
    }
}
