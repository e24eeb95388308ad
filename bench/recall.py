#!/usr/bin/env python3
"""plinth's recall benchmark: inject the mistakes plinth exists to catch into
real public templates that were clean, and count how many it reports.

    bench/recall.py [--plinth target/release/plinth] [--avm /work/corpus/avm]
                    [--azurerm-examples /work/corpus/azurerm-examples]
                    [--arm-dir DIR]... [--work /tmp/plinth-recall]
                    [--limit N] [--jobs 2] [--json] [--report FILE]

Python 3 standard library only. The corpora are public repositories fetched
for measurement and never committed; every copy, mutated or not, is written
under --work (outside the repository), and the copies of missed injections
are kept there for reading (`plinth check --show-unknown <copy>`).

Units (what plinth is given, as a user would run it)
----------------------------------------------------
- ARM: each compiled `avm/{res,ptn}/**/main.json` of the Azure Verified
  Modules checkout, and each ARM template under --arm-dir (for example an
  Azure quickstarts checkout), copied alone with its `X.parameters.json`
  (or `azuredeploy.parameters.json`) when there is one.
- Bicep: each AVM e2e test folder (`tests/e2e/<name>/`: `main.test.bicep`,
  `dependencies.bicep`, ...) with the closure of local files it reads
  (modules, imports, `load*Content` files, `bicepconfig.json`), checked as a
  folder with `--bicep-cache` pointing at a cache built from the checkout's
  own compiled modules (as `bicep restore` would fill it), so that
  `br/public:avm/...` modules, the private-endpoint module above all, are read.
- Terraform: each folder of the azurerm provider's examples with `.tf`
  files (a module) with the local modules it calls.
Only units that mention private endpoints, private DNS zones or PostgreSQL
flexible servers are taken; --limit N keeps the first N of them per
front-end, in sorted order. Nothing is random.

Faults, expected rules and when a fault "applies"
-------------------------------------------------
A fault is injected only where a careful reviewer could prove the mistake
from the files plinth is given, and only into a unit on which plinth reports
none of the expected rules before the mutation ("clean"). A hit is an
expected rule reported more often on the mutated copy than on the original.

1. zone-name -> PE004. A private DNS zone declared in the unit whose name
   is a literal `privatelink.<...>` (ARM: in the name, or in the variable,
   parameter default or nested-deployment parameter value it names; Bicep and
   Terraform: a string literal without interpolation), in a unit that also
   declares a DNS zone group. Mutation: that literal replaced everywhere in
   the unit's editable files by a plausible wrong zone (blob<->file, else
   windows.net<->azure.net, azure.com->azure.net), checked against the
   zone table so that it is no recommended zone of any service. At most 3
   zones per unit. Bicep: the zone group must be wired in the test folder's
   own files (a module's support for zone groups is not a use).
2. zone-links -> PE006 or DNS009. Same applicability as 1, and the unit
   declares at least one virtual network link. Mutation: every
   `privateDnsZones/virtualNetworkLinks` resource removed (Bicep: the block;
   also the `virtualNetworkLinks` parameter of a private-dns-zone module
   call; Terraform: `azurerm_private_dns_zone_virtual_network_link` blocks),
   with the `dependsOn`/`depends_on` entries naming them; a unit where
   something else still refers to a removed link is not injected.
3. zone-group -> PE005. The unit declares a private endpoint and a zone
   group for it (a `privateDnsZoneGroups` resource, a `privateDnsZoneGroup`
   parameter of an endpoint passed to a module, a `private_dns_zone_group`
   block). Mutation: all of them removed.
4. nsg-policies -> PE002. The unit declares a private endpoint and the
   subnets of a virtual network. Mutation: every subnet the unit declares
   gets `privateEndpointNetworkPolicies: 'Disabled'` and, when it has none,
   a network security group the mutation declares (Terraform:
   `private_endpoint_network_policies = "Disabled"`, the legacy attributes
   removed, and an `azurerm_subnet_network_security_group_association`).
   Terraform: the endpoint's `subnet_id` must not be a bare `var.` (a
   subnet given from outside).
5. pg-endpoint -> PG001. A PostgreSQL flexible server declared in the unit
   with a delegated subnet (ARM: `delegatedSubnetResourceId` not built with
   `if()`/`null()`; Bicep: a resource with it set, or a call of AVM's
   flexible-server module passing it; Terraform: `delegated_subnet_id` not
   a bare `var.`). Mutation: a private endpoint on it, declared as the
   unit declares its other resources (ARM/Terraform/Bicep resource: a new
   `privateEndpoints` resource whose connection names the server; AVM
   module call: a call of the registry's private-endpoint module beside it,
   on the module's `resourceId` output, since the module deploys its own
   `privateEndpoints` only when no delegated subnet is given).

ARM applicability is conservative: a resource inside a `copy` loop or under
a `condition` (at any nesting level, nested deployments included) is not
counted as declared, since proving that it is deployed needs evaluation.

Output: a Markdown table on stdout (or JSON with --json), and a report
(--report, default WORK/report.md) listing every miss with its mutated copy
and its first broken link as `plinth graph --format json` draws the
endpoints of the mutated copy (no endpoint seen; target, subnet or zone
unknown; no zone group tied to the endpoint; the unit incomplete; or the
chain resolved, so the rule itself decided not to report), every error or
warning on the unmutated units (the false-positive check), and the
mutations plinth could not read. "Private endpoints seen" counts, with a
throwaway rule, the endpoints the rules see as declared (`managed`).
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

FAULTS = [
    ("zone-name", ("PE004",)),
    ("zone-links", ("PE006", "DNS009")),
    ("zone-group", ("PE005",)),
    ("nsg-policies", ("PE002",)),
    ("pg-endpoint", ("PG001",)),
]
EXPECTED = dict(FAULTS)
FRONT_ENDS = ("arm", "bicep", "terraform")

COUNT_RULE = """id: BENCH001
name: every-private-endpoint
severity: info
title: A private endpoint plinth sees
description: Reports every private endpoint, for counting.
rationale: Measurement only.
remediation: None.
check:
  - for: pe in resources('Microsoft.Network/privateEndpoints')
  - where: managed(pe)
report:
  at: pe
  message: "private endpoint '{leaf(pe)}'"
