//! STIX 2.1 bundles.
//!
//! What goes in, in this order (each group in the report's own stable order):
//!
//! - the producer `identity` (mitremap, `identity_class: system`); every object mitremap authors
//!   carries `created_by_ref` to it;
//! - with a TLP option, the OASIS TLP 2.0 `marking-definition` (verbatim, authored by OASIS, so no
//!   `created_by_ref`), referenced from every other object's `object_marking_refs`;
//! - the `report` (`threat-report`, named after the input, `object_refs` = everything below);
//! - one `attack-pattern` per predicted technique, with MITRE's own STIX id and
//!   `external_references` so platforms merge it with their ATT&CK copy; `confidence` is the
//!   model's best score (0-100); the evidence chunks (text and byte range) go in
//!   `x_mitremap_evidence`, a custom property, because STIX has no place for them; in a reviewed
//!   report each one with a verdict also carries `x_mitremap_review` (verdict and note), `confidence`
//!   becomes 100 for accepted or added techniques, and rejected ones are left out unless
//!   [`ExportOptions::include_rejected`] (then with `confidence` 0); the report's `confidence` is
//!   the share of its techniques an analyst confirmed;
//! - one `vulnerability` per CVE;
//! - per IoC: the observable (SCO, deterministic id per STIX 2.1 §2.9), an `indicator` whose STIX
//!   pattern matches it, and a `based-on` relationship from the indicator to the observable.
//!
//! No relationship is invented between indicators, vulnerabilities and attack-patterns: the model
//! only says "this passage describes technique T", which the report's `object_refs` records.
//!
//! IoC kinds without a STIX 2.1 observable are left out on purpose and counted in the report's
//! description: `btc_address` (no cryptocurrency SCO in STIX 2.1 core), `attack_id` (an ATT&CK ID
//! quoted in the text is not an observable; predicted techniques are attack-patterns already) and
//! `yara_rule` (only the rule's name is known; a `yara` indicator needs the rule text). IoCs
//! flagged as noise (private/reserved addresses, well-known benign domains) are left out unless
//! [`ExportOptions::include_noise`] is set: an indicator for `10.0.0.5` or `microsoft.com` would
//! do harm in a blocking feed.

use std::collections::{BTreeMap, HashSet};

use mitremap_engine::analysis::{Report, ReviewStatus, TechniqueHit};
use mitremap_ioc::{IocKind, IocSummary};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::common::{self, evidence, percent};
use crate::{ExportOptions, Tlp};

/// mitremap's own UUIDv5 namespace for the ids of the SDOs and SROs it authors.
pub const MITREMAP_NAMESPACE: Uuid = Uuid::from_u128(0x8bd5e9e7_2557_4ea2_b338_0010e27dd9cf);

/// The STIX 2.1 namespace for deterministic SCO ids (STIX 2.1 §2.9).
pub const SCO_NAMESPACE: Uuid = Uuid::from_u128(0x00abedb4_aa42_466c_9c01_fed23315a9b7);

/// The OASIS TLP 2.0 extension definition (`cti-stix-common-objects`).
pub const TLP2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// The id of mitremap's `extension-definition` for `x_mitremap_evidence`.
pub fn evidence_extension_id() -> String {
    format!(
        "extension-definition--{}",
        Uuid::new_v5(
            &MITREMAP_NAMESPACE,
            b"extension-definition:x_mitremap_evidence:1"
        )
    )
}

/// The id of mitremap's `extension-definition` for `x_mitremap_review`.
pub fn review_extension_id() -> String {
    format!(
        "extension-definition--{}",
        Uuid::new_v5(
            &MITREMAP_NAMESPACE,
            b"extension-definition:x_mitremap_review:1"
        )
    )
}

/// The producer identity's id: the same for every export, whatever the input.
pub fn producer_identity_id() -> String {
    format!(
        "identity--{}",
        Uuid::new_v5(&MITREMAP_NAMESPACE, b"identity:mitremap")
    )
}

/// Renders the bundle as pretty JSON with a final newline.
pub(crate) fn render(
    report: &Report,
    options: &ExportOptions,
) -> Result<Vec<u8>, serde_json::Error> {
    let bundle = bundle(report, options);
    let mut out = crate::json::to_vec_pretty(&bundle)?;
    out.push(b'\n');
    Ok(out)
}

/// Builds ids and common properties for the objects of one export.
struct Ctx<'a> {
    report: &'a Report,
    now: String,
    identity: String,
    marking: Option<Tlp>,
    id_prefix: String,
}

