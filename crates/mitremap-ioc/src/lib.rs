//! Indicator-of-compromise (IoC) extraction for threat-intelligence prose.
//!
//! [`extract`] finds IPv4/IPv6 addresses and CIDRs, domains (validated against the embedded IANA TLD
//! list), URLs, e-mail addresses, MD5/SHA-1/SHA-256/SHA-512 and ssdeep hashes, CVE and ATT&CK IDs,
//! Windows and Unix paths, file names, registry keys, Bitcoin addresses (checksum verified), ASNs,
//! MAC addresses and quoted YARA rule names. Defanged spellings (`hxxp`, `[.]`, `(dot)`, `[@]`, ...)
//! are recognised; each hit carries the refanged value, the exact original text and its byte range.
//!
//! Everything runs in linear time: byte scanners plus `regex` (finite automata) only.
//! See `docs/ioc.md` in the repository for the precision rules and measured numbers.

use std::collections::HashMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

mod btc;
mod keccak;
mod lists;
mod norm;
mod scan;
mod tlp;

pub use tlp::{Tlp, TlpMarking, document_tlp, tlp_markings};

/// The kind of an indicator. Serialised as the snake_case names of the shared corpus vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IocKind {
    Ipv4,
    Ipv4Cidr,
    Ipv6,
    Domain,
    Url,
    Email,
    Xmpp,
    Md5,
    Sha1,
    Sha256,
    Sha512,
    Ssdeep,
    Tlsh,
    Imphash,
    Authentihash,
    Ja3,
    Ja3s,
    Ja4,
    Cve,
    WindowsPath,
    UnixPath,
    #[serde(rename = "filename")]
    FileName,
    RegistryKey,
    BtcAddress,
    XmrAddress,
    Asn,
    Mac,
    AttackId,
    YaraRule,
    UserAgent,
    AnalyticsId,
}

