//! Embedded word lists: IANA TLDs, file extensions, benign domains, weak TLDs.

use std::collections::HashSet;
use std::sync::LazyLock;

/// IANA root-zone TLD list, embedded at build time (see `data/tlds.txt` for source and licence).
static TLDS_TXT: &str = include_str!("../data/tlds.txt");

static TLDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    TLDS_TXT
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

fn lower_small(s: &str, buf: &mut [u8; 64]) -> Option<usize> {
    let b = s.as_bytes();
    if b.len() > buf.len() {
        return None;
    }
    for (d, c) in buf.iter_mut().zip(b) {
        *d = c.to_ascii_lowercase();
    }
    Some(b.len())
}

fn with_lower<R>(s: &str, f: impl FnOnce(&str) -> R) -> Option<R> {
    let mut buf = [0u8; 64];
    let n = lower_small(s, &mut buf)?;
    // ASCII-lowered bytes of a str stay valid UTF-8.
    let l = std::str::from_utf8(&buf[..n]).ok()?;
    Some(f(l))
}

/// Is `label` (any case) a top-level domain in the IANA list? Punycode TLDs (`xn--`) are accepted.
pub fn is_tld(label: &str) -> bool {
    if label.len() < 2
        || !label
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-')
    {
        return false;
    }
    with_lower(label, |l| {
        TLDS.contains(l) || l == "onion" || (l.starts_with("xn--") && l.len() > 5)
    })
    .unwrap_or(false)
}

/// File extensions that make a dotted token a file name (executables, scripts, documents, archives).
static FILE_EXTS: &[&str] = &[
    "exe", "dll", "sys", "drv", "ocx", "cpl", "scr", "pif", "msi", "msp", "msu", "bat", "cmd",
    "ps1", "psm1", "psd1", "vbs", "vbe", "vba", "js", "jse", "wsf", "wsh", "hta", "lnk", "inf",
    "reg", "sct", "jar", "class", "py", "pyc", "pyw", "sh", "bash", "zsh", "pl", "rb", "php",
    "asp", "aspx", "ashx", "jsp", "jspx", "cgi", "elf", "bin", "so", "dylib", "app", "apk", "ipa",
    "dmg", "pkg", "deb", "rpm", "doc", "docx", "docm", "dot", "dotm", "xls", "xlsx", "xlsm",
    "xlsb", "xll", "xlam", "ppt", "pptx", "pptm", "pdf", "rtf", "one", "chm", "iqy", "slk", "zip",
    "rar", "7z", "gz", "tgz", "bz2", "xz", "tar", "cab", "iso", "img", "vhd", "vhdx", "txt", "log",
    "csv", "ini", "dat", "tmp", "cfg", "conf", "xml", "json", "yml", "yaml", "html", "htm", "svg",
    "eml", "msg", "db", "sqlite", "kdbx", "rdp", "pem", "crt", "pfx", "p12", "java", "cs", "rs",
    "pm", "pid", "ms", "hiv", "ax", "plist", "target", "service", "md", "lua", "mov",
];

static FILE_EXT_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| FILE_EXTS.iter().copied().collect());

/// Is `ext` (any case) a known executable / script / document / archive extension?
pub fn is_file_ext(ext: &str) -> bool {
    with_lower(ext, |l| FILE_EXT_SET.contains(l)).unwrap_or(false)
}

/// Dotted tokens that look like file names but are product names.
static NOT_FILES: &[&str] = &[
    "node.js",
    "vue.js",
    "next.js",
    "nuxt.js",
    "react.js",
    "express.js",
    "d3.js",
    "three.js",
    "angular.js",
    "angularjs",
    "ember.js",
    "backbone.js",
    "chart.js",
    "p5.js",
    "deno.js",
    "moment.js",
    "socket.io",
    "require.js",
    "handlebars.js",
    "knockout.js",
    "underscore.js",
    "babylon.js",
    "pixi.js",
    "phaser.js",
    "meteor.js",
    "electron.js",
    "jquery.js",
];

pub fn is_not_file(name: &str) -> bool {
    with_lower(name, |l| NOT_FILES.contains(&l)).unwrap_or(false)
}

/// TLDs that are also common English words or code member names: a bare two-label `x.<weak>`
/// outside a URL and not defanged is more often prose glued by a missing space or code
/// (`malware.in`, `user.name`, `location.host`) than a domain.
static WEAK_TLDS: &[&str] = &[
    "in", "is", "it", "to", "me", "my", "no", "so", "at", "be", "by", "do", "us", "am", "as", "an",
    "on", "or", "id", "name", "host", "link", "run", "call", "save", "read", "new", "get", "post",
    "download", "open", "data", "page", "play", "win", "bar", "foo", "zip", "mov", "app", "one",
    "dot", "java", "website", "ps", "pl", "py", "rs", "sh", "md", "cab", "show", "case",
];