impl Ctx<'_> {
    /// `type--uuid5(mitremap namespace, input sha256 / model / key)`: stable for the same input and
    /// model, different for another input or model.
    fn sdo_id(&self, ty: &str, key: &str) -> String {
        let name = format!("{}\n{ty}\n{key}", self.id_prefix);
        format!(
            "{ty}--{}",
            Uuid::new_v5(&MITREMAP_NAMESPACE, name.as_bytes())
        )
    }

    /// The properties every object mitremap authors starts with.
    fn sdo(&self, ty: &str, id: &str) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("type".into(), json!(ty));
        m.insert("spec_version".into(), json!("2.1"));
        m.insert("id".into(), json!(id));
        m.insert("created_by_ref".into(), json!(self.identity));
        m.insert("created".into(), json!(self.now));
        m.insert("modified".into(), json!(self.now));
        m
    }

    fn mark(&self, m: &mut Map<String, Value>) {
        if let Some(tlp) = self.marking {
            m.insert("object_marking_refs".into(), json!([tlp.stix_id()]));
        }
    }
}

fn bundle(report: &Report, options: &ExportOptions) -> Value {
    let (model_name, model_version) = report
        .model
        .as_ref()
        .map_or(("", ""), |m| (m.name.as_str(), m.version.as_str()));
    let ctx = Ctx {
        report,
        now: common::timestamp(options),
        identity: producer_identity_id(),
        marking: options.tlp,
        id_prefix: format!("{}\n{model_name}\n{model_version}", report.input.sha256),
    };
    let mut objects: Vec<Value> = Vec::new();
    let mut refs: Vec<String> = Vec::new();

    objects.push(identity(&ctx));
    if let Some(tlp) = options.tlp {
        objects.push(tlp.marking_definition());
    }

    let hits = common::exported_hits(report, options);
    if !hits.is_empty() {
        objects.push(evidence_extension(&ctx));
        if report.review.is_some() {
            objects.push(review_extension(&ctx));
        }
    }
    let mut body: Vec<Value> = Vec::new();
    for hit in &hits {
        let ap = attack_pattern(&ctx, hit);
        refs.push(ap["id"].as_str().unwrap_or_default().to_owned());
        body.push(ap);
    }

    let summaries = report.ioc_summaries();
    // Observables can be shared (two files in one directory): each id goes in once.
    let mut seen: HashSet<String> = HashSet::new();
    let mut skipped: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut noise = 0usize;
    for s in summaries.iter().filter(|s| s.kind == IocKind::Cve) {
        let v = vulnerability(&ctx, s);
        refs.push(v["id"].as_str().unwrap_or_default().to_owned());
        body.push(v);
    }
    for s in summaries.iter().filter(|s| s.kind != IocKind::Cve) {
        if s.flags.is_noise() && !options.include_noise {
            noise += 1;
            continue;
        }
        let Some(observable) = observable(s) else {
            *skipped.entry(s.kind.as_str()).or_default() += 1;
            continue;
        };
        let mut scos = observable.extra;
        let sco = sco_object(&ctx, observable.ty, observable.props);
        let sco_id = sco["id"].as_str().unwrap_or_default().to_owned();
        let indicator = indicator(&ctx, s, &observable.pattern);
        let indicator_id = indicator["id"].as_str().unwrap_or_default().to_owned();
        let rel = relationship(&ctx, &indicator_id, "based-on", &sco_id);
        for mut extra in scos.drain(..) {
            if let Value::Object(m) = &mut extra {
                ctx.mark(m);
            }
            push_unique(&mut body, &mut refs, &mut seen, extra);
        }
        for obj in [sco, indicator, rel] {
            push_unique(&mut body, &mut refs, &mut seen, obj);
        }
    }

    objects.push(report_object(&ctx, refs, &hits, &skipped, noise));
    objects.extend(body);
    // Bundles are not STIX objects: no spec_version, and the id only has to be unique. Derived
    // from the same key as the rest so re-exporting gives identical bytes.
    json!({
        "type": "bundle",
        "id": ctx.sdo_id("bundle", "bundle"),
        "objects": objects,
    })
}

/// Adds `obj` to the bundle body and the report's refs unless an object with its id is there.
fn push_unique(
    body: &mut Vec<Value>,
    refs: &mut Vec<String>,
    seen: &mut HashSet<String>,
    obj: Value,
) {
    let id = obj["id"].as_str().unwrap_or_default().to_owned();
    if seen.insert(id.clone()) {
        refs.push(id);
        body.push(obj);
    }
}