impl IocKind {
    /// Every kind, in declaration (and sort) order.
    pub const ALL: &'static [IocKind] = &[
        IocKind::Ipv4,
        IocKind::Ipv4Cidr,
        IocKind::Ipv6,
        IocKind::Domain,
        IocKind::Url,
        IocKind::Email,
        IocKind::Xmpp,
        IocKind::Md5,
        IocKind::Sha1,
        IocKind::Sha256,
        IocKind::Sha512,
        IocKind::Ssdeep,
        IocKind::Tlsh,
        IocKind::Imphash,
        IocKind::Authentihash,
        IocKind::Ja3,
        IocKind::Ja3s,
        IocKind::Ja4,
        IocKind::Cve,
        IocKind::WindowsPath,
        IocKind::UnixPath,
        IocKind::FileName,
        IocKind::RegistryKey,
        IocKind::BtcAddress,
        IocKind::XmrAddress,
        IocKind::Asn,
        IocKind::Mac,
        IocKind::AttackId,
        IocKind::YaraRule,
        IocKind::UserAgent,
        IocKind::AnalyticsId,
    ];

    /// Machine name, identical to the serde spelling (`"ipv4_cidr"`, `"filename"`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            IocKind::Ipv4 => "ipv4",
            IocKind::Ipv4Cidr => "ipv4_cidr",
            IocKind::Ipv6 => "ipv6",
            IocKind::Domain => "domain",
            IocKind::Url => "url",
            IocKind::Email => "email",
            IocKind::Xmpp => "xmpp",
            IocKind::Md5 => "md5",
            IocKind::Sha1 => "sha1",
            IocKind::Sha256 => "sha256",
            IocKind::Sha512 => "sha512",
            IocKind::Ssdeep => "ssdeep",
            IocKind::Tlsh => "tlsh",
            IocKind::Imphash => "imphash",
            IocKind::Authentihash => "authentihash",
            IocKind::Ja3 => "ja3",
            IocKind::Ja3s => "ja3s",
            IocKind::Ja4 => "ja4",
            IocKind::Cve => "cve",
            IocKind::WindowsPath => "windows_path",
            IocKind::UnixPath => "unix_path",
            IocKind::FileName => "filename",
            IocKind::RegistryKey => "registry_key",
            IocKind::BtcAddress => "btc_address",
            IocKind::XmrAddress => "xmr_address",
            IocKind::Asn => "asn",
            IocKind::Mac => "mac",
            IocKind::AttackId => "attack_id",
            IocKind::YaraRule => "yara_rule",
            IocKind::UserAgent => "user_agent",
            IocKind::AnalyticsId => "analytics_id",
        }
    }

    /// Human label for tables and the UI (`"IPv4"`, `"SHA-256"`, ...).
    pub fn label(&self) -> &'static str {
        match self {
            IocKind::Ipv4 => "IPv4",
            IocKind::Ipv4Cidr => "IPv4 CIDR",
            IocKind::Ipv6 => "IPv6",
            IocKind::Domain => "Domain",
            IocKind::Url => "URL",
            IocKind::Email => "E-mail",
            IocKind::Xmpp => "XMPP address",
            IocKind::Md5 => "MD5",
            IocKind::Sha1 => "SHA-1",
            IocKind::Sha256 => "SHA-256",
            IocKind::Sha512 => "SHA-512",
            IocKind::Ssdeep => "ssdeep",
            IocKind::Tlsh => "TLSH",
            IocKind::Imphash => "imphash",
            IocKind::Authentihash => "Authentihash",
            IocKind::Ja3 => "JA3",
            IocKind::Ja3s => "JA3S",
            IocKind::Ja4 => "JA4",
            IocKind::Cve => "CVE",
            IocKind::WindowsPath => "Windows path",
            IocKind::UnixPath => "Unix path",
            IocKind::FileName => "File name",
            IocKind::RegistryKey => "Registry key",
            IocKind::BtcAddress => "Bitcoin address",
            IocKind::XmrAddress => "Monero address",
            IocKind::Asn => "ASN",
            IocKind::Mac => "MAC address",
            IocKind::AttackId => "ATT&CK ID",
            IocKind::YaraRule => "YARA rule",
            IocKind::UserAgent => "User agent",
            IocKind::AnalyticsId => "Analytics / AdSense ID",
        }
    }

    /// Parse the machine name (inverse of [`IocKind::as_str`]).
    pub fn from_name(s: &str) -> Option<IocKind> {
        IocKind::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for IocKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a hit that was not written on its own comes from (see `docs/ioc.md`, "Derived hits").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Derived {
    /// The domain of an e-mail or XMPP address (`a@evil.com` → `evil.com`).
    FromEmail,
    /// The host of a URL (`http://evil.com/x` → `evil.com`).
    FromUrl,
    /// A URL carried inside another URL (redirector `?url=http%3A%2F%2F...`, Outlook safelinks,
    /// urldefense v2/v3), decoded. The outer URL is the URL hit whose range contains this one.
    EmbeddedUrl,
}

/// Noise flags: the hit is kept, the UI may hide it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IocFlags {
    /// Private, loopback, link-local, documentation or otherwise reserved IP address / ASN.
    pub private: bool,
    /// Well-known benign domain (or URL / e-mail on one), e.g. `microsoft.com`, `example.com`.
    pub benign: bool,
    /// Set when the hit was derived from a larger indicator rather than written on its own. In a
    /// [`IocSummary`] it is set only when *every* occurrence was derived (and then to the first
    /// occurrence's origin); a value also written on its own is a plain indicator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived: Option<Derived>,
    /// An internationalised domain written with letters from another script that look Latin
    /// (`раураl.com`, Cyrillic `р`, `а`, `у`): a homoglyph of a Latin name. `value` is its DNS
    /// (punycode) form, `raw` the name as written.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lookalike: bool,
}

impl IocFlags {
    /// True when the analyst's "hide noise" toggle should hide this hit.
    pub fn is_noise(&self) -> bool {
        self.private || self.benign
    }
}

/// One occurrence of an indicator in the input.
///
/// `range` serialises as `{"start": usize, "end": usize}` (byte offsets, end exclusive), and
/// `&input[range] == raw` always holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ioc {
    pub kind: IocKind,
    /// Normalised, refanged value (see `docs/ioc.md` for the per-kind normalisation).
    pub value: String,
    /// The exact original text.
    pub raw: String,
    /// Byte range in the input; on char boundaries.
    pub range: Range<usize>,
    /// The original spelling was defanged (`hxxp`, `[.]`, ...).
    pub defanged: bool,
    pub flags: IocFlags,
}

/// All occurrences of one (kind, value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IocSummary {
    pub kind: IocKind,
    pub value: String,
    pub count: usize,
    /// Byte offset of the first occurrence.
    pub first: usize,
    /// Distinct original spellings, in order of first appearance.
    pub raws: Vec<String>,
    pub flags: IocFlags,
}