static WEAK_TLD_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| WEAK_TLDS.iter().copied().collect());

pub fn is_weak_tld(tld: &str) -> bool {
    with_lower(tld, |l| WEAK_TLD_SET.contains(l)).unwrap_or(false)
}

/// Second-level labels that make `x.<sld>.<cc>` a normal registrable domain.
pub fn is_common_sld(label: &str) -> bool {
    matches!(
        label.to_ascii_lowercase().as_str(),
        "co" | "com"
            | "net"
            | "org"
            | "gov"
            | "edu"
            | "ac"
            | "nic"
            | "ne"
            | "go"
            | "or"
            | "gob"
            | "mil"
            | "res"
            | "ltd"
            | "plc"
    )
}

/// Well-known benign registrable domains: hits on them (or their subdomains) are flagged.
static BENIGN: &[&str] = &[
    "microsoft.com",
    "windows.com",
    "windowsupdate.com",
    "msn.com",
    "live.com",
    "office.com",
    "office365.com",
    "outlook.com",
    "bing.com",
    "azure.com",
    "google.com",
    "youtube.com",
    "gmail.com",
    "apple.com",
    "icloud.com",
    "amazon.com",
    "facebook.com",
    "twitter.com",
    "x.com",
    "linkedin.com",
    "github.com",
    "gitlab.com",
    "mozilla.org",
    "wikipedia.org",
    "cloudflare.com",
    "akamai.com",
    "example.com",
    "example.net",
    "example.org",
    "iana.org",
    "w3.org",
    "virustotal.com",
    "mitre.org",
    "cisa.gov",
    "nist.gov",
    "adobe.com",
    "yahoo.com",
    "oracle.com",
    "ietf.org",
    "python.org",
    "verisign.com",
    "digicert.com",
    "letsencrypt.org",
];

static BENIGN_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| BENIGN.iter().copied().collect());

/// Is the (lower-case) host a well-known benign domain or one of its subdomains?
pub fn is_benign_domain(host: &str) -> bool {
    let h = host.trim_end_matches('.');
    if h == "localhost" || h.ends_with(".example") || h.ends_with(".test") {
        return true;
    }
    let mut rest = h;
    loop {
        if BENIGN_SET.contains(rest) {
            return true;
        }
        match rest.find('.') {
            Some(i) => rest = &rest[i + 1..],
            None => return false,
        }
    }
}

/// Software names a dotted quad after which is its version (`ESXi 7.0.3.2`, `Firefox 115.0.2.1`,
/// `OpenSSH 8.2.1.3`), not an address.
pub fn is_product_word(w: &str) -> bool {
    matches!(
        w.to_ascii_lowercase().as_str(),
        "esxi"
            | "vcenter"
            | "vsphere"
            | "vmware"
            | "workstation"
            | "firefox"
            | "thunderbird"
            | "chrome"
            | "chromium"
            | "safari"
            | "opera"
            | "openssh"
            | "openssl"
            | "windows"
            | "sharepoint"
            | "outlook"
            | "excel"
            | "java"
            | "jre"
            | "jdk"
            | "python"
            | "php"
            | "perl"
            | "ruby"
            | "nodejs"
            | "apache"
            | "nginx"
            | "iis"
            | "tomcat"
            | "weblogic"
            | "websphere"
            | "jboss"
            | "fortios"
            | "fortigate"
            | "fortiweb"
            | "citrix"
            | "netscaler"
            | "ios"
            | "android"
            | "macos"
            | "kernel"
            | "ubuntu"
            | "debian"
            | "centos"
            | "rhel"
            | "mysql"
            | "postgresql"
            | "oracle"
            | "confluence"
            | "jira"
            | "gitlab"
            | "jenkins"
            | "wordpress"
            | "drupal"
            | "joomla"
            | "moveit"
            | "ivanti"
            | "sonicos"
            | "sonicwall"
            | "zimbra"
            | "acrobat"
            | "flash"
            | "winrar"
            | "putty"
            | "teamviewer"
            | "anydesk"
            | "powershell"
            | "dotnet"
            | "samba"
            | "openvpn"
            | "wireshark"
    )
}