fn identity(ctx: &Ctx) -> Value {
    let mut m = ctx.sdo("identity", &ctx.identity);
    // A fixed creation time: the producer is the same object in every export.
    m.insert("created".into(), json!("2025-01-01T00:00:00.000Z"));
    // Bumped when the description changed (analyst review).
    m.insert("modified".into(), json!("2026-12-02T00:00:00.000Z"));
    m.insert("name".into(), json!("mitremap"));
    m.insert(
        "description".into(),
        json!(
            "mitremap: maps threat-intelligence prose to MITRE ATT&CK techniques with a local \
             language model and extracts indicators of compromise. Objects it creates are \
             machine-generated, except for the verdicts of an analyst's review, which \
             attack-patterns carry in x_mitremap_review."
        ),
    );
    m.insert("identity_class".into(), json!("system"));
    ctx.mark(&mut m);
    Value::Object(m)
}

/// The STIX 2.1 way to declare a custom top-level property: an extension definition, referenced
/// from the `extensions` of every object that carries the property.
fn evidence_extension(ctx: &Ctx) -> Value {
    let mut m = ctx.sdo("extension-definition", &evidence_extension_id());
    // Fixed: the definition is the same object in every export; `modified` and `version` move
    // when it changes (1.1.0: the optional `source` of document inputs).
    m.insert("created".into(), json!("2025-01-01T00:00:00.000Z"));
    m.insert("modified".into(), json!("2026-12-02T00:00:00.000Z"));
    m.insert("name".into(), json!("mitremap evidence"));
    m.insert(
        "description".into(),
        json!(
            "Adds x_mitremap_evidence to attack-pattern objects: the passages of the analysed \
             input in which the model predicted the technique."
        ),
    );
    m.insert(
        "schema".into(),
        json!(
            "x_mitremap_evidence: array of objects, best first, each with chunk (integer, index \
             of the passage in the analysis), start and end (integers, byte offsets of the \
             passage in the UTF-8 input, end exclusive), confidence (integer 0-100, the model's \
             score for this technique on this passage), text (string, the passage) and, when \
             the input was a document (PDF, HTML, DOCX, Markdown, e-mail), source (object: \
             where the passage starts in it: page, paragraph, section, element or part)."
        ),
    );
    m.insert("version".into(), json!("1.1.0"));
    m.insert(
        "extension_types".into(),
        json!(["toplevel-property-extension"]),
    );
    m.insert(
        "extension_properties".into(),
        json!(["x_mitremap_evidence"]),
    );
    ctx.mark(&mut m);
    Value::Object(m)
}

/// Declares `x_mitremap_review` (only in bundles of reviewed reports).
fn review_extension(ctx: &Ctx) -> Value {
    let mut m = ctx.sdo("extension-definition", &review_extension_id());
    m.insert("created".into(), json!("2026-12-02T00:00:00.000Z"));
    m.insert("modified".into(), json!("2026-12-02T00:00:00.000Z"));
    m.insert("name".into(), json!("mitremap review"));
    m.insert(
        "description".into(),
        json!(
            "Adds x_mitremap_review to attack-pattern objects: an analyst's verdict on the \
             model's prediction."
        ),
    );
    m.insert(
        "schema".into(),
        json!(
            "x_mitremap_review: object with status (string: accepted, rejected or added; added \
             means the analyst found a technique the model did not predict) and optionally note \
             (string, the analyst's note). An attack-pattern without it has no verdict yet."
        ),
    );
    m.insert("version".into(), json!("1.0.0"));
    m.insert(
        "extension_types".into(),
        json!(["toplevel-property-extension"]),
    );
    m.insert("extension_properties".into(), json!(["x_mitremap_review"]));
    ctx.mark(&mut m);
    Value::Object(m)
}