/// Extract every indicator from `text`, sorted by `range.start` (then end, then kind).
pub fn extract(text: &str) -> Vec<Ioc> {
    scan::extract(text)
}

/// Deduplicate per (kind, value), ordered by kind then first position.
///
/// Windows paths and registry keys are case-insensitive and their `value` is already canonical
/// (hive expanded, `Computer\` / `<HKCU>` / `HKLM:` spellings folded), so they are deduplicated on
/// the ASCII-lower-cased value: `HKLM\Software\X` and `HKEY_LOCAL_MACHINE\SOFTWARE\X` are one row
/// (value of the first occurrence, both spellings in `raws`).
pub fn summarize(iocs: &[Ioc]) -> Vec<IocSummary> {
    let mut index: HashMap<(IocKind, String), usize> = HashMap::new();
    let mut out: Vec<IocSummary> = Vec::new();
    for ioc in iocs {
        let key = match ioc.kind {
            IocKind::RegistryKey | IocKind::WindowsPath => ioc.value.to_ascii_lowercase(),
            _ => ioc.value.clone(),
        };
        match index.get(&(ioc.kind, key.clone())) {
            Some(&i) => {
                let s = &mut out[i];
                s.count += 1;
                s.first = s.first.min(ioc.range.start);
                if !s.raws.iter().any(|r| r == &ioc.raw) {
                    s.raws.push(ioc.raw.clone());
                }
                s.flags.private |= ioc.flags.private;
                s.flags.benign |= ioc.flags.benign;
                s.flags.lookalike |= ioc.flags.lookalike;
                if ioc.flags.derived.is_none() {
                    s.flags.derived = None;
                }
            }
            None => {
                index.insert((ioc.kind, key), out.len());
                out.push(IocSummary {
                    kind: ioc.kind,
                    value: ioc.value.clone(),
                    count: 1,
                    first: ioc.range.start,
                    raws: vec![ioc.raw.clone()],
                    flags: ioc.flags,
                });
            }
        }
    }
    out.sort_by(|a, b| a.kind.cmp(&b.kind).then(a.first.cmp(&b.first)));
    out
}

/// The URL that carries `ioc` when it was derived from one (an embedded URL or a URL host): the
/// smallest URL hit in `iocs` whose range strictly contains `ioc.range`.
pub fn outer_url<'a>(iocs: &'a [Ioc], ioc: &Ioc) -> Option<&'a Ioc> {
    iocs.iter()
        .filter(|o| {
            o.kind == IocKind::Url
                && o.range.start <= ioc.range.start
                && ioc.range.end <= o.range.end
                && o.range != ioc.range
        })
        .min_by_key(|o| o.range.len())
}

/// Replace defanged notations by their plain form (`hxxp` → `http`, `[.]` → `.`, `[at]` → `@`,
/// ` dot ` → `.` where a domain follows, ...). Idempotent.
pub fn refang(s: &str) -> String {
    norm::refang_full(s)
}

/// Make a value safe to paste into a Markdown report: `hxxp(s)`, `[.]` in hosts and addresses,
/// `[@]` in e-mail addresses, `[:]` in IPv6. Other kinds are returned unchanged.
pub fn defang(value: &str, kind: IocKind) -> String {
    match kind {
        IocKind::Ipv4 | IocKind::Ipv4Cidr | IocKind::Domain => value.replace('.', "[.]"),
        IocKind::Ipv6 => value.replace(':', "[:]"),
        IocKind::Email => match value.rsplit_once('@') {
            Some((l, d)) => format!("{l}[@]{}", d.replace('.', "[.]")),
            None => value.to_string(),
        },
        IocKind::Url => defang_url(value),
        _ => value.to_string(),
    }
}

fn defang_url(value: &str) -> String {
    let (scheme, rest) = match value.find("://") {
        Some(i) => (&value[..i], &value[i + 3..]),
        None => ("", value),
    };
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" => "hxxp".to_string(),
        "https" => "hxxps".to_string(),
        "ftp" => "fxp".to_string(),
        "" => String::new(),
        _ => scheme.to_string(),
    };
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, tail) = rest.split_at(host_end);
    let host = host.replace('.', "[.]");
    if scheme.is_empty() {
        format!("{host}{tail}")
    } else {
        format!("{scheme}://{host}{tail}")
    }
}
