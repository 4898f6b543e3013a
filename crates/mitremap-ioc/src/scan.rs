//! The scanners. All work on the normalised text with ASCII byte tests, so every position they
//! produce is a char boundary; each one is a single forward pass (linear time).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use crate::norm::{LIT_AT, LIT_BSLASH, LIT_COLON, LIT_CSS, LIT_RULE, LIT_SLASH, Normalized};
use crate::{Ioc, IocFlags, IocKind, btc, lists};

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
            | IocKind::WindowsPath
            | IocKind::UnixPath
            | IocKind::RegistryKey
            | IocKind::Ipv6
    )
}

fn allowed_inside(container: &Cand, x: &Cand) -> bool {
    use IocKind::*;
    match container.kind {
        Url => {
            matches!(
                x.kind,
                Ipv4 | Ipv4Cidr | Ipv6 | Md5 | Sha1 | Sha256 | Sha512 | Cve | AttackId | BtcAddress
            ) || (x.kind == Domain && container.host == Some(x.s..x.e))
        }
        WindowsPath | UnixPath | RegistryKey => {
            matches!(
                x.kind,
                FileName | Ipv4 | Ipv6 | Md5 | Sha1 | Sha256 | Sha512 | Cve | AttackId
            )
        }
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
    n >= 2 && lists::is_tld(last)
}

fn domain_flags(host_lower: &str) -> IocFlags {
    IocFlags {
        private: false,
        benign: lists::is_benign_domain(host_lower),
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
            out.push(d);
        }
        if let Some(ip) = is_ip4 {
            cand.flags.private = ip_private4(ip);
        }
        out.push(cand);
        last_end = e;
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
        let mut c = Cand::new(IocKind::Email, ls, de, t[ls..de].to_ascii_lowercase());
        c.flags = domain_flags(&dom);
        out.push(c);
        last_end = de;
    }
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

/// At a space inside a path: continue only if the following words start upper-case / digit and
/// lead to another backslash ("Program Files\", "Windows NT\").
fn space_continues(b: &[u8], i: usize) -> bool {
    // the segment before the space must be a directory-like word (no extension)
    let mut k = i;
    while k > 0 && b[k - 1] != b'\\' {
        if i - k > 255 {
            return false;
        }
        k -= 1;
        if b[k] == b'.' {
            return false;
        }
    }
    let mut j = i;
    let mut spaces = 0;
    while j < b.len() && j - i < 64 {
        let c = b[j];
        if c == b' ' {
            if j > 0 && b[j - 1] == b'\\' {
                return false; // `Run\ HKCU\...`: a space right after a separator ends the path
            }
            spaces += 1;
            if spaces > 3 {
                return false;
            }
            match b.get(j + 1) {
                Some(&n) if n.is_ascii_uppercase() || n.is_ascii_digit() || n == b'(' => {}
                _ => return false,
            }
        } else if c == b'\\' {
            return true;
        } else if !win_char(c) {
            return false;
        }
        j += 1;
    }
    false
}

fn win_path_end(b: &[u8], p: usize) -> usize {
    let mut i = p;
    let mut paren = 0i32;
    while i < b.len() {
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
        if c == b'(' {
            paren += 1;
        } else if c == b')' {
            if paren == 0 {
                break;
            }
            paren -= 1;
        }
        if win_char(c) {
            i += 1;
            continue;
        }
        if c == b' ' && space_continues(b, i) {
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

fn scan_backslash(t: &str, out: &mut Vec<Cand>) {
    let b = t.as_bytes();
    let mut consumed = 0;
    for (p, _) in LIT_BSLASH.positions(t) {
        if p < consumed {
            continue;
        }
        // registry key: a hive word right before (optionally `HKLM:\`)
        let q = if p > 0 && b[p - 1] == b':' { p - 1 } else { p };
        let mut ws = q;
        while ws > 0 && is_word(b[ws - 1]) && q - ws < 24 {
            ws -= 1;
        }
        if ws < q
            && (ws == 0 || !is_word(b[ws - 1]))
            && let Some(long) = hive_long(&t[ws..q])
        {
            let e = win_path_end(b, p);
            if e > p + 1 {
                let rest = &t[p..e];
                out.push(Cand::new(
                    IocKind::RegistryKey,
                    ws,
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
        let e = win_path_end(b, p);
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
    while s < e && matches!(b[s], b'.' | b'-' | b'_') {
        s += 1;
    }
    while e > s && matches!(b[e - 1], b'.' | b'-' | b'_') {
        e -= 1;
    }
    if e - s < 3 {
        return;
    }
    let tok = &t[s..e];
    if e - s >= 32 {
        hex_runs(t, s, e, out);
    }
    let dot = dot && tok.contains('.');
    if !dot {
        if let Some(c) = attack_id(tok) {
            out.push(Cand::new(IocKind::AttackId, s, e, c));
        } else if let Some(c) = cve(tok) {
            out.push(Cand::new(IocKind::Cve, s, e, c));
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
        let kind = match i - rs {
            32 => IocKind::Md5,
            40 => IocKind::Sha1,
            64 => IocKind::Sha256,
            128 => IocKind::Sha512,
            _ => continue,
        };
        if dig && let_ {
            out.push(Cand::new(kind, rs, i, t[rs..i].to_ascii_lowercase()));
        }
    }
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

fn cve(tok: &str) -> Option<String> {
    let b = tok.as_bytes();
    if b.len() < 13 || !b[..4].eq_ignore_ascii_case(b"CVE-") {
        return None;
    }
    let rest = &tok[4..];
    let (y, seq) = rest.split_once('-')?;
    if y.len() != 4 || !y.bytes().all(|c| c.is_ascii_digit()) || !(4..=7).contains(&seq.len()) {
        return None;
    }
    if !seq.bytes().all(|c| c.is_ascii_digit()) || (seq.len() > 4 && seq.starts_with('0')) {
        return None;
    }
    let year: u32 = y.parse().ok()?;
    if !(1999..=2099).contains(&year) {
        return None;
    }
    Some(format!("CVE-{y}-{seq}"))
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
    if lists::is_version_word(pw.trim_end_matches('.'))
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
        }
    }
    let mut c = Cand::new(IocKind::Domain, s, e, host);
    c.flags = flags;
    out.push(c);
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
