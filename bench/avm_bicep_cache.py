#!/usr/bin/env python3
"""Measures `--bicep-cache` on the Azure Verified Modules (AVM) Bicep repository.

Builds a Bicep module cache from the repository's own compiled modules: for
each `br/public:avm/<path>:<version>` reference in a `.bicep` file, the
module's `avm/<path>/main.json` is copied to where `bicep restore` would put
it (`br/mcr.microsoft.com/bicep$avm$<path, '/' as '$'>/<version>$/main.json`;
the version in the repository stands in for the tagged one). Then, for every
e2e test (`avm/**/tests/e2e/**/main.test.bicep`) whose local-module closure
calls the registry's private-endpoint module, it runs plinth with and
without the cache and a throwaway rule reporting every private endpoint, and
counts the tests in which at least one endpoint is visible.

    bench/avm_bicep_cache.py [AVM_CHECKOUT] [PLINTH]
        # defaults: /work/corpus/avm, target/release/plinth

Everything it writes goes to a temporary folder, removed at the end.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

avm = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/corpus/avm").resolve()
plinth = str(Path(sys.argv[2] if len(sys.argv) > 2 else "target/release/plinth").resolve())
PE = "avm/res/network/private-endpoint"
REF = re.compile(r"'br/public:(avm/[^':]+):([^']+)'")
LOCAL = re.compile(r"^\s*module\s+\w+\s+'([^':]+\.bicep)'", re.M)

RULE = """id: BENCH001
name: every-private-endpoint
severity: info
title: A private endpoint plinth sees
description: Reports every private endpoint, for counting.
rationale: Measurement only.
remediation: None.
check:
  - for: pe in resources('Microsoft.Network/privateEndpoints')
report:
  at: pe
  message: "private endpoint '{leaf(pe)}'"
"""


def text(path):
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def build_cache(root):
    placed = missing = 0
    seen = set()
    for bicep in avm.rglob("*.bicep"):
        for path, version in REF.findall(text(bicep)):
            if (path, version) in seen:
                continue
            seen.add((path, version))
            compiled = avm / path / "main.json"
            if not compiled.is_file():
                missing += 1
                continue
            folder = root / "br" / "mcr.microsoft.com" / ("bicep$" + path.replace("/", "$")) / (version + "$")
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(compiled, folder / "main.json")
            placed += 1
    return placed, missing


def calls_pe(bicep, seen=None):
    seen = set() if seen is None else seen
    if bicep in seen:
        return False
    seen.add(bicep)
    body = text(bicep)
    if f"br/public:{PE}:" in body:
        return True
    return any(calls_pe((bicep.parent / m).resolve(), seen) for m in LOCAL.findall(body))


def endpoints(test, rules, cache):
    # The test's folder, not the file: findings of a unit inside a folder
    # asked for are reported wherever its modules (and the cache) put them,
    # while a file named alone reports only its own lines.
    args = [plinth, "check", "--no-config", "--rules", str(rules), "--select", "BENCH001", "--format", "json", str(test.parent)]
    if cache:
        args[2:2] = ["--bicep-cache", str(cache)]
    out = subprocess.run(args, capture_output=True, text=True).stdout
    try:
        return len(json.loads(out)["findings"])
    except (ValueError, KeyError):
        return -1


def main():
    work = Path(tempfile.mkdtemp(prefix="plinth-avm-cache-"))
    try:
        cache, rules = work / "cache", work / "rules"
        rules.mkdir()
        (rules / "BENCH001.yaml").write_text(RULE)
        placed, missing = build_cache(cache)
        print(f"cache: {placed} module versions placed, {missing} references without a main.json in the repo")
        tests = sorted(avm.glob("avm/**/tests/e2e/**/main.test.bicep"))
        users = [t for t in tests if calls_pe(t.resolve())]
        print(f"e2e tests: {len(tests)}; calling the private-endpoint module (through local modules): {len(users)}")
        without = with_cache = 0
        blind = []
        for test in users:
            if endpoints(test, rules, None) > 0:
                without += 1
            if endpoints(test, rules, cache) > 0:
                with_cache += 1
            else:
                blind.append(test.relative_to(avm))
        share = 100.0 * with_cache / len(users) if users else 0.0
        print(f"private endpoints visible: without the cache {without}, with it {with_cache} ({share:.1f}%)")
        for test in blind:
            print(f"  still none: {test}")
    finally:
        if not os.environ.get("KEEP"):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")


main()