fn report_object(
    ctx: &Ctx,
    mut refs: Vec<String>,
    hits: &[TechniqueHit],
    skipped: &BTreeMap<&'static str, usize>,
    noise: usize,
) -> Value {
    let report = ctx.report;
    let mut m = ctx.sdo("report", &ctx.sdo_id("report", "report"));
    m.insert("name".into(), json!(common::input_name(report)));
    let mut description = format!(
        "Machine-generated by mitremap with model {} (ATT&CK {}) at confidence threshold {}: \
         {} technique(s) predicted.",
        common::model_label(report),
        common::attack_version(report),
        mitremap_engine::analysis::format_threshold(report.options.threshold),
        hits.len(),
    );
    if noise > 0 {
        description.push_str(&format!(
            " {noise} indicator(s) flagged as private/reserved or well-known benign were left out."
        ));
    }
    if !skipped.is_empty() {
        let list: Vec<String> = skipped.iter().map(|(k, n)| format!("{n} {k}")).collect();
        description.push_str(&format!(
            " Not representable as STIX 2.1 observables and left out: {}.",
            list.join(", ")
        ));
    }
    if report.review.is_some() {
        description.push(' ');
        description.push_str(&common::review_sentence(report));
        if !hits.is_empty() {
            let confirmed = hits.iter().filter(|h| h.review.is_confirmed()).count();
            // The producer's confidence in the report: the share an analyst confirmed.
            let share = (confirmed * 100 + hits.len() / 2) / hits.len();
            m.insert("confidence".into(), json!(share));
        }
    }
    m.insert("description".into(), json!(description));
    m.insert("report_types".into(), json!(["threat-report"]));
    m.insert("published".into(), json!(ctx.now));
    if refs.is_empty() {
        // `object_refs` must not be empty: with nothing found, the report refers to its producer.
        refs.push(ctx.identity.clone());
    }
    m.insert("object_refs".into(), json!(refs));
    let mut ext = vec![json!({
        "source_name": "mitremap-input",
        "description": "SHA-256 of the analysed input",
        "hashes": {"SHA-256": report.input.sha256},
    })];
    if let Some(model) = &report.model {
        ext.push(json!({
            "source_name": "mitremap-model",
            "description": format!("Model {} {} (ATT&CK {})", model.name, model.version, model.attack_version),
            "external_id": format!("{}@{}", model.name, model.version),
        }));
    }
    // The ATT&CK release technique IDs, names and tactics are given in (an imported one may
    // differ from the model's labels), machine-readable.
    ext.push(json!({
        "source_name": "mitremap-attack-release",
        "description": format!(
            "Techniques as in MITRE ATT&CK Enterprise {} ({} catalogue)",
            report.attack.attack_version,
            report.attack.origin_kind()
        ),
        "external_id": format!("enterprise-attack-{}", report.attack.attack_version),
    }));
    m.insert("external_references".into(), json!(ext));
    ctx.mark(&mut m);
    Value::Object(m)
}

fn attack_pattern(ctx: &Ctx, hit: &TechniqueHit) -> Value {
    let report = ctx.report;
    let id = hit
        .stix_id
        .clone()
        .unwrap_or_else(|| ctx.sdo_id("attack-pattern", &format!("technique:{}", hit.id)));
    let mut m = ctx.sdo("attack-pattern", &id);
    m.insert("name".into(), json!(hit.name));
    let chunks = hit.chunk_count;
    let predicted = format!(
        "Predicted by {} with confidence {}% in {chunks} passage(s) of {}.",
        common::model_label(report),
        percent(hit.confidence),
        common::input_name(report),
    );
    let description = match hit.review {
        ReviewStatus::Unreviewed => predicted,
        ReviewStatus::Accepted => format!("{predicted} Accepted by an analyst."),
        ReviewStatus::Rejected => format!("{predicted} Rejected by an analyst."),
        ReviewStatus::Added => format!(
            "Added by an analyst in {chunks} passage(s) of {} (the model's confidence: {}%).",
            common::input_name(report),
            percent(hit.confidence),
        ),
    };
    m.insert("description".into(), json!(description));
    m.insert(
        "external_references".into(),
        json!([{"source_name": "mitre-attack", "external_id": hit.id, "url": hit.url}]),
    );
    if !hit.tactics.is_empty() {
        let phases: Vec<Value> = common::tactics_in_order(report.attack, &hit.tactics)
            .into_iter()
            .map(|t| json!({"kill_chain_name": "mitre-attack", "phase_name": t}))
            .collect();
        m.insert("kill_chain_phases".into(), json!(phases));
    }
    let confidence = match hit.review {
        ReviewStatus::Unreviewed => percent(hit.confidence),
        ReviewStatus::Accepted | ReviewStatus::Added => 100,
        ReviewStatus::Rejected => 0,
    };
    m.insert("confidence".into(), json!(confidence));
    let ev: Vec<Value> = evidence(report, hit)
        .into_iter()
        .map(|e| {
            json!({
                "chunk": e.chunk,
                "start": e.range.start,
                "end": e.range.end,
                "confidence": percent(e.score),
                "text": e.text,
            })
        })
        .collect();
    m.insert("x_mitremap_evidence".into(), json!(ev));
    let mut extensions = Map::new();
    extensions.insert(
        evidence_extension_id(),
        json!({"extension_type": "toplevel-property-extension"}),
    );
    if let Some(review) = report.review.as_ref().filter(|_| hit.review.is_reviewed()) {
        let mut verdict = Map::new();
        verdict.insert("status".into(), json!(hit.review.as_str()));
        if let Some(note) = review.notes.get(&hit.id) {
            verdict.insert("note".into(), json!(note));
        }
        m.insert("x_mitremap_review".into(), Value::Object(verdict));
        extensions.insert(
            review_extension_id(),
            json!({"extension_type": "toplevel-property-extension"}),
        );
    }
    m.insert("extensions".into(), Value::Object(extensions));
    ctx.mark(&mut m);
    Value::Object(m)
}

