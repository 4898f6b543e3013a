#!/usr/bin/env python3
"""Reduce MITRE's ATT&CK Enterprise technique list to what mitremap embeds in its binary.

Usage: python3 tools/build_attack_catalog.py ../shared/data/attack_enterprise_v18.1_techniques.jsonl \
           crates/mitremap-engine/data/attack-enterprise.json
Keeps id, name, parent, tactics, status, replacement and MITRE's STIX id; drops descriptions.
"""
import json
import sys

NOTICE = ("\u00a9 2025 The MITRE Corporation. This work is reproduced and distributed "
          "with the permission of The MITRE Corporation.")
# Kill-chain order of the Enterprise matrix, as the ATT&CK Navigator shows it.
TACTICS = [
    ("TA0043", "reconnaissance", "Reconnaissance"),
    ("TA0042", "resource-development", "Resource Development"),
    ("TA0001", "initial-access", "Initial Access"),
    ("TA0002", "execution", "Execution"),
    ("TA0003", "persistence", "Persistence"),
    ("TA0004", "privilege-escalation", "Privilege Escalation"),
    ("TA0005", "defense-evasion", "Defense Evasion"),
    ("TA0006", "credential-access", "Credential Access"),
    ("TA0007", "discovery", "Discovery"),
    ("TA0008", "lateral-movement", "Lateral Movement"),
    ("TA0009", "collection", "Collection"),
    ("TA0011", "command-and-control", "Command and Control"),
    ("TA0010", "exfiltration", "Exfiltration"),
    ("TA0040", "impact", "Impact"),
]


def main(src: str, dst: str) -> None:
    techniques = []
    with open(src, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            techniques.append({
                "id": row["id"],
                "name": row["name"],
                "parent": row["parent"],
                "tactics": row["tactic_shortnames"],
                "status": row["status"],
                "replaced_by": row["replaced_by"],
                "stix_id": row["stix_id"],
            })
    techniques.sort(key=lambda t: t["id"])
    out = {
        "attack_version": "18.1",
        "domain": "enterprise-attack",
        "source": "mitre/cti commit 421deacb77 (2025-11-13)",
        "notice": NOTICE,
        "tactics": [{"id": i, "shortname": s, "name": n} for i, s, n in TACTICS],
        "techniques": techniques,
    }
    with open(dst, "w", encoding="utf-8") as fh:
        json.dump(out, fh, ensure_ascii=False, separators=(",", ":"))
        fh.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
