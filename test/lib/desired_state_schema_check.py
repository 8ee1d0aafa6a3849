#!/usr/bin/env python3
"""Checks docs/schema/*.schema.json against the validator (`agentctl validate`) so they cannot drift.

1. Every example (docs/examples/*.json), every test spec (test/data/*.json.in, its @DEVICE@-style
   placeholders replaced as the scenarios do) and test/data/desired-state/valid/*.json: both the
   validator and the schema accept it.
2. test/data/desired-state/invalid/*.json (one field-level mistake each): both refuse it.
   test/data/desired-state/semantic/*.json (a rule across fields): the validator refuses it; the
   schema may accept it (the one allowed difference, named in the schema's description).
3. Mutants of four valid documents that hold every section (each member removed, an unknown
   member added, each value replaced by values of other types and at the edges of ranges):
   whenever the validator accepts one, the schema must accept it too. Prints every document on
   which they disagree.

Usage: desired_state_schema_check.py --agentctl PATH [--source DIR]
Exit 0 when they agree, 1 otherwise.
"""

import argparse
import concurrent.futures
import copy
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import jsonschema

STRINGS = ["", "-x", "x.Y_z", "/etc/x", "/srv/a b", "198.18.0.9", "n" * 65, "sha256:" + "a" * 64]
INTEGERS = [0, -1, 1, 3, 65536, 9007199254740992]
OTHER_TYPES = [None, 1.5, "1", True, []]
# Mutated: documents that together hold every section and both kinds of brick.
MUTATED = ["docs/examples/ec2-galera.json", "test/data/desired-state/valid/every-section.json",
           "test/data/desired-state/valid/arbiter-directory-bricks.json",
           "test/data/desired-state/valid/minimal.json"]


def mutants(document):
    """(description, mutant) pairs: one change each."""
    out = []

    def walk(node, path, setter):
        if isinstance(node, dict):
            for key in list(node):
                def remove(doc, key=key, path=path):
                    target = get(doc, path)
                    del target[key]
                out.append((f"remove {fmt(path + [key])}", apply_change(document, remove)))
            out.append((f"add {fmt(path + ['bogusField'])}",
                        apply_change(document, lambda doc, path=path: get(doc, path).update(bogusField=1))))
            for key, value in node.items():
                walk(value, path + [key], None)
        elif isinstance(node, list):
            replace(path, [])
            if node:
                out.append((f"repeat first of {fmt(path)}",
                            apply_change(document, lambda doc, path=path: get(doc, path).append(copy.deepcopy(get(doc, path)[0])))))
                for index, value in enumerate(node):
                    walk(value, path + [index], None)
            replace(path, ["x"])
        else:
            candidates = list(OTHER_TYPES)
            if isinstance(node, bool):
                candidates += [not node, 0, "true"]
            elif isinstance(node, int):
                candidates += INTEGERS + [node - 1, node + 1]
            elif isinstance(node, str):
                candidates += STRINGS + [node + "x", "-" + node]
            for value in candidates:
                if value != node or type(value) is not type(node):
                    replace(path, value)

    def replace(path, value):
        def change(doc, path=path, value=value):
            parent = get(doc, path[:-1])
            parent[path[-1]] = copy.deepcopy(value)
        out.append((f"set {fmt(path)} = {json.dumps(value)[:40]}", apply_change(document, change)))

    walk(document, [], None)
    return out


def get(doc, path):
    for key in path:
        doc = doc[key]
    return doc


def fmt(path):
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text or "document"


def apply_change(document, change):
    doc = copy.deepcopy(document)
    change(doc)
    return doc


class Validator:
    def __init__(self, agentctl, workdir):
        self.agentctl = agentctl
        self.workdir = workdir
        self.count = 0

    def accepts(self, document_text):
        fd, path = tempfile.mkstemp(suffix=".json", dir=self.workdir)
        with os.fdopen(fd, "w") as f:
            f.write(document_text)
        try:
            result = subprocess.run([self.agentctl, "validate", path], capture_output=True, timeout=60)
        finally:
            os.unlink(path)
        if result.returncode not in (0, 1):
            raise RuntimeError(f"agentctl validate exited {result.returncode}: {result.stderr!r}")
        return result.returncode == 0


def load_spec(path):
    text = open(path).read()
    if path.endswith(".json.in"):
        devices = {}
        text = re.sub(r"@([A-Z0-9_]+)@", lambda m: devices.setdefault(m.group(1), f"/dev/loop{len(devices) + 7}"), text)
    return text


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agentctl", required=True)
    parser.add_argument("--source", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    args = parser.parse_args()
    source = os.path.abspath(args.source)
    schema = json.load(open(os.path.join(source, "docs/schema/desired-state.schema.json")))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator.check_schema(
        json.load(open(os.path.join(source, "docs/schema/status.schema.json"))))
    checker = jsonschema.Draft202012Validator(schema)
    corpus = os.path.join(source, "test/data/desired-state")
    valid = sorted(glob.glob(os.path.join(source, "docs/examples/*.json")) +
                   glob.glob(os.path.join(source, "test/data/*.json.in")) +
                   glob.glob(os.path.join(corpus, "valid/*.json")))
    problems = []
    with tempfile.TemporaryDirectory(prefix="schema-check-") as workdir:
        validator = Validator(args.agentctl, workdir)

        def schema_errors(document):
            return [f"{e.json_path}: {e.message[:160]}" for e in checker.iter_errors(document)]

        documents = []
        for path in valid:
            text = load_spec(path)
            name = os.path.relpath(path, source)
            if not validator.accepts(text):
                problems.append(f"{name}: the validator refuses it (the corpus says valid)")
            errors = schema_errors(json.loads(text))
            if errors:
                problems.append(f"{name}: the schema refuses a valid document: {errors[0]}")
            documents.append((name, json.loads(text)))
        for kind in ("invalid", "semantic"):
            for path in sorted(glob.glob(os.path.join(corpus, kind, "*.json"))):
                text = open(path).read()
                name = os.path.relpath(path, source)
                if validator.accepts(text):
                    problems.append(f"{name}: the validator accepts it (the corpus says {kind})")
                if kind == "invalid" and not schema_errors(json.loads(text)):
                    problems.append(f"{name}: the schema accepts it; it should catch this field-level mistake")

        # Mutants: the validator accepting what the schema refuses is the one disagreement that
        # must never happen, so the validator is asked about the mutants the schema refuses.
        # The same change of another element of a list (nodes[1] after nodes[0]) adds nothing.
        cases, seen = [], set()
        for name, document in documents:
            if name not in MUTATED:
                continue
            for what, mutant in mutants(document):
                shape = re.sub(r"\[\d+\]", "[]", what)
                if shape not in seen:
                    seen.add(shape)
                    cases.append((name, what, mutant))
        refused = [(name, what, errors[0], mutant) for name, what, mutant in cases
                   for errors in [schema_errors(mutant)] if errors]

        def judge(case):
            return case, validator.accepts(json.dumps(case[3]))

        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            for (name, what, error, _), accepted in pool.map(judge, refused):
                if accepted:
                    problems.append(f"{name} with {what}: the validator accepts it, the schema refuses it: {error}")
    for problem in problems:
        print("DISAGREE:", problem)
    print(f"{len(valid)} valid documents, {len(cases)} mutants ({len(refused)} refused by the "
          f"schema, each checked with agentctl validate); {len(problems)} disagreements")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