fn vulnerability(ctx: &Ctx, s: &IocSummary) -> Value {
    let cve = s.value.to_ascii_uppercase();
    let mut m = ctx.sdo("vulnerability", &ctx.sdo_id("vulnerability", &cve));
    m.insert("name".into(), json!(cve));
    m.insert(
        "description".into(),
        json!(format!(
            "Mentioned {} time(s) in {}.",
            s.count,
            common::input_name(ctx.report)
        )),
    );
    m.insert(
        "external_references".into(),
        json!([{
            "source_name": "cve",
            "external_id": cve,
            "url": format!("https://www.cve.org/CVERecord?id={cve}"),
        }]),
    );
    ctx.mark(&mut m);
    Value::Object(m)
}

fn indicator(ctx: &Ctx, s: &IocSummary, pattern: &str) -> Value {
    let key = format!("{}:{}", s.kind.as_str(), s.value);
    let mut m = ctx.sdo("indicator", &ctx.sdo_id("indicator", &key));
    m.insert(
        "name".into(),
        json!(format!("{}: {}", s.kind.label(), s.value)),
    );
    m.insert(
        "description".into(),
        json!(format!(
            "Extracted from {} ({} occurrence(s), first at byte {}).",
            common::input_name(ctx.report),
            s.count,
            s.first
        )),
    );
    m.insert("indicator_types".into(), json!(["unknown"]));
    m.insert("pattern".into(), json!(pattern));
    m.insert("pattern_type".into(), json!("stix"));
    m.insert("pattern_version".into(), json!("2.1"));
    m.insert("valid_from".into(), json!(ctx.now));
    ctx.mark(&mut m);
    Value::Object(m)
}

fn relationship(ctx: &Ctx, source: &str, ty: &str, target: &str) -> Value {
    let key = format!("{source} {ty} {target}");
    let mut m = ctx.sdo("relationship", &ctx.sdo_id("relationship", &key));
    m.insert("relationship_type".into(), json!(ty));
    m.insert("source_ref".into(), json!(source));
    m.insert("target_ref".into(), json!(target));
    ctx.mark(&mut m);
    Value::Object(m)
}