"""

RELEVANT = re.compile(
    r"privateEndpoints|privateDnsZone|flexibleServers|delegatedSubnetResourceId"
    r"|azurerm_private_endpoint|azurerm_private_dns_zone|azurerm_postgresql_flexible_server",
    re.I,
)
ZONE_LITERAL = re.compile(r"privatelink\.[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PE_TYPE = "microsoft.network/privateendpoints"
ZONE_TYPE = "microsoft.network/privatednszones"
LINK_TYPE = "microsoft.network/privatednszones/virtualnetworklinks"
GROUP_TYPE = "microsoft.network/privateendpoints/privatednszonegroups"
VNET_TYPE = "microsoft.network/virtualnetworks"
SUBNET_TYPE = "microsoft.network/virtualnetworks/subnets"
PG_TYPE = "microsoft.dbforpostgresql/flexibleservers"
DEPLOYMENT_TYPE = "microsoft.resources/deployments"
NSG_NAME = "nsg-plinth-recall"


def read(path):
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


# ---------------------------------------------------------------- wrong zones


def zone_templates(repo):
    rows = read(repo / "rules" / "data" / "private-dns-zones.yaml")
    pats = []
    for zone in re.findall(r'zone:\s*"([^"]+)"', rows):
        parts = [re.escape(p) if not p.startswith("{") else "[^.]+" for p in re.split(r"(\{[^}]+\})", zone.lower())]
        pats.append(re.compile("^" + "".join(parts) + "$"))
    return pats


def wrong_zone(zone, templates):
    """A plausible wrong name for a privatelink zone: a storage sibling (the
    blob zone for a file endpoint is still wrong for that endpoint's group),
    else the top-level domain swapped, kept only if no service uses it."""
    low = zone.lower()
    for a, b in ((".blob.", ".file."), (".file.", ".blob."), (".dfs.", ".blob."), (".queue.", ".blob."), (".table.core.", ".blob.core.")):
        if a in low and low.endswith(".core.windows.net"):
            return low.replace(a, b, 1)
    tries = []
    for a, b in (("windows.net", "azure.net"), ("azure.net", "windows.net"), ("azure.com", "azure.net"), ("azure.cn", "azure.com")):
        if low.endswith(a):
            tries.append(low[: -len(a)] + b)
    tries.append(low + ".example")
    for t in tries:
        if not any(p.match(t) for p in templates):
            return t
    return None


# ------------------------------------------------------ bracket-aware scanning


def scan(text, start, lang):
    """From the bracket at `start`, return (index of its closer or -1,
    offsets of the line starts at depth 1 inside it). Skips strings with
    interpolation, comments and heredocs."""
    quote = "'" if lang == "bicep" else '"'
    pairs = {"{": "}", "[": "]", "(": ")"}
    stack = []
    lines = []
    i, n = start, len(text)
    while i < n:
        c = text[i]
        if stack and stack[-1] == "S":
            if c == "\\":
                i += 2
                continue
            if c == quote:
                stack.pop()
            elif lang == "hcl" and (text.startswith("$${", i) or text.startswith("%%{", i)):
                i += 3  # HCL's escaped interpolation: literal text
                continue
            elif text.startswith("${", i) or (lang == "hcl" and text.startswith("%{", i)):
                stack.append("}")
                i += 2
                continue
            i += 1
            continue
        if lang == "bicep" and text.startswith("'''", i):
            j = text.find("'''", i + 3)
            i = n if j < 0 else j + 3
            continue
        if c == quote:
            stack.append("S")
        elif text.startswith("//", i) or (lang == "hcl" and c == "#"):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        elif lang == "hcl" and text.startswith("<<", i):
            m = re.match(r"<<-?([A-Za-z_][A-Za-z0-9_]*)\n", text[i : i + 80])
            if m:
                end = re.compile(r"(?m)^[ \t]*" + m.group(1) + r"[ \t]*$").search(text, i + m.end())
                i = n if not end else end.end()
                continue
        elif c in pairs:
            stack.append(pairs[c])
        elif c in ")]}":
            if not stack or stack[-1] != c:
                return -1, lines
            stack.pop()
            if not stack:
                return i, lines
        elif c == "\n" and len(stack) == 1:
            lines.append(i + 1)
        i += 1
    return -1, lines


def line_span(text, a, b):
    """Widen [a, b) to whole lines when only blanks surround it."""
    s = text.rfind("\n", 0, a) + 1
    if text[s:a].strip():
        s = a
    e = text.find("\n", b)
    e = len(text) if e < 0 else e + 1
    if text[b:e].strip() and not text[b:e].strip() in (",",):
        e = b
    return s, e


def cut(text, spans):
    for a, b in sorted(spans, reverse=True):
        text = text[:a] + text[b:]
    return text


def value_end(text, pos, lang):
    """End (exclusive) of the expression starting at pos, or -1."""
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    if pos < len(text) and text[pos] in "{[(":
        close, _ = scan(text, pos, lang)
        return -1 if close < 0 else close + 1
    e = text.find("\n", pos)
    e = len(text) if e < 0 else e
    seg = text[pos:e]
    if any(seg.count(o) != seg.count(c) for o, c in ("{}", "[]", "()")):
        return -1
    return e


# ------------------------------------------------------------------- Bicep


DECL = re.compile(r"(?m)^[ \t]*(resource|module)\s+(\w+)\s+'([^']*)'\s*(existing\s*)?=\s*")


def bicep_decls(text):
    """(kind, symbol, type-or-path, existing, start, end, body_open) per declaration."""
    out = []
    for m in DECL.finditer(text):
        pos = m.end()
        rest = text[pos:]
        if rest.startswith("if"):
            p = text.find("(", pos)
            close, _ = scan(text, p, "bicep") if p >= 0 else (-1, [])
            if close < 0:
                continue
            body = text.find("{", close)
            end = scan(text, body, "bicep")[0] if body >= 0 else -1
        elif rest.startswith("["):
            end = scan(text, pos, "bicep")[0]
            colon = text.find(":", pos)
            body = text.find("{", colon)
            if body < 0 or body > end:
                continue
        elif rest.startswith("{"):
            body = pos
            end = scan(text, pos, "bicep")[0]
        else:
            continue
        if end < 0:
            continue
        start = text.rfind("\n", 0, m.start()) + 1
        # decorators directly above
        while start > 0:
            prev = text.rfind("\n", 0, start - 1) + 1
            if text[prev:start].lstrip().startswith("@") and text[prev:start].count("(") == text[prev:start].count(")"):
                start = prev
            else:
                break
        out.append((m.group(1), m.group(2), m.group(3), bool(m.group(4)), start, end + 1, body))
    return out


def bicep_props(text, body, name):
    """(key start, value start, value end) of property `name` at depth 1 of the object at body."""
    close, lines = scan(text, body, "bicep")
    found = []
    for ls in lines + [body + 1]:
        m = re.compile(r"[ \t]*" + re.escape(name) + r"\s*:\s*").match(text, ls)
        if m and m.end() <= close:
            ve = value_end(text, m.end(), "bicep")
            if ve > 0:
                found.append((m.start(), m.end(), ve))
    return found


def bicep_type(t):
    return t.split("@")[0].lower()


def bicep_props_anywhere(text, name):
    """Every `name: value` property line in the file (any depth)."""
    out = []
    for m in re.finditer(r"(?m)^[ \t]*" + re.escape(name) + r"\s*:\s*", text):
        ve = value_end(text, m.end(), "bicep")
        if ve > 0:
            out.append((m.start(), m.end(), ve))
    return out


def remove_symbols(files, removed_syms):
    """Drop dependsOn entries naming removed symbols; False if any other reference is left."""
    for rel, text in files.items():
        for sym in removed_syms:
            text = re.sub(r"(?m)^[ \t]*(\w+::)?" + re.escape(sym) + r"[ \t]*,?[ \t]*\n", "", text)
            if re.search(r"(?<![\w.'$-])(\w+::)?" + re.escape(sym) + r"(?![\w'-])(?!\s*:)", text):
                return False
        files[rel] = text
    return True


def bicep_mutations(unit_files, editable, templates):
    """Yields (fault, site, {rel: new text}) or (fault, site, None) when not injectable."""
    texts = {rel: unit_files[rel] for rel in editable}
    everything = "\n".join(unit_files.values())
    has_pe = bool(re.search(r"privateEndpoints\s*:|'Microsoft\.Network/privateEndpoints@", "\n".join(texts.values())))
    # The test itself must wire a zone group (a module's support for one is not a use).
    has_group = bool(re.search(r"privateDnsZoneGroup|privateDnsZoneResourceIds", "\n".join(texts.values())))

    decls = {rel: bicep_decls(t) for rel, t in texts.items()}
    # 1. zone literals of declared zones
    zones = []
    for rel, ds in decls.items():
        t = texts[rel]
        for kind, sym, typ, existing, s, e, body in ds:
            if existing:
                continue
            is_zone = kind == "resource" and bicep_type(typ) == ZONE_TYPE
            is_zone_module = kind == "module" and "private-dns-zone" in typ
            if not (is_zone or is_zone_module):
                continue
            block = body if is_zone else None
            if is_zone_module:
                p = bicep_props(t, body, "params")
                if not p:
                    continue
                block = p[0][1]
                if t[block] != "{":
                    continue
            for _, vs, ve in bicep_props(t, block, "name"):
                m = re.fullmatch(r"\s*'(" + ZONE_LITERAL.pattern + r")'\s*", t[vs:ve])
                if m and m.group(1) not in zones:
                    zones.append(m.group(1))
    if zones and has_group:
        for zone in zones[:3]:
            wrong = wrong_zone(zone, templates)
            edits = {rel: t.replace(f"'{zone}'", f"'{wrong}'") for rel, t in texts.items() if f"'{zone}'" in t}
            yield "zone-name", zone, edits if wrong and edits else None
        # 2. links
        edits, syms = {}, []
        for rel, ds in decls.items():
            t = texts[rel]
            spans = []
            for kind, sym, typ, existing, s, e, body in ds:
                bt = bicep_type(typ)
                if kind == "resource" and not existing and (bt == LINK_TYPE or bt == "virtualnetworklinks"):
                    spans.append((s, e))
                    syms.append(sym)
                elif kind == "module" and "private-dns-zone" in typ:
                    p = bicep_props(t, body, "params")
                    if p and t[p[0][1]] == "{":
                        for ks, vs, ve in bicep_props(t, p[0][1], "virtualNetworkLinks"):
                            spans.append(line_span(t, ks, ve))
            spans = [x for x in spans if not any(o != x and o[0] <= x[0] and x[1] <= o[1] for o in spans)]
            if spans:
                edits[rel] = cut(t, spans)
        if edits:
            merged = dict(texts)
            merged.update(edits)
            ok = remove_symbols(merged, syms)
            yield "zone-links", "all links", ({r: merged[r] for r in merged if merged[r] != texts[r]} if ok else None)
    # 3. zone groups
    if has_pe:
        edits, syms = {}, []
        for rel, ds in decls.items():
            t = texts[rel]
            spans = []
            for kind, sym, typ, existing, s, e, body in ds:
                bt = bicep_type(typ)
                if kind == "resource" and not existing and (bt == GROUP_TYPE or bt == "privatednszonegroups"):
                    spans.append((s, e))
                    syms.append(sym)
            for name in ("privateDnsZoneGroup", "privateDnsZoneResourceIds", "privateDnsZoneGroupConfigs"):
                for ks, vs, ve in bicep_props_anywhere(t, name):
                    spans.append(line_span(t, ks, ve))
            spans = sorted(set(spans))
            spans = [x for x in spans if not any(o != x and o[0] <= x[0] and x[1] <= o[1] for o in spans)]
            if spans:
                edits[rel] = cut(t, spans)
        if edits:
            merged = dict(texts)
            merged.update(edits)
            ok = remove_symbols(merged, syms)
            yield "zone-group", "all zone groups", ({r: merged[r] for r in merged if merged[r] != texts[r]} if ok else None)
    # 4. NSG and policies on every subnet declared
    if has_pe:
        edits = {}
        for rel, ds in decls.items():
            t = texts[rel]
            if re.search(r"(?m)^\s*targetScope\s*=\s*'(subscription|managementGroup|tenant)'", t):
                continue
            inserts = []  # (pos, text) or (span, "") removals
            removals = []
            for kind, sym, typ, existing, s, e, body in ds:
                bt = bicep_type(typ)
                if existing:
                    continue
                subnet_props = []
                if kind == "resource" and bt == VNET_TYPE:
                    for _, ps, pe_ in bicep_props(t, body, "properties"):
                        if t[ps] != "{":
                            continue
                        for _, ss, se in bicep_props(t, ps, "subnets"):
                            if t[ss] != "[":
                                continue
                            for el in bicep_array_objects(t, ss):
                                for _, xs, xe in bicep_props(t, el, "properties"):
                                    if t[xs] == "{":
                                        subnet_props.append(("raw", xs))
                elif kind == "resource" and bt in (SUBNET_TYPE, "subnets"):
                    for _, xs, xe in bicep_props(t, body, "properties"):
                        if t[xs] == "{":
                            subnet_props.append(("raw", xs))
                elif kind == "module" and "network/virtual-network" in typ:
                    for _, ps, _ in bicep_props(t, body, "params"):
                        if t[ps] != "{":
                            continue
                        for _, ss, se in bicep_props(t, ps, "subnets"):
                            if t[ss] == "[":
                                for el in bicep_array_objects(t, ss):
                                    subnet_props.append(("avm", el))
                for style, obj in subnet_props:
                    nsg_key = "networkSecurityGroup" if style == "raw" else "networkSecurityGroupResourceId"
                    for ks, vs, ve in bicep_props(t, obj, "privateEndpointNetworkPolicies"):
                        removals.append(line_span(t, ks, ve))
                    add = "\nprivateEndpointNetworkPolicies: 'Disabled'"
                    if not bicep_props(t, obj, nsg_key):
                        add += "\nnetworkSecurityGroup: { id: plinthRecallNsg.id }" if style == "raw" else "\nnetworkSecurityGroupResourceId: plinthRecallNsg.id"
                    inserts.append((obj + 1, add))
            if inserts:
                new = t
                for pos, add in sorted(inserts + [((a, b), None) for a, b in removals], key=lambda x: x[0] if isinstance(x[0], int) else x[0][0], reverse=True):
                    if add is None:
                        new = new[: pos[0]] + new[pos[1] :]
                    else:
                        new = new[:pos] + add + new[pos:]
                if "plinthRecallNsg.id" in new:
                    new += f"\n\nresource plinthRecallNsg 'Microsoft.Network/networkSecurityGroups@2023-11-01' = {{\n  name: '{NSG_NAME}'\n  location: 'westeurope'\n}}\n"
                edits[rel] = new
        if edits:
            yield "nsg-policies", "every subnet", edits
    # 5. PostgreSQL flexible server with a delegated subnet
    n = 0
    for rel, ds in decls.items():
        t = texts[rel]
        for kind, sym, typ, existing, s, e, body in ds:
            if existing or n >= 3:
                continue
            bt = bicep_type(typ)
            if kind == "module" and "db-for-postgre-sql/flexible-server" in os.path.normpath(os.path.join(os.path.dirname(rel), typ)):
                # The AVM module deploys its own `privateEndpoints` only when no
                # delegated subnet is given, so the endpoint is declared beside
                # the call, with the registry's private-endpoint module.
                version = re.search(r"br/public:avm/res/network/private-endpoint:([\w.-]+)'", everything)
                for _, ps, _ in bicep_props(t, body, "params"):
                    if t[ps] != "{" or not version:
                        continue
                    for ks, vs, ve in bicep_props(t, ps, "delegatedSubnetResourceId"):
                        expr = t[vs:ve].strip()
                        if not expr or expr == "null":
                            continue
                        scope = bicep_props(t, body, "scope")
                        scope_line = f"  scope: {t[scope[0][1]:scope[0][2]].strip()}\n" if scope else ""
                        loop = t[s:body].rstrip().endswith(":") or "[for" in t[s:body]
                        server = f"{sym}[0]" if loop else sym
                        pe = (
                            f"\n\nmodule plinthRecallPe{n} 'br/public:avm/res/network/private-endpoint:{version.group(1)}' = {{\n"
                            f"{scope_line}  name: 'plinth-recall-pe-{n}'\n  params: {{\n    name: 'pe-plinth-recall-{n}'\n"
                            f"    subnetResourceId: {expr}\n    privateLinkServiceConnections: [\n      {{\n"
                            f"        name: 'recall'\n        properties: {{\n          privateLinkServiceId: {server}.outputs.resourceId\n"
                            f"          groupIds: [ 'postgresqlServer' ]\n        }}\n      }}\n    ]\n  }}\n}}\n"
                        )
                        n += 1
                        yield "pg-endpoint", f"module {sym}", {rel: t + pe}
            elif kind == "resource" and bt == PG_TYPE and not t[s:body].rstrip().endswith(":") and "[for" not in t[s:body]:
                for _, ps, _ in bicep_props(t, body, "properties"):
                    if t[ps] != "{":
                        continue
                    for _, ns, _ in bicep_props(t, ps, "network"):
                        if t[ns] != "{":
                            continue
                        for ks, vs, ve in bicep_props(t, ns, "delegatedSubnetResourceId"):
                            expr = t[vs:ve].strip()
                            if not expr or expr == "null" or "?" in expr:
                                continue
                            pe = (
                                f"\n\nresource plinthRecallPe{n} 'Microsoft.Network/privateEndpoints@2023-11-01' = {{\n"
                                f"  name: 'pe-plinth-recall-{n}'\n  location: 'westeurope'\n  properties: {{\n"
                                f"    subnet: {{ id: {expr} }}\n    privateLinkServiceConnections: [\n      {{\n"
                                f"        name: 'recall'\n        properties: {{\n          privateLinkServiceId: {sym}.id\n"
                                f"          groupIds: [ 'postgresqlServer' ]\n        }}\n      }}\n    ]\n  }}\n}}\n"
                            )
                            n += 1
                            yield "pg-endpoint", f"resource {sym}", {rel: t + pe}


def bicep_array_objects(text, open_idx):
    """Offsets of the `{` of each object element of the array (or for-loop body) at open_idx."""
    close, lines = scan(text, open_idx, "bicep")
    out = []
    inner = text[open_idx + 1 : open_idx + 12].lstrip()
    if inner.startswith("for "):
        colon = text.find(":", open_idx)
        b = text.find("{", colon)
        if 0 <= b < close:
            out.append(b)
        return out
    i = open_idx + 1
    while i < close:
        c = text[i]
        if c == "{":
            out.append(i)
            i = scan(text, i, "bicep")[0] + 1
            if i <= 0:
                break
            continue
        if c in "[(":
            j = scan(text, i, "bicep")[0]
            if j < 0:
                break
            i = j + 1
            continue
        if c == "'":
            j = i + 1
            while j < close and text[j] != "'":
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            continue
        i += 1
    return out


# --------------------------------------------------------------- Terraform


TF_BLOCK = re.compile(r'(?m)^[ \t]*(resource|data|module)\s+"([\w-]+)"\s*(?:"([\w-]+)"\s*)?\{')


def tf_blocks(text):
    out = []
    for m in TF_BLOCK.finditer(text):
        open_idx = m.end() - 1
        close, lines = scan(text, open_idx, "hcl")
        if close < 0:
            continue
        out.append((m.group(1), m.group(2), m.group(3), m.start(), close + 1, open_idx, lines))
    return out


def tf_attr(text, open_idx, lines, name):
    """(start, value start, value end) of attribute `name` at depth 1."""
    for ls in lines:
        m = re.compile(r"[ \t]*" + re.escape(name) + r"\s*=\s*").match(text, ls)
        if m:
            ve = value_end(text, m.end(), "hcl")
            if ve > 0:
                return m.start(), m.end(), ve
    return None


def tf_nested(text, lines, name):
    """Spans of nested blocks `name { }` and `dynamic "name" { }` at depth 1."""
    out = []
    for ls in lines:
        m = re.compile(r'[ \t]*(?:' + re.escape(name) + r'|dynamic\s+"' + re.escape(name) + r'")\s*\{').match(text, ls)
        if m:
            close, inner = scan(text, m.end() - 1, "hcl")
            if close > 0:
                out.append((m.start(), close + 1, m.end() - 1, inner))
    return out


def tf_drop_depends(text, syms):
    """Drop the removed resources from every depends_on list (and empty lists)."""
    for m in reversed(list(re.finditer(r"(?m)^[ \t]*depends_on\s*=\s*\[", text))):
        close, _ = scan(text, m.end() - 1, "hcl")
        if close < 0:
            continue
        items = [x.strip() for x in text[m.end() : close].split(",") if x.strip()]
        keep = [x for x in items if x not in syms]
        if len(keep) == len(items):
            continue
        if keep:
            text = text[: m.end()] + ", ".join(keep) + text[close:]
        else:
            a, b = line_span(text, m.start(), close + 1)
            text = text[:a] + text[b:]
    return text


def tf_mutations(unit_files, editable, templates):
    texts = {rel: unit_files[rel] for rel in editable}
    blocks = {rel: tf_blocks(t) for rel, t in texts.items()}
    everything = "\n".join(texts.values())
    has_group = "private_dns_zone_group" in everything
    pes = [(rel, b) for rel, bs in blocks.items() for b in bs if b[0] == "resource" and b[1] == "azurerm_private_endpoint"]

    zones = []
    for rel, bs in blocks.items():
        t = texts[rel]
        for kind, typ, name, s, e, o, lines in bs:
            if kind == "resource" and typ == "azurerm_private_dns_zone":
                a = tf_attr(t, o, lines, "name")
                if a:
                    m = re.fullmatch(r'\s*"(' + ZONE_LITERAL.pattern + r')"\s*', t[a[1] : a[2]])
                    if m and m.group(1) not in zones:
                        zones.append(m.group(1))
    if zones and has_group:
        for zone in zones[:3]:
            wrong = wrong_zone(zone, templates)
            edits = {rel: t.replace(f'"{zone}"', f'"{wrong}"') for rel, t in texts.items() if f'"{zone}"' in t}
            yield "zone-name", zone, edits if wrong and edits else None
        edits, syms = {}, []
        for rel, bs in blocks.items():
            spans = []
            for kind, typ, name, s, e, o, lines in bs:
                if kind == "resource" and typ == "azurerm_private_dns_zone_virtual_network_link":
                    spans.append(line_span(texts[rel], s, e))
                    syms.append(f"azurerm_private_dns_zone_virtual_network_link.{name}")
            if spans:
                edits[rel] = cut(texts[rel], spans)
        if edits:
            merged = dict(texts)
            merged.update(edits)
            ok = True
            for rel, t in merged.items():
                t = tf_drop_depends(t, syms)
                if any(re.search(re.escape(sym) + r"\b", t) for sym in syms):
                    ok = False
                merged[rel] = t
            yield "zone-links", "all links", ({r: merged[r] for r in merged if merged[r] != texts[r]} if ok else None)
    if pes:
        edits = {}
        for rel, bs in blocks.items():
            t = texts[rel]
            spans = []
            for kind, typ, name, s, e, o, lines in bs:
                if kind == "resource" and typ == "azurerm_private_endpoint":
                    spans += [line_span(t, a, b) for a, b, _, _ in tf_nested(t, lines, "private_dns_zone_group")]
            if spans:
                edits[rel] = cut(t, spans)
        if edits:
            yield "zone-group", "all zone groups", edits
        # 4. subnets
        outside = all(
            (lambda a: a is not None and re.fullmatch(r"\s*var\.\w+\s*", texts[rel][a[1] : a[2]]))(tf_attr(texts[rel], b[5], b[6], "subnet_id"))
            for rel, b in pes
        )
        if not outside:
            edits = {}
            assoc = []
            for rel, bs in blocks.items():
                t = texts[rel]
                changes = []  # (start, end, replacement)
                for kind, typ, name, s, e, o, lines in bs:
                    if kind != "resource":
                        continue
                    if typ == "azurerm_subnet":
                        for attr in ("private_endpoint_network_policies", "private_endpoint_network_policies_enabled", "enforce_private_link_endpoint_network_policies"):
                            a = tf_attr(t, o, lines, attr)
                            if a:
                                changes.append((*line_span(t, a[0], a[2]), ""))
                        changes.append((o + 1, o + 1, '\n  private_endpoint_network_policies = "Disabled"'))
                        has_assoc = re.search(r"azurerm_subnet\." + re.escape(name) + r"(\[[^\]]*\])?\.id", "\n".join(
                            texts[r][b[3] : b[4]] for r, bb in blocks.items() for b in bb if b[1] == "azurerm_subnet_network_security_group_association"))
                        if has_assoc:
                            continue
                        if tf_attr(t, o, lines, "for_each"):
                            continue
                        ref = f"azurerm_subnet.{name}[0].id" if tf_attr(t, o, lines, "count") else f"azurerm_subnet.{name}.id"
                        assoc.append((name, ref))
                    elif typ == "azurerm_virtual_network":
                        for a, b, so, inner in tf_nested(t, lines, "subnet"):
                            for attr in ("private_endpoint_network_policies", "private_endpoint_network_policies_enabled", "enforce_private_link_endpoint_network_policies"):
                                x = tf_attr(t, so, inner, attr)
                                if x:
                                    changes.append((*line_span(t, x[0], x[2]), ""))
                            add = '\n    private_endpoint_network_policies = "Disabled"'
                            if not tf_attr(t, so, inner, "security_group"):
                                add += "\n    security_group = azurerm_network_security_group.plinth_recall.id"
                            changes.append((so + 1, so + 1, add))
                if changes:
                    new = t
                    for a, b, rep in sorted(changes, key=lambda c: (c[0], c[1]), reverse=True):
                        new = new[:a] + rep + new[b:]
                    edits[rel] = new
            if edits:
                first = sorted(edits)[0]
                extra = (
                    '\n\nresource "azurerm_network_security_group" "plinth_recall" {\n'
                    f'  name                = "{NSG_NAME}"\n  location            = "westeurope"\n'
                    '  resource_group_name = "rg-plinth-recall"\n}\n'
                )
                for name, ref in assoc:
                    extra += (
                        f'\nresource "azurerm_subnet_network_security_group_association" "plinth_recall_{name}" {{\n'
                        f"  subnet_id                 = {ref}\n"
                        "  network_security_group_id = azurerm_network_security_group.plinth_recall.id\n}\n"
                    )
                edits[first] += extra
                yield "nsg-policies", "every subnet", edits
    n = 0
    for rel, bs in blocks.items():
        t = texts[rel]
        for kind, typ, name, s, e, o, lines in bs:
            if kind == "resource" and typ == "azurerm_postgresql_flexible_server" and n < 3:
                a = tf_attr(t, o, lines, "delegated_subnet_id")
                if not a:
                    continue
                expr = t[a[1] : a[2]].strip()
                if re.fullmatch(r"var\.\w+|null", expr):
                    continue
                if tf_attr(t, o, lines, "for_each"):
                    continue
                ref = f"azurerm_postgresql_flexible_server.{name}" + ("[0]" if tf_attr(t, o, lines, "count") else "") + ".id"
                pe = (
                    f'\n\nresource "azurerm_private_endpoint" "plinth_recall_{n}" {{\n'
                    f'  name                = "pe-plinth-recall-{n}"\n  location            = "westeurope"\n'
                    f'  resource_group_name = "rg-plinth-recall"\n  subnet_id           = {expr}\n'
                    "  private_service_connection {\n    name                           = \"recall\"\n"
                    f"    private_connection_resource_id = {ref}\n    is_manual_connection           = false\n"
                    '    subresource_names              = ["postgresqlServer"]\n  }\n}\n'
                )
                n += 1
                yield "pg-endpoint", f"azurerm_postgresql_flexible_server.{name}", {rel: t + pe}


# --------------------------------------------------------------------- ARM


def dig(obj, *keys):
    for k in keys:
        obj = obj.get(k) if isinstance(obj, dict) else None
    return obj


def rtype(r):
    t = r.get("type")
    return t.lower() if isinstance(t, str) else ""


def arm_walk(tpl, guarded=False, parent_type=None, container=None, outer_params=None):
    """Yields (container, key, resource, full type, guarded, template, outer parameter values)."""
    res = tpl.get("resources") if container is None else container
    if isinstance(res, dict):
        items = list(res.items())
    elif isinstance(res, list):
        items = list(enumerate(res))
    else:
        return
    for key, r in items:
        if not isinstance(r, dict) or r.get("existing") is True:
            continue
        t = rtype(r)
        full = t if parent_type is None or t.startswith("microsoft.") else parent_type + "/" + t
        g = guarded or "copy" in r or ("condition" in r and r["condition"] is not True)
        yield res, key, r, full, g, tpl, outer_params
        if isinstance(r.get("resources"), list):
            yield from arm_walk(tpl, g, full, r["resources"], outer_params)
        props = r.get("properties")
        if full == DEPLOYMENT_TYPE and isinstance(props, dict) and isinstance(props.get("template"), dict):
            params = props.get("parameters") if isinstance(props.get("parameters"), dict) else {}
            yield from arm_walk(props["template"], g, None, None, params)


def arm_literal(value, tpl, outer):
    """The zone literal a name expression holds, when the template writes it."""
    if not isinstance(value, str):
        return None
    m = re.fullmatch(r"\[(variables|parameters)\('([^']+)'\)\]", value.strip())
    if m:
        kind, name = m.groups()
        if kind == "variables":
            value = (tpl.get("variables") or {}).get(name)
        else:
            v = (outer or {}).get(name)
            value = v.get("value") if isinstance(v, dict) and "value" in v else ((tpl.get("parameters") or {}).get(name) or {}).get("defaultValue")
        if not isinstance(value, str):
            return None
    z = ZONE_LITERAL.search(value)
    return z.group(0) if z else None


def prune(obj, pred):
    """Remove list items/dict members for which pred(item) holds, recursively; returns count."""
    n = 0
    if isinstance(obj, list):
        keep = [x for x in obj if not pred(x)]
        n += len(obj) - len(keep)
        obj[:] = keep
        for x in obj:
            n += prune(x, pred)
    elif isinstance(obj, dict):
        for k in list(obj):
            n += prune(obj[k], pred)
    return n


def arm_mutations(unit_files, editable, templates):
    rel = editable[0]
    raw = unit_files[rel]
    try:
        doc = json.loads(raw)
    except ValueError:
        return
    if not isinstance(doc, dict):
        return

    def fresh():
        return json.loads(raw)

    walk = list(arm_walk(doc))
    declared = [w for w in walk if not w[4]]
    types = Counter(w[3] for w in declared)
    has_group_param = any(
        w[3] == DEPLOYMENT_TYPE and isinstance(dig(w[2], "properties", "parameters"), dict)
        and any(k in ("privateDnsZoneGroup", "privateDnsZoneResourceIds") for k in w[2]["properties"]["parameters"])
        for w in declared
    )
    zones = []
    for c, k, r, full, g, tpl, outer in declared:
        if full == ZONE_TYPE:
            z = arm_literal(r.get("name"), tpl, outer)
            if z and z not in zones:
                zones.append(z)
    has_group = types[GROUP_TYPE] > 0 or has_group_param
    if zones and has_group:
        for zone in zones[:3]:
            wrong = wrong_zone(zone, templates)
            yield "zone-name", zone, ({rel: raw.replace(zone, wrong)} if wrong and zone in raw else None)
        if types[LINK_TYPE]:
            d = fresh()
            removed = []
            for c, k, r, full, g, tpl, outer in list(arm_walk(d)):
                if full == LINK_TYPE:
                    removed.append((c, k))
            names = set()
            for c, k in sorted(removed, key=lambda x: str(x[1]), reverse=True):
                if isinstance(c, dict):
                    names.add(k)
                    c.pop(k, None)
                else:
                    c[k] = None
            prune(d, lambda x: x is None)
            prune(d, lambda x: isinstance(x, str) and ("virtualNetworkLinks" in x and x.lstrip().startswith("[resourceId") or x in names))
            yield "zone-links", "all links", {rel: json.dumps(d, indent=2)}
    if types[PE_TYPE] and has_group:
        d = fresh()
        removed = [(c, k) for c, k, r, full, g, tpl, outer in list(arm_walk(d)) if full == GROUP_TYPE]
        names = set()
        for c, k in removed:
            if isinstance(c, dict):
                names.add(k)
                c[k] = None
            else:
                c[k] = None
        for c, k, r, full, g, tpl, outer in list(arm_walk(d)):
            if full == DEPLOYMENT_TYPE and isinstance(dig(r, "properties", "parameters"), dict):
                for key in ("privateDnsZoneGroup", "privateDnsZoneResourceIds"):
                    r["properties"]["parameters"].pop(key, None)
        for c, k in removed:
            if isinstance(c, dict):
                c.pop(k, None)
        prune(d, lambda x: x is None)
        prune(d, lambda x: isinstance(x, str) and ("privateDnsZoneGroups" in x and x.lstrip().startswith("[resourceId") or x in names))
        yield "zone-group", "all zone groups", {rel: json.dumps(d, indent=2)}
    if types[PE_TYPE] and (types[SUBNET_TYPE] or any(w[3] == VNET_TYPE and isinstance(dig(w[2], "properties", "subnets"), list) for w in declared)):
        d = fresh()
        nsg_needed = {}
        for c, k, r, full, g, tpl, outer in list(arm_walk(d)):
            subnets = []
            if full == VNET_TYPE and isinstance(dig(r, "properties", "subnets"), list):
                subnets = [s for s in r["properties"]["subnets"] if isinstance(s, dict)]
            elif full == SUBNET_TYPE:
                subnets = [r]
            for s in subnets:
                p = s.setdefault("properties", {})
                if not isinstance(p, dict):
                    continue
                p["privateEndpointNetworkPolicies"] = "Disabled"
                if "networkSecurityGroup" not in p:
                    p["networkSecurityGroup"] = {"id": f"[resourceId('Microsoft.Network/networkSecurityGroups', '{NSG_NAME}')]"}
                    nsg_needed[id(c)] = c
        for c in nsg_needed.values():
            nsg = {"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-11-01", "name": NSG_NAME, "location": "westeurope"}
            if isinstance(c, dict):
                c["plinthRecallNsg"] = nsg
            else:
                c.append(nsg)
        yield "nsg-policies", "every subnet", {rel: json.dumps(d, indent=2)}
    n = 0
    for i, (c, k, r, full, g, tpl, outer) in enumerate(declared):
        if full != PG_TYPE or n >= 3:
            continue
        sub = dig(r, "properties", "network", "delegatedSubnetResourceId")
        if not isinstance(sub, str) or not sub.strip() or re.search(r"\bif\(|null\(\)", sub):
            continue
        name = r.get("name")
        if not isinstance(name, str):
            continue
        name_arg = name.strip()[1:-1] if name.strip().startswith("[") else "'" + name.replace("'", "''") + "'"
        d = fresh()
        target = [w for w in arm_walk(d) if not w[4]][i]
        pe = {
            "type": "Microsoft.Network/privateEndpoints",
            "apiVersion": "2023-11-01",
            "name": f"pe-plinth-recall-{n}",
            "location": "westeurope",
            "properties": {
                "subnet": {"id": sub},
                "privateLinkServiceConnections": [
                    {"name": "recall", "properties": {"privateLinkServiceId": f"[resourceId('Microsoft.DBforPostgreSQL/flexibleServers', {name_arg})]", "groupIds": ["postgresqlServer"]}}
                ],
            },
        }
        tc = target[0]
        if isinstance(tc, dict):
            tc[f"plinthRecallPe{n}"] = pe
        elif target[2] in tc:
            tc.append(pe)
        else:
            continue
        n += 1
        yield "pg-endpoint", f"{r.get('name')}", {rel: json.dumps(d, indent=2)}


# ------------------------------------------------------------ unit discovery


BICEP_REFS = re.compile(
    r"(?m)^\s*(?:module\s+\w+\s+|import\s+.*?\s+from\s+)'([^']+)'|load(?:Json|Text|Yaml)Content\(\s*'([^']+)'|loadFileAsBase64\(\s*'([^']+)'"
)


def bicep_closure(root, folder):
    files, todo = set(), [p for p in sorted(folder.iterdir()) if p.is_file()]
    while todo:
        p = todo.pop()
        try:
            rel = p.resolve().relative_to(root)
        except ValueError:
            continue
        if rel in files or not p.is_file():
            continue
        files.add(rel)
        if p.suffix == ".bicep":
            for m in BICEP_REFS.finditer(read(p)):
                ref = m.group(1) or m.group(2) or m.group(3)
                if ref and not re.match(r"^(br|ts)[:/]", ref):
                    todo.append((p.parent / ref))
    d = folder
    while True:
        cfg = d / "bicepconfig.json"
        if cfg.is_file():
            files.add(cfg.resolve().relative_to(root))
        if d.resolve() == root or d.parent == d:
            break
        d = d.parent
    return sorted(files)


def tf_closure(root, folder):
    files, todo, seen = set(), [folder], set()
    while todo:
        f = todo.pop()
        if f in seen or not f.is_dir():
            continue
        seen.add(f)
        for p in sorted(f.iterdir()):
            if p.is_file() and not p.name.startswith("."):
                try:
                    files.add(p.resolve().relative_to(root))
                except ValueError:
                    continue
                if p.suffix == ".tf":
                    for src in re.findall(r'(?m)^\s*source\s*=\s*"(\.\.?/[^"]*)"', read(p)):
                        todo.append((f / src).resolve())
    return sorted(files)


def discover(args):
    units = {fe: [] for fe in FRONT_ENDS}
    avm = Path(args.avm).resolve() if args.avm else None
    if avm and (avm / "avm").is_dir():
        for j in sorted((avm / "avm").glob("*/**/main.json")):
            if j.parts[len(avm.parts) + 1] not in ("res", "ptn") or "/tests/" in str(j):
                continue
            units["arm"].append(("avm", avm, [j.relative_to(avm)], j.relative_to(avm), [j.relative_to(avm)]))
        for t in sorted((avm / "avm").glob("**/tests/e2e/*/main.test.bicep")):
            folder = t.parent
            units["bicep"].append(("avm", avm, bicep_closure(avm, folder), folder.relative_to(avm), sorted(p.relative_to(avm) for p in folder.glob("*.bicep"))))
    for d in args.arm_dir or []:
        d = Path(d).resolve()
        for j in sorted(d.rglob("*.json")):
            if j.name.endswith(".parameters.json") or "$schema" not in read(j)[:2000] or "deploymentTemplate" not in read(j)[:2000]:
                continue
            files = [j.relative_to(d)]
            params = j.parent / (j.name[:-5] + ".parameters.json")
            if params.is_file():
                files.append(params.relative_to(d))
            units["arm"].append((d.name, d, files, j.relative_to(d), [j.relative_to(d)]))
    tf = Path(args.azurerm_examples).resolve() if args.azurerm_examples else None
    if tf and tf.is_dir():
        folders = sorted({p.parent for p in tf.rglob("*.tf")})
        called = set()
        for f in folders:
            for p in f.glob("*.tf"):
                for src in re.findall(r'(?m)^\s*source\s*=\s*"(\.\.?/[^"]*)"', read(p)):
                    called.add((f / src).resolve())
        for f in folders:
            if f.resolve() in called:
                continue  # a local module, checked through its caller
            files = tf_closure(tf, f)
            units["terraform"].append(("azurerm-examples", tf, files, f.relative_to(tf), [x for x in files if x.suffix == ".tf"]))
    for fe in FRONT_ENDS:
        units[fe] = [u for u in units[fe] if RELEVANT.search("\n".join(read(u[1] / x) for x in u[4]))]
        if args.limit:
            units[fe] = units[fe][: args.limit]
    return units


# ------------------------------------------------------------------ running


def build_cache(avm, root):
    ref = re.compile(r"'br/public:(avm/[^':]+):([^']+)'")
    seen = set()
    for bicep in sorted((avm / "avm").rglob("*.bicep")):
        for path, version in ref.findall(read(bicep)):
            if (path, version) in seen:
                continue
            seen.add((path, version))
            compiled = avm / path / "main.json"
            if compiled.is_file():
                folder = root / "br" / "mcr.microsoft.com" / ("bicep$" + path.replace("/", "$")) / (version + "$")
                folder.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(compiled, folder / "main.json")
    return root


def materialise(dest, src_root, files, edits):
    # The copy is a repository of its own, as the original is: plinth reads a
    # module anywhere in the work tree of the path it is given, and nothing
    # outside it (`path-outside`).
    (dest / ".git").mkdir(parents=True, exist_ok=True)
    for rel in files:
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        if str(rel) in edits:
            out.write_text(edits[str(rel)], encoding="utf-8")
        else:
            shutil.copyfile(src_root / rel, out)


def run_plinth(args, target, fe):
    cmd = [args.plinth, "check", "--no-config", "--show-unknown", "--format", "json", "--fail-on", "never", "--rules", str(args.rules_dir)]
    if fe == "bicep" and args.cache:
        cmd += ["--bicep-cache", str(args.cache)]
    cmd.append(str(target))
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
        doc = json.loads(p.stdout)
    except (subprocess.TimeoutExpired, ValueError) as e:
        return {"failed": f"{type(e).__name__}", "findings": [], "errors": []}
    return doc


def chain(args, target, fe):
    """What `plinth graph` resolves of the endpoints' chains in a unit."""
    cmd = [args.plinth, "graph", "--no-config", "--format", "json"]
    if fe == "bicep" and args.cache:
        cmd += ["--bicep-cache", str(args.cache)]
    try:
        doc = json.loads(subprocess.run(cmd + [str(target)], capture_output=True, text=True, timeout=args.timeout).stdout)
    except (subprocess.TimeoutExpired, ValueError):
        return None
    pes, broken = 0, Counter()
    for u in doc.get("units", []):
        nodes = {n["id"]: n for n in u.get("nodes", [])}
        out = {}
        for e in u.get("edges", []):
            out.setdefault(e["from"], []).append(e)
        for n in nodes.values():
            if n["kind"] != "private-endpoint":
                continue
            edges = out.get(n["id"], [])
            if not edges:
                continue  # an `existing` endpoint a module reads, or one drawn without a chain
            pes += 1
            kinds = {e["kind"]: e for e in edges}
            for kind in ("target", "subnet"):
                e = kinds.get(kind)
                if not e or not nodes.get(e["to"], {}).get("known", False) or not e.get("known", True):
                    broken[kind + " unknown"] += 1
            g = kinds.get("zone-group")
            if not g:
                broken["no zone group tied"] += 1
            else:
                z = [x for x in out.get(g["to"], []) if x["kind"] == "zone"]
                if not z or not all(nodes.get(x["to"], {}).get("known", False) for x in z):
                    broken["zone unknown"] += 1
    return pes, broken


CAUSE_ORDER = {
    "zone-name": ("target unknown", "no zone group tied", "zone unknown"),
    "zone-links": ("no zone group tied", "zone unknown", "subnet unknown"),
    "zone-group": ("target unknown",),
    "nsg-policies": ("subnet unknown",),
    "pg-endpoint": ("target unknown",),
}


def first_cause(fault, doc, ch):
    if ch is None:
        return "graph failed"
    pes, broken = ch
    if pes == 0:
        return "no private endpoint seen"
    for cause in CAUSE_ORDER[fault]:
        if broken[cause] == pes:
            return f"every endpoint: {cause}"
    for cause in CAUSE_ORDER[fault]:
        if broken[cause]:
            return f"some endpoints: {cause}"
    if doc.get("unseen") and fault in ("zone-links", "zone-group"):
        return "unit incomplete (unseen modules)"
    return "chain resolved (rule logic)"


def rule_counts(doc):
    return Counter(f["rule"] for f in doc.get("findings", []))


def main():
    repo = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description="plinth recall benchmark (see the module docstring)")
    ap.add_argument("--plinth", default=str(repo / "target" / "release" / "plinth"))
    ap.add_argument("--avm", default="/work/corpus/avm")
    ap.add_argument("--azurerm-examples", default="/work/corpus/azurerm-examples")
    ap.add_argument("--arm-dir", action="append", help="a folder of ARM templates (e.g. an Azure quickstarts checkout); repeatable")
    ap.add_argument("--work", default="/tmp/plinth-recall")
    ap.add_argument("--limit", type=int, default=0, help="keep the first N relevant units per front-end")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--report")
    ap.add_argument("--no-cache", action="store_true", help="Bicep without the module cache")
    args = ap.parse_args()
    args.plinth = str(Path(args.plinth).resolve())
    work = Path(args.work)
    if work.exists():
        # Only a folder this script made (or an empty one) is wiped.
        if not (work / ".plinth-recall").exists() and any(work.iterdir()):
            sys.exit(f"{work} exists and was not made by bench/recall.py; give another --work")
        shutil.rmtree(work)
    work.mkdir(parents=True)
    (work / ".plinth-recall").write_text("made by bench/recall.py; removed and rewritten by each run\n")
    args.rules_dir = work / "rules"
    args.rules_dir.mkdir()
    (args.rules_dir / "BENCH001.yaml").write_text(COUNT_RULE)
    args.cache = None
    if args.avm and Path(args.avm).is_dir() and not args.no_cache:
        args.cache = build_cache(Path(args.avm).resolve(), work / "bicep-cache")
    templates = zone_templates(repo)
    units = discover(args)
    started = datetime.datetime.now()

    # Baselines.
    jobs = []
    for fe in FRONT_ENDS:
        for i, (label, root, files, target, editable) in enumerate(units[fe]):
            dest = work / fe / f"{i:04d}" / "orig"
            materialise(dest, root, files, {})
            jobs.append((fe, i, dest / target))
    base = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for (fe, i, target), doc in zip(jobs, pool.map(lambda j: run_plinth(args, j[2], j[0]), jobs)):
            base[(fe, i)] = doc

    mutations = []
    stats = {fe: {f: Counter() for f, _ in FAULTS} for fe in FRONT_ENDS}
    gen = {"arm": arm_mutations, "bicep": bicep_mutations, "terraform": tf_mutations}
    for fe in FRONT_ENDS:
        for i, (label, root, files, target, editable) in enumerate(units[fe]):
            doc = base[(fe, i)]
            if doc.get("failed") or any(e.get("code") == "parse-error" for e in doc.get("errors", [])):
                continue
            counts = rule_counts(doc)
            texts = {str(r): read(root / r) for r in files}
            k = Counter()
            try:
                generated = list(gen[fe](texts, [str(e) for e in editable], templates))
            except Exception as e:  # a bug of this script, not of plinth: say so, go on
                print(f"warning: mutating {units[fe][i][3]} failed: {type(e).__name__}: {e}", file=sys.stderr)
                continue
            for fault, site, edits in generated:
                st = stats[fe][fault]
                if sum(counts[r] for r in EXPECTED[fault]):
                    st["not clean"] += 1
                    continue
                st["candidates"] += 1
                if not edits or all(edits[r] == texts.get(r) for r in edits):
                    st["not injectable"] += 1
                    continue
                k[fault] += 1
                dest = work / fe / f"{i:04d}" / f"{fault}-{k[fault]}"
                materialise(dest, root, files, edits)
                mutations.append((fe, i, fault, site, dest, dest / target))
    results = []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for m, doc in zip(mutations, pool.map(lambda m: run_plinth(args, m[5], m[0]), mutations)):
            results.append((m, doc))

    misses, broken = [], []
    for (fe, i, fault, site, dest, target), doc in results:
        st = stats[fe][fault]
        before = base[(fe, i)]
        new_errors = len(doc.get("errors", [])) > len(before.get("errors", [])) or doc.get("failed")
        if new_errors:
            st["broken"] += 1
            broken.append((fe, fault, target, site, doc.get("failed") or [e.get("message", "")[:200] for e in doc["errors"]][:2]))
            continue
        st["injected"] += 1
        b, a = rule_counts(before), rule_counts(doc)
        if sum(a[r] for r in EXPECTED[fault]) > sum(b[r] for r in EXPECTED[fault]):
            st["found"] += 1
            shutil.rmtree(dest, ignore_errors=True)
        else:
            misses.append((fe, fault, units[fe][i][3], site, target, doc))
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        chains = list(pool.map(lambda m: chain(args, m[4], m[0]), misses))
    misses = [(fe, fault, unit, site, target, first_cause(fault, doc, ch)) for (fe, fault, unit, site, target, doc), ch in zip(misses, chains)]

    fps, pes, seen_units = [], Counter(), Counter()
    for (fe, i), doc in base.items():
        seen_units[fe] += 1
        pes[fe] += rule_counts(doc)["BENCH001"]
        for f in doc.get("findings", []):
            if f["severity"] in ("error", "warning"):
                fps.append((fe, units[fe][i][3], f["rule"], f["message"], f.get("file"), f.get("line")))
    elapsed = (datetime.datetime.now() - started).total_seconds()

    summary = {
        "plinth": args.plinth,
        "seconds": round(elapsed, 1),
        "limit": args.limit,
        "units": dict(seen_units),
        "private_endpoints_seen": dict(pes),
        "faults": {fe: {f: dict(stats[fe][f]) for f, _ in FAULTS} for fe in FRONT_ENDS},
        "baseline_errors_and_warnings": [dict(zip(("front_end", "unit", "rule", "message", "file", "line"), map(str, x))) for x in fps],
        "misses": [dict(zip(("front_end", "fault", "unit", "site", "copy", "cause"), map(str, x))) for x in misses],
        "miss_causes": {fe: {f: dict(Counter(m[5] for m in misses if m[0] == fe and m[1] == f)) for f, _ in FAULTS} for fe in FRONT_ENDS},
        "broken": [dict(zip(("front_end", "fault", "copy", "site", "errors"), map(str, x))) for x in broken],
    }
    report = Path(args.report) if args.report else work / "report.md"
    lines = [f"# plinth recall report ({started:%Y-%m-%d %H:%M}, {elapsed:.0f} s)", ""]
    lines += ["## Misses by first broken link (from `plinth graph --format json` on the mutated copy)", ""]
    for fe in FRONT_ENDS:
        for f, _ in FAULTS:
            for cause, n in sorted(summary["miss_causes"][fe][f].items(), key=lambda x: -x[1]):
                lines.append(f"- {fe} {f}: {n} x {cause}")
    lines += ["", "## Misses (fault, unit, site, first cause, mutated copy)", ""]
    lines += [f"- {fe} {fault}: `{unit}` ({site}; {cause}) -> `{target}`" for fe, fault, unit, site, target, cause in misses]
    lines += ["", "## Errors and warnings on the unmutated units", ""]
    lines += [f"- {fe} `{unit}`: {rule} {msg} ({file}:{line})" for fe, unit, rule, msg, file, line in fps]
    lines += ["", "## Mutations plinth could not read (new run errors)", ""]
    lines += [f"- {fe} {fault}: `{t}` ({site}): {err}" for fe, fault, t, site, err in broken]
    report.write_text("\n".join(lines) + "\n")
    summary["report"] = str(report)
    if args.json:
        json.dump(summary, sys.stdout, indent=2)
        print()
        return
    print(table(summary))
    print(f"\nreport: {report}")


