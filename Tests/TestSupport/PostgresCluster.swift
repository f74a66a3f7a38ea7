import Foundation

/// A throwaway PostgreSQL cluster for one test: `initdb` in a temporary folder, `pg_ctl` on a Unix
/// socket in it (no TCP listener), stopped and removed at the end. As root, the server runs as
/// Debian's `postgres` user (initdb refuses root).
public final class PostgresCluster: @unchecked Sendable {
    public let folder: URL
    public var socketDirectory: String { folder.appendingPathComponent("sock").path }
    var data: String { folder.appendingPathComponent("data").path }
    let bin: String
    let asPostgres: Bool
    /// The port that names the socket file (`.s.PGSQL.PORT`); 5432 unless a test asks otherwise.
    public let port: Int

    public init(port: Int = 5432) throws {
        self.port = port
        folder = URL(fileURLWithPath: "/tmp").appendingPathComponent("pg-test-\(UUID().uuidString.prefix(8))")
        let candidates = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).sorted().reversed()
        guard let version = candidates.first(where: { FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\($0)/bin/initdb") }) else {
            throw ClusterFailure(description: "PostgreSQL is not installed (scripts/setup installs Debian's postgresql)")
        }
        bin = "/usr/lib/postgresql/\(version)/bin"
        asPostgres = getuid() == 0
        try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
        if asPostgres { _ = try runSubprocess("/usr/bin/chown", ["-R", "postgres:postgres", folder.path]) }
        let initdb = try run("initdb", ["-D", data, "--auth=trust", "--username=postgres", "--no-sync", "-E", "UTF8"])
        guard initdb.status == 0 else { throw ClusterFailure(description: "initdb failed: \(initdb.output)") }
        try start()
    }

    /// A second database in the cluster (a second network's vault on the same server).
    public func createDatabase(_ name: String) throws {
        let made = try run("createdb", ["-h", socketDirectory, "-p", String(port), "-U", "postgres", name])
        guard made.status == 0 else { throw ClusterFailure(description: "createdb \(name) failed: \(made.output)") }
    }

    /// `postgres:///NAME` on this cluster's socket, as a network's `vault` names it.
    public func url(database: String) -> String { "postgres:///\(database)?host=\(socketDirectory)&port=\(port)&user=postgres" }

    func run(_ tool: String, _ arguments: [String]) throws -> SubprocessOutcome {
        if asPostgres { return try runSubprocess("/usr/sbin/runuser", ["-u", "postgres", "--", "\(bin)/\(tool)"] + arguments) }
        return try runSubprocess("\(bin)/\(tool)", arguments)
    }

    /// pg_ctl's server inherits the standard streams it was given: they go to a file, not to a
    /// pipe this process would wait on for ever.
    public func start() throws {
        let log = folder.appendingPathComponent("pg_ctl.out").path
        let command = "'\(bin)/pg_ctl' -D '\(data)' -w -t 30 -l '\(folder.appendingPathComponent("log").path)' -o \"-k \(socketDirectory) -p \(port) -c listen_addresses=''\" start >'\(log)' 2>&1 </dev/null"
        // posix_spawn and waitpid on that one PID: Foundation's Process never returned from
        // waitUntilExit here (the server pg_ctl leaves running is a grandchild of it).
        let status = Self.spawnAndWait(asPostgres ? "/usr/sbin/runuser" : "/bin/sh", (asPostgres ? ["-u", "postgres", "--", "/bin/sh"] : []) + ["-c", command])
        guard status == 0 else {
            throw ClusterFailure(description: "pg_ctl start failed: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
    }

    static func spawnAndWait(_ path: String, _ arguments: [String]) -> Int32 {
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, path, nil, nil, argv, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status >> 8) & 0xFF
    }

    /// `pg_ctl restart -m immediate`: the server stops as if it crashed, then comes back.
    public func stopImmediately() throws { _ = ctl("-m immediate -w stop") }

    /// pg_ctl with its streams to a file, through posix_spawn (see `start`).
    func ctl(_ arguments: String) -> Int32 {
        let command = "'\(bin)/pg_ctl' -D '\(data)' \(arguments) >>'\(folder.appendingPathComponent("pg_ctl.out").path)' 2>&1 </dev/null"
        return Self.spawnAndWait(asPostgres ? "/usr/sbin/runuser" : "/bin/sh", (asPostgres ? ["-u", "postgres", "--", "/bin/sh"] : []) + ["-c", command])
    }
    // (stop leaves no daemon behind, so a pipe is fine there)

    deinit {
        _ = ctl("-m fast -w stop")
        try? FileManager.default.removeItem(at: folder)
    }
}

public struct ClusterFailure: Error, CustomStringConvertible { public let description: String }
