#!/usr/bin/env python3
"""Validate JSON documents against a JSON Schema (2020-12) with the `jsonschema` package.

Usage: python3 scripts/validate_schema.py SCHEMA FILE...
  A FILE ending in .jsonl holds one document per non-empty line; any other FILE holds one document.
Exit status: 0 when every document is valid, 1 when any is invalid (each error is printed),
2 on usage errors or unreadable files. Test-time only (scripts/requirements-test.txt).
"""
import json
import sys

from jsonschema import Draft202012Validator


def documents(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".jsonl"):
        for number, line in enumerate(data.splitlines(), 1):
            if line.strip():
                yield f"{path}:{number}", json.loads(line)
    else:
        yield path, json.loads(data)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], "rb") as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    invalid = 0
    checked = 0
    for path in argv[2:]:
        try:
            for name, doc in documents(path):
                checked += 1
                errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
                for e in errors:
                    pointer = "/" + "/".join(str(p) for p in e.absolute_path)
                    print(f"{name}: {pointer}: {e.message}")
                if errors:
                    invalid += 1
        except (OSError, ValueError) as e:
            print(f"{path}: cannot read: {e}", file=sys.stderr)
            return 2
    print(f"{checked - invalid}/{checked} valid against {argv[1]}")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
