#!/usr/bin/python3
"""Checks DESIGN.md §2's module map: every Swift target imports only what its row allows.

    import_rules.py [SOURCES]   prints each import that breaks a rule; exit 1 if any does

The allowed lists are this file's copy of the table (plus the system modules every target may
use). A rule still being worked towards is listed in PENDING with the issue that removes it, so
the exception is visible and temporary, never silent.
"""
import os
import re
import sys

SYSTEM = {"Foundation", "Glibc", "Darwin", "Dispatch", "Synchronization"}
NETWORKING = {"NIOCore", "NIOPosix", "NIOSSL", "NIOHTTP1", "NIOHTTPTypes", "NIOConcurrencyHelpers", "Hummingbird",
              "HummingbirdCore", "HummingbirdTLS", "AsyncHTTPClient", "FoundationNetworking", "PostgresNIO"}

ALLOWED = {
    "CSodium": set(), "CHardening": set(), "CZlib": set(),
    "Sodium": {"CSodium"},
    "DurableFiles": set(),
    "Formats": {"Sodium", "DurableFiles"},
    "Vault": {"Formats", "Sodium", "DurableFiles", "GRDB", "PostgresNIO", "NIOSSL"},  # NIOSSL: the PostgreSQL connection's TLS
    "Intake": {"Vault", "Formats", "Sodium", "CZlib", "Hummingbird", "HummingbirdCore", "HummingbirdTLS", "NIOCore", "NIOSSL",
               "NIOHTTPTypes", "NIOConcurrencyHelpers", "HTTPTypes", "Logging", "ServiceLifecycle"},
    "CLISupport": {"Sodium", "CHardening", "DurableFiles", "ArgumentParser"},
    "Casework": {"Formats", "Sodium", "DurableFiles", "GRDB", "Deidentify"},
    "Deidentify": {"Formats", "Sodium"},
    "Registry": {"Deidentify", "Formats", "GRDB"},
    "Registration": {"Casework", "Deidentify", "Registry", "Formats", "Sodium", "GRDB"},
    # The regional office: bundles in, regional registry and reports out. It cannot import
    # Casework or Registration, so no regional command can ever open a case store.
    "Region": {"Registry", "Deidentify", "Formats", "Sodium", "DurableFiles"},
    "FuzzTargets": {"Formats", "Sodium", "Casework", "Registry"},
    "resguardo-intake": {"Intake", "Vault", "Formats", "Sodium", "CLISupport", "DurableFiles", "ArgumentParser", "Logging", "Hummingbird"},
    "resguardo": {"Casework", "Deidentify", "Registry", "Registration", "Region", "Formats", "Sodium", "CLISupport", "DurableFiles", "ArgumentParser"},
    "resguardo-submit": {"Formats", "Sodium", "CLISupport", "DurableFiles", "ArgumentParser", "AsyncHTTPClient", "NIOCore", "NIOSSL"},
}
# Offline and pure targets never link networking, whatever else changes.
NO_NETWORKING = {"Sodium", "DurableFiles", "Formats", "CLISupport", "Casework", "Deidentify", "Registry", "Registration", "Region", "resguardo"}
PENDING = {}

IMPORT = re.compile(r"^\s*(?:@\w+\s+)*(?:(?:public|internal|package|private|fileprivate)\s+)?import\s+(?:(?:struct|class|enum|func|var|protocol)\s+)?([A-Za-z_][A-Za-z0-9_]*)", re.M)


def main():
    sources = sys.argv[1] if len(sys.argv) > 1 else "Sources"
    problems = []
    for target in sorted(os.listdir(sources)):
        folder = os.path.join(sources, target)
        if not os.path.isdir(folder):
            continue
        if target not in ALLOWED:
            problems.append(f"{target}: not in the module map (add its row to DESIGN.md §2 and to this check)")
            continue
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
                    elif module not in ALLOWED[target] and (target, module) not in PENDING:
                        problems.append(f"{path}: {target} may not import {module}")
    for (target, module), why in sorted(PENDING.items()):
        print(f"pending: {target} → {module} ({why})")
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