/// An SCO: `type`, `spec_version`, deterministic `id`, then its properties. SCOs have no
/// `created_by_ref` in STIX 2.1 (they are facts, not claims); markings still apply.
fn sco_object(ctx: &Ctx, ty: &str, props: Vec<(&'static str, Value)>) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!(ty));
    m.insert("spec_version".into(), json!("2.1"));
    m.insert("id".into(), json!(sco_id(ty, &props)));
    for (k, v) in props {
        m.insert(k.into(), v);
    }
    ctx.mark(&mut m);
    Value::Object(m)
}

/// The deterministic SCO id: UUIDv5 in the STIX namespace over the JCS (RFC 8785) serialisation
/// of the ID-contributing properties. Every property passed here contributes.
pub fn sco_id(ty: &str, props: &[(&'static str, Value)]) -> String {
    let mut sorted: Vec<&(&str, Value)> = props.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut s = String::from("{");
    for (i, (k, v)) in sorted.into_iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&jcs(&json!(k)));
        s.push(':');
        s.push_str(&jcs(v));
    }
    s.push('}');
    format!("{ty}--{}", Uuid::new_v5(&SCO_NAMESPACE, s.as_bytes()))
}

/// RFC 8785 canonical JSON for the values SCO ids use (strings, integers, objects of those):
/// object keys sorted, no whitespace; serde_json's string escaping matches JCS (only `"`, `\` and
/// controls escaped, `\u00xx` lower-case, the short forms for `\b\f\n\r\t`).
fn jcs(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            // JCS sorts by UTF-16 code units; identical to byte order for the ASCII keys used here.
            keys.sort();
            let body: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", jcs(&json!(k)), jcs(&map[k])))
                .collect();
            format!("{{{}}}", body.join(","))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(jcs).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

/// How one IoC maps to STIX: the SCO's type and properties, any other SCO it refers to, and the
/// matching pattern.
struct Observable {
    ty: &'static str,
    props: Vec<(&'static str, Value)>,
    extra: Vec<Value>,
    pattern: String,
}

/// A string literal in a STIX pattern: single-quoted, `\` and `'` escaped.
pub fn pattern_literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn simple(ty: &'static str, value: &str) -> Observable {
    Observable {
        ty,
        props: vec![("value", json!(value))],
        extra: Vec::new(),
        pattern: format!("[{ty}:value = {}]", pattern_literal(value)),
    }
}

fn hash(algorithm: &'static str, value: &str, quoted: bool) -> Observable {
    let value = value.to_ascii_lowercase();
    let path = if quoted {
        format!("'{algorithm}'")
    } else {
        algorithm.to_owned()
    };
    Observable {
        ty: "file",
        props: vec![("hashes", json!({ algorithm: value }))],
        extra: Vec::new(),
        pattern: format!("[file:hashes.{path} = {}]", pattern_literal(&value)),
    }
}

/// The SCO and pattern of an IoC, or `None` for kinds STIX 2.1 has no observable for.
fn observable(s: &IocSummary) -> Option<Observable> {
    let v = s.value.as_str();
    Some(match s.kind {
        IocKind::Ipv4 | IocKind::Ipv4Cidr => simple("ipv4-addr", v),
        IocKind::Ipv6 => simple("ipv6-addr", v),
        IocKind::Domain => simple("domain-name", v),
        IocKind::Url => simple("url", &uri_safe(v)),
        IocKind::Email => simple("email-addr", v),
        IocKind::Mac => simple("mac-addr", &mac48(v)?),
        IocKind::Md5 => hash("MD5", v, false),
        IocKind::Sha1 => hash("SHA-1", v, true),
        IocKind::Sha256 => hash("SHA-256", v, true),
        IocKind::Sha512 => hash("SHA-512", v, true),
        IocKind::Ssdeep => {
            // ssdeep digests are case-sensitive base64: keep the value as extracted.
            Observable {
                ty: "file",
                props: vec![("hashes", json!({ "SSDEEP": v }))],
                extra: Vec::new(),
                pattern: format!("[file:hashes.SSDEEP = {}]", pattern_literal(v)),
            }
        }
        IocKind::FileName => Observable {
            ty: "file",
            props: vec![("name", json!(v))],
            extra: Vec::new(),
            pattern: format!("[file:name = {}]", pattern_literal(v)),
        },
        IocKind::WindowsPath | IocKind::UnixPath => {
            path_observable(v, s.kind == IocKind::WindowsPath)
        }
        IocKind::RegistryKey => {
            let key = expand_hive(v);
            Observable {
                ty: "windows-registry-key",
                props: vec![("key", json!(key))],
                extra: Vec::new(),
                pattern: format!("[windows-registry-key:key = {}]", pattern_literal(&key)),
            }
        }
        IocKind::Asn => {
            let digits = v.trim_start_matches(|c: char| {
                c.eq_ignore_ascii_case(&'a') || c.eq_ignore_ascii_case(&'s')
            });
            let number: u32 = digits.parse().ok()?;
            Observable {
                ty: "autonomous-system",
                props: vec![("number", json!(number))],
                extra: Vec::new(),
                pattern: format!("[autonomous-system:number = {number}]"),
            }
        }
        // TLSH is in the STIX 2.1 hash-algorithm vocabulary, as the 70 hex digits of the digest
        // (the spec's `^[a-zA-Z0-9]{70}$`): the `T1` version prefix of current TLSH is dropped.
        IocKind::Tlsh => {
            let digest = match v.len() {
                72 if v.starts_with("T1") => &v[2..],
                70 => v,
                _ => return None,
            };
            Observable {
                ty: "file",
                props: vec![("hashes", json!({ "TLSH": digest }))],
                extra: Vec::new(),
                pattern: format!("[file:hashes.TLSH = {}]", pattern_literal(digest)),
            }
        }
        // No STIX 2.1 observable (imphash/authentihash are not in the hash vocabulary, JA3/JA4 and
        // user agents would need network-traffic extensions): left out of the bundle, like CVEs.
        IocKind::Cve
        | IocKind::BtcAddress
        | IocKind::XmrAddress
        | IocKind::AttackId
        | IocKind::YaraRule
        | IocKind::Imphash
        | IocKind::Authentihash
        | IocKind::Ja3
        | IocKind::Ja3s
        | IocKind::Ja4
        | IocKind::UserAgent
        | IocKind::Xmpp
        | IocKind::AnalyticsId => return None,
    })
}

/// A file path: a `file` (name) in a `directory` (path); a path ending in a separator is just the
/// `directory`.
fn path_observable(path: &str, windows: bool) -> Observable {
    let seps: &[char] = if windows { &['\\', '/'] } else { &['/'] };
    match path.rfind(seps) {
        Some(i) if i + 1 < path.len() => {
            let (dir, name) = (&path[..i], &path[i + 1..]);
            let dir = if dir.is_empty() || (windows && dir.ends_with(':')) {
                &path[..=i]
            } else {
                dir
            };
            let dir_props = vec![("path", json!(dir))];
            let dir_id = sco_id("directory", &dir_props);
            let dir_obj =
                json!({"type": "directory", "spec_version": "2.1", "id": dir_id, "path": dir});
            Observable {
                ty: "file",
                props: vec![
                    ("name", json!(name)),
                    ("parent_directory_ref", json!(dir_id)),
                ],
                extra: vec![dir_obj],
                pattern: format!(
                    "[file:name = {} AND file:parent_directory_ref.path = {}]",
                    pattern_literal(name),
                    pattern_literal(dir)
                ),
            }
        }
        _ => Observable {
            ty: "directory",
            props: vec![("path", json!(path))],
            extra: Vec::new(),
            pattern: format!("[directory:path = {}]", pattern_literal(path)),
        },
    }
}

/// A URL as STIX's `url:value` requires it, a valid RFC 3986 URI: bytes outside the URI character
/// set (non-ASCII, spaces, backslash, `|`, `{`, …) and stray `%` are percent-encoded.
fn uri_safe(v: &str) -> String {
    const KEEP: &[u8] = b"-._~:/?#[]@!$&'()*+,;=";
    let b = v.as_bytes();
    let mut out = String::with_capacity(v.len());
    for (i, &c) in b.iter().enumerate() {
        let escape_ok = c == b'%'
            && b.len() > i + 2
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit();
        if c.is_ascii_alphanumeric() || KEEP.contains(&c) || escape_ok {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

/// Registry hives written out in full, as STIX requires (`HKLM\…` -> `HKEY_LOCAL_MACHINE\…`).
fn expand_hive(key: &str) -> String {
    const HIVES: [(&str, &str); 5] = [
        ("HKLM", "HKEY_LOCAL_MACHINE"),
        ("HKCU", "HKEY_CURRENT_USER"),
        ("HKCR", "HKEY_CLASSES_ROOT"),
        ("HKU", "HKEY_USERS"),
        ("HKCC", "HKEY_CURRENT_CONFIG"),
    ];
    let (hive, rest) = key.split_once('\\').unwrap_or((key, ""));
    let full = HIVES
        .iter()
        .find(|(short, _)| short.eq_ignore_ascii_case(hive))
        .map_or_else(|| hive.to_owned(), |(_, long)| (*long).to_owned());
    if rest.is_empty() && !key.contains('\\') {
        full
    } else {
        format!("{full}\\{rest}")
    }
}

/// A MAC-48 address as STIX wants it: lower-case, colon-separated, leading zeros kept.
fn mac48(v: &str) -> Option<String> {
    let hex: String = v.chars().filter(char::is_ascii_hexdigit).collect();
    if hex.len() != 12 {
        return None;
    }
    let hex = hex.to_ascii_lowercase();
    Some(
        (0..6)
            .map(|i| &hex[i * 2..i * 2 + 2])
            .collect::<Vec<_>>()
            .join(":"),
    )
}

impl Tlp {
    /// The OASIS TLP 2.0 marking-definition object, verbatim (`cti-stix-common-objects`).
    pub fn marking_definition(self) -> Value {
        json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": self.stix_id(),
            "created": "2022-10-01T00:00:00.000Z",
            "name": self.label(),
            "extensions": {
                TLP2_EXTENSION: {
                    "extension_type": "property-extension",
                    "tlp_2_0": self.name(),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_literals_escape_quotes_and_backslashes() {
        assert_eq!(
            pattern_literal(r"HKEY_LOCAL_MACHINE\Run"),
            r"'HKEY_LOCAL_MACHINE\\Run'"
        );
        assert_eq!(pattern_literal("it's"), r"'it\'s'");
    }

    #[test]
    fn sco_ids_match_the_oasis_stix2_library() {
        // Expected ids computed with the OASIS `stix2` Python library (3.0), which implements
        // STIX 2.1 §2.9 (UUIDv5, SCO namespace, JCS over the ID-contributing properties).
        assert_eq!(
            sco_id("ipv4-addr", &[("value", json!("185.220.101.45"))]),
            "ipv4-addr--baba264e-d558-5d92-bd06-385a02755e25"
        );
        assert_eq!(
            sco_id(
                "file",
                &[(
                    "hashes",
                    json!({"SHA-256": "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"})
                )]
            ),
            "file--00f91c70-2975-500a-919c-fe3a0d6c125a"
        );
        let dir = sco_id("directory", &[("path", json!(r"C:\Users\Public"))]);
        assert_eq!(dir, "directory--9cbb5121-7a48-5719-8f2f-170809992f9b");
        assert_eq!(
            sco_id(
                "file",
                &[
                    ("name", json!("svchost.exe")),
                    ("parent_directory_ref", json!(dir))
                ]
            ),
            "file--539a8bdd-a759-500c-8122-d5ac59b65f78"
        );
        assert_eq!(
            sco_id(
                "windows-registry-key",
                &[(
                    "key",
                    json!(
                        r"HKEY_LOCAL_MACHINE\Software\Microsoft\Windows\CurrentVersion\Run\Updater"
                    )
                )]
            ),
            "windows-registry-key--2633b0a7-1d86-5a41-872d-475c5c3487fe"
        );
        assert_eq!(
            sco_id("autonomous-system", &[("number", json!(13335))]),
            "autonomous-system--0204c07d-e4dd-5f14-a3d5-c93cb1c5a9fc"
        );
        assert_eq!(
            sco_id("mac-addr", &[("value", json!("00:1a:2b:3c:4d:5e"))]),
            "mac-addr--8bbba7bb-0054-556b-a740-4d38221678a8"
        );
        assert_eq!(
            sco_id(
                "url",
                &[(
                    "value",
                    json!("https://update.evil-corp.net/gate.php?id=7&k=")
                )]
            ),
            "url--6cdaeca7-c55b-53f4-bb71-0e4898014f12"
        );
    }

    #[test]
    fn urls_are_made_valid_uris() {
        assert_eq!(
            uri_safe("https://a.example/x?y=1&z=%20"),
            "https://a.example/x?y=1&z=%20"
        );
        assert_eq!(
            uri_safe(r"http://a.example/a b\c|ü%zz"),
            "http://a.example/a%20b%5Cc%7C%C3%BC%25zz"
        );
    }

    #[test]
    fn hives_are_expanded_and_macs_normalised() {
        assert_eq!(
            expand_hive(r"HKLM\Software\X"),
            r"HKEY_LOCAL_MACHINE\Software\X"
        );
        assert_eq!(expand_hive(r"hkcu\Run"), r"HKEY_CURRENT_USER\Run");
        assert_eq!(expand_hive(r"HKEY_USERS\S-1"), r"HKEY_USERS\S-1");
        assert_eq!(
            mac48("00-1A-2B-3C-4D-5E").as_deref(),
            Some("00:1a:2b:3c:4d:5e")
        );
        assert_eq!(
            mac48("001a.2b3c.4d5e").as_deref(),
            Some("00:1a:2b:3c:4d:5e")
        );
        assert_eq!(mac48("00:1a"), None);
    }

    #[test]
    fn paths_split_into_file_and_directory() {
        let o = path_observable(r"C:\Users\Public\svchost.exe", true);
        assert_eq!(
            o.pattern,
            r"[file:name = 'svchost.exe' AND file:parent_directory_ref.path = 'C:\\Users\\Public']"
        );
        let o = path_observable("/tmp/.x/", false);
        assert_eq!(o.ty, "directory");
        let o = path_observable("/run.sh", false);
        assert_eq!(o.extra[0]["path"], "/");
    }
}
