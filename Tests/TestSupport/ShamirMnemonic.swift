import Foundation

/// PyPI's `shamir-mnemonic` in a private venv under .build (made once; PyPI is reachable here,
/// Debian does not package it).
public enum ShamirMnemonic {
    public static func python() throws -> String {
        let venv = repositoryRoot.appendingPathComponent(".build/venv-shamir").path
        let python = venv + "/bin/python"
        if runQuiet(python, ["-c", "import shamir_mnemonic"]) { return python }
        _ = try runSubprocess(debianPython, ["-m", "venv", venv])
        let pip = try runSubprocess(venv + "/bin/pip", ["install", "-q", "shamir-mnemonic==0.3.0"])
        guard pip.status == 0 else { throw VenvFailure(description: "cannot install shamir-mnemonic from PyPI: \(pip.output)") }
        return python
    }

    static func runQuiet(_ path: String, _ args: [String]) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: path) else { return false }
        return (try? runSubprocess(path, args).status) == 0
    }
}

public struct VenvFailure: Error, CustomStringConvertible { public let description: String }