def table(s):
    out = ["| front-end | fault (rule) | candidates | injected | found | recall |", "|---|---|---:|---:|---:|---:|"]
    for fe in FRONT_ENDS:
        tot = Counter()
        for fault, rules in FAULTS:
            st = s["faults"][fe][fault]
            tot.update({k: st.get(k, 0) for k in ("candidates", "injected", "found")})
            inj, found = st.get("injected", 0), st.get("found", 0)
            rec = f"{100 * found / inj:.0f}%" if inj else "–"
            out.append(f"| {fe} | {fault} ({'/'.join(rules)}) | {st.get('candidates', 0)} | {inj} | {found} | {rec} |")
        rec = f"{100 * tot['found'] / tot['injected']:.0f}%" if tot["injected"] else "–"
        out.append(f"| **{fe}** | **all** | **{tot['candidates']}** | **{tot['injected']}** | **{tot['found']}** | **{rec}** |")
    out.append("")
    out.append("| front-end | units | private endpoints seen (unmutated) | errors/warnings on unmutated units | not clean (skipped) | not injectable | broken |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for fe in FRONT_ENDS:
        fp = sum(1 for x in s["baseline_errors_and_warnings"] if x["front_end"] == fe)
        agg = Counter()
        for fault, _ in FAULTS:
            agg.update(s["faults"][fe][fault])
        out.append(f"| {fe} | {s['units'].get(fe, 0)} | {s['private_endpoints_seen'].get(fe, 0)} | {fp} | {agg['not clean']} | {agg['not injectable']} | {agg['broken']} |")
    return "\n".join(out)


if __name__ == "__main__":
    main()