/// Antivirus detection names (`Trojan.Win32.Agent.abc`, `Backdoor.MSIL.Bladabindi.b`,
/// `HEUR.Trojan.Script.Generic`): a malware-type first label or a platform second label.
pub fn is_detection_name(name: &str) -> bool {
    let mut labels = name.split('.').map(str::to_ascii_lowercase);
    let first = labels.next().unwrap_or_default();
    let second = labels.next().unwrap_or_default();
    let kind = matches!(
        first.as_str(),
        "trojan"
            | "backdoor"
            | "worm"
            | "virus"
            | "ransom"
            | "ransomware"
            | "heur"
            | "pua"
            | "pup"
            | "exploit"
            | "hacktool"
            | "riskware"
            | "adware"
            | "spyware"
            | "rootkit"
            | "trojandownloader"
            | "trojandropper"
            | "trojanspy"
            | "trojanpsw"
            | "pws"
            | "downloader"
            | "dropper"
            | "infostealer"
            | "generic"
    );
    let platform = matches!(
        second.as_str(),
        "win32"
            | "win64"
            | "w32"
            | "w64"
            | "msil"
            | "linux"
            | "androidos"
            | "osx"
            | "macos"
            | "script"
            | "js"
            | "vbs"
            | "html"
            | "o97m"
            | "w97m"
            | "x97m"
            | "pdf"
            | "multi"
            | "python"
            | "java"
            | "bat"
            | "ps"
            | "powershell"
    );
    kind || platform
}

/// Words before a dotted-quad that mark it as a version or section number, not an address.
pub fn is_version_word(w: &str) -> bool {
    matches!(
        w.to_ascii_lowercase().as_str(),
        "version"
            | "versions"
            | "ver"
            | "v"
            | "build"
            | "builds"
            | "release"
            | "releases"
            | "update"
            | "updates"
            | "section"
            | "sections"
            | "sec"
            | "rev"
            | "revision"
            | "firmware"
            | "patch"
            | "chapter"
            | "step"
            | "figure"
            | "fig"
            | "table"
            | "appendix"
            | "clause"
            | "paragraph"
            | "item"
            | "rule"
            | "kb"
            | "sp"
            | "edition"
            | "driver"
            | "agent"
            | "client"
            | "product"
            | "upgrade"
            | "upgraded"
            | "v."
            | "§"
    )
}

/// Short function words: `of.hta`, `as.txt`, `and.pub` are prose with a missing space.
pub fn is_glue_word(w: &str) -> bool {
    matches!(
        w.to_ascii_lowercase().as_str(),
        "a" | "an"
            | "the"
            | "and"
            | "or"
            | "of"
            | "to"
            | "in"
            | "on"
            | "at"
            | "by"
            | "for"
            | "with"
            | "from"
            | "is"
            | "are"
            | "was"
            | "as"
            | "such"
            | "like"
            | "via"
            | "into"
            | "than"
            | "also"
            | "etc"
            | "including"
            | "includes"
            | "called"
            | "named"
    )
}

/// Words that cannot be the label before ` dot ` / ` at ` in an obfuscated indicator.
pub fn is_stop_word(w: &str) -> bool {
    matches!(
        w.to_ascii_lowercase().as_str(),
        "a" | "an"
            | "the"
            | "and"
            | "or"
            | "of"
            | "to"
            | "in"
            | "on"
            | "at"
            | "by"
            | "for"
            | "with"
            | "from"
            | "is"
            | "are"
            | "was"
            | "were"
            | "be"
            | "this"
            | "that"
            | "it"
            | "as"
            | "we"
            | "you"
            | "they"
            | "he"
            | "she"
            | "i"
            | "my"
            | "our"
            | "its"
            | "their"
            | "his"
            | "her"
            | "not"
            | "no"
            | "but"
            | "if"
            | "then"
            | "so"
            | "red"
            | "blue"
            | "green"
            | "black"
            | "white"
            | "small"
            | "big"
            | "polka"
            | "one"
            | "each"
            | "every"
            | "meet"
            | "look"
            | "arrive"
            | "arrived"
            | "located"
            | "found"
            | "seen"
            | "time"
    )
}

/// First labels of two-label tokens that are code objects, not hosts (`wscript.shell`, `re.search`).
pub fn is_code_object(w: &str) -> bool {
    matches!(
        w.to_ascii_lowercase().as_str(),
        "wscript"
            | "cscript"
            | "shell"
            | "adodb"
            | "scripting"
            | "msxml2"
            | "winhttp"
            | "wshell"
            | "objshell"
            | "document"
            | "window"
            | "console"
            | "math"
            | "json"
            | "os"
            | "sys"
            | "re"
            | "self"
            | "this"
            | "req"
            | "res"
            | "r"
            | "e"
            | "process"
            | "string"
            | "object"
            | "array"
            | "system"
            | "http"
            | "request"
            | "response"
            | "navigator"
            | "location"
            | "args"
            | "params"
            | "config"
            | "options"
            | "data"
            | "result"
            | "obj"
            | "ctx"
            | "app"
            | "module"
            | "exports"
            | "event"
            | "err"
            | "error"
            | "user"
            | "file"
            | "path"
            | "url"
    )
}
