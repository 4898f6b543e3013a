"""Runs the OASIS STIX 2.1 validator (PyPI `stix2-validator`) on one bundle; prints JSON.

Usage: python3 stix_validator.py BUNDLE.json
Output: {"valid": bool, "errors": [str], "warnings": [str]}.
Exit status 3 when the validator is not installed.
"""
import json
import sys

try:
    from stix2validator import ValidationOptions, validate_file
except ImportError:
    print("stix2-validator is not installed: pip install stix2-validator", file=sys.stderr)
    sys.exit(3)

results = validate_file(sys.argv[1], ValidationOptions(version="2.1", strict=False))
errors, warnings = [], []
for obj in results.object_results or []:
    errors += [str(e) for e in obj.errors]
    warnings += [str(w) for w in obj.warnings]
if getattr(results, "fatal", None):
    errors.append(f"fatal: {results.fatal}")
print(json.dumps({"valid": bool(results.is_valid), "errors": errors, "warnings": warnings}))
