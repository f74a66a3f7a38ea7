#!/usr/bin/python3
"""The module map, from its one source: Package.swift.

    import_rules.py [SOURCES]        checks every Swift file's imports; exit 1 if any breaks a rule
    import_rules.py --map            prints the module map (docs/modules.md is this output)
    import_rules.py --check-map      exit 1 if docs/modules.md differs from it

"May import" is each target's dependency list in Package.swift (read with `swift package
dump-package`): a file may import only the modules its target names there, never one it merely
reaches through another (SwiftPM would allow that). "Must not" is kept here, because no list
of dependencies can say it: the offline and pure targets never link networking, and the
regional office never reaches a case store.
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SYSTEM = {"Foundation", "Glibc", "Darwin", "Dispatch", "Synchronization"}
NETWORKING = {"NIOCore", "NIOPosix", "NIOSSL", "NIOHTTP1", "NIOHTTPTypes", "NIOConcurrencyHelpers", "Hummingbird",
              "HummingbirdCore", "HummingbirdTLS", "AsyncHTTPClient", "FoundationNetworking", "PostgresNIO"}
# Offline and pure targets never link networking, whatever else changes.
NO_NETWORKING = {"Sodium", "DurableFiles", "Formats", "CLISupport", "Keys", "Casework", "Deidentify", "Registry", "Registration", "Region", "resguardo"}
MUST_NOT = {
    # The regional office: bundles in, regional registry and reports out. No regional command
    # can ever open a case store.
    "Region": {"Casework", "Registration"},
    # Keys sit below both the network's case work and the regional office.
    "Keys": {"Casework", "Region", "Registry", "Registration", "GRDB"},
    # The formats and the crypto below everything else: no store, no server.
    "Formats": {"Vault", "Intake", "Casework", "Registry", "GRDB"},
    "Sodium": {"Formats", "Vault", "Intake", "Casework"},
    # De-identification is pure: it reads reports and writes records, it opens no store.
    "Deidentify": {"Casework", "Registry", "Vault", "GRDB"},
    # La mesa serves plain HTTP on 127.0.0.1 to the laptop's own browser: no TLS, no client,
    # no online store; and `resguardo` (NO_NETWORKING above) never links it.
    "Mesa": {"Vault", "Intake", "HummingbirdTLS", "NIOSSL", "AsyncHTTPClient", "PostgresNIO", "FoundationNetworking"},
    "resguardo-mesa": {"Vault", "Intake", "HummingbirdTLS", "NIOSSL", "AsyncHTTPClient", "PostgresNIO", "FoundationNetworking"},
    "resguardo": {"Mesa"},
}
WHAT = {
    "CSodium": "libsodium (system library)", "CZlib": "zlib (system library)", "CHardening": "process hardening (C)",
    "Sodium": "libsodium: guarded memory, sealed boxes, signatures, BLAKE2b, Argon2id",
    "DurableFiles": "files written whole and synced (0600, atomic replace)",
    "Formats": "wire and file formats, reports, vocabulary, the staff catalogs (staff-po)",
    "Vault": "the online store: SQLite or PostgreSQL, export bundles, purge",
    "Intake": "the online server: routes, web form, proof of work, onion side",
    "CLISupport": "command-line plumbing: errors, passphrases, the terminal",
    "Keys": "key directories, split custody (recovery file, shares, recover), passphrase change, coordinator and release keys",
    "Casework": "the offline case store: workspace, unseal, cases, replies, referrals",
    "Deidentify": "reports → de-identified records, the k-check",
    "Registry": "the registry of aggressions and its reports",
    "Registration": "vetted cases → registry records → registry bundles",
    "Region": "the regional office: bundles in, regional registry out",
    "resguardo": "staff CLI (offline)", "resguardo-intake": "intake server and vault CLI (online)",
    "resguardo-submit": "defender's CLI client",
    "Mesa": "la mesa: the staff's offline web app (loopback HTTP over Casework, Registration, Registry, Keys)",
    "resguardo-mesa": "la mesa's server (`resguardo mesa` runs it)",
}
IMPORT = re.compile(r"^\s*(?:@\w+\s+)*(?:(?:public|internal|package|private|fileprivate)\s+)?import\s+(?:(?:struct|class|enum|func|var|protocol)\s+)?([A-Za-z_][A-Za-z0-9_]*)", re.M)


def package():
    dump = subprocess.run(["swift", "package", "dump-package"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if dump.returncode != 0:
        sys.exit(f"import_rules: swift package dump-package failed: {dump.stderr[-400:]}")
    targets = {}
    for t in json.loads(dump.stdout)["targets"]:
        deps = set()
        for d in t.get("dependencies", []):
            kind, value = next(iter(d.items()))
            deps.add(value[0])
        targets[t["name"]] = {"type": t["type"], "path": t.get("path"), "deps": deps}
    return targets


def module_map(targets):
    rows = ["# Module map", "",
            "Generated from Package.swift by `scripts/lib/import_rules.py --map` (checked by `scripts/test`).",
            "A target may import only what its row lists; the rules below the table hold whatever the table says.", "",
            "| module | what it is | may import |", "|---|---|---|"]
    for name in sorted((n for n, t in targets.items() if t["type"] in ("regular", "executable", "system") and not (t["path"] or "").startswith(("Benchmarks", "Tests"))),
                       key=lambda n: (targets[n]["type"] == "executable", n)):
        if name == "FuzzTargets":
            continue
        rows.append(f"| {name} | {WHAT.get(name, '')} | {', '.join(sorted(targets[name]['deps'])) or '—'} |")
    rows += ["", "Must not, whatever the table says:", "",
             f"- never networking ({', '.join(sorted(NETWORKING))}): {', '.join(sorted(NO_NETWORKING))};"]
    rows += [f"- {target} never {', '.join(sorted(banned))};" for target, banned in sorted(MUST_NOT.items())]
    rows[-1] = rows[-1].rstrip(";") + "."
    return "\n".join(rows) + "\n"


def check(sources, targets):
    problems = []
    for target, banned in MUST_NOT.items():
        for module in targets.get(target, {}).get("deps", set()) & banned:
            problems.append(f"Package.swift: {target} depends on {module}, which it must never reach")
    for target in NO_NETWORKING:
        for module in targets.get(target, {}).get("deps", set()) & NETWORKING:
            problems.append(f"Package.swift: {target} depends on {module}: it must not link networking")
    for target in sorted(os.listdir(sources)):
        folder = os.path.join(sources, target)
        if not os.path.isdir(folder):
            continue
        if target not in targets:
            problems.append(f"{target}: a folder of Sources/ that Package.swift does not declare")
            continue
        allowed = targets[target]["deps"]
        for root, _, files in os.walk(folder):
            for name in files:
                if not name.endswith(".swift"):
                    continue
                path = os.path.join(root, name)
                for module in IMPORT.findall(open(path, encoding="utf-8").read()):
                    if module in SYSTEM:
                        continue
                    if target in NO_NETWORKING and module in NETWORKING:
                        problems.append(f"{path}: {target} must not link networking, imports {module}")
                    elif module in MUST_NOT.get(target, set()):
                        problems.append(f"{path}: {target} must never import {module}")
                    elif module not in allowed:
                        problems.append(f"{path}: {target} imports {module}, which its row in Package.swift does not list")
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


def main():
    targets = package()
    if sys.argv[1:2] == ["--map"]:
        sys.stdout.write(module_map(targets))
        return 0
    if sys.argv[1:2] == ["--check-map"]:
        path = os.path.join(ROOT, "docs", "modules.md")
        have = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
        if have != module_map(targets):
            print("docs/modules.md is not the module map of Package.swift: run scripts/lib/import_rules.py --map > docs/modules.md", file=sys.stderr)
            return 1
        return 0
    return check(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "Sources"), targets)


if __name__ == "__main__":
    sys.exit(main())
