import Foundation
import Testing
import TestSupport
import TestHarness
import Formats
import Sodium
@testable import Casework
@testable import Registration
@testable import Registry

/// Issue 31: the yearly casework summary — exact on the laptop, suppressed when written out.
@Suite("Yearly casework summary")
struct CaseworkSummaryTests {
    @Test("a year of protection cases counted exactly (risk, support, relocations and family, outcomes, first response); written out, no count 1–4 shows and no hidden row can be recovered from a published total")
    func year() throws {
        let t = try TestWorkspace()
        let ws = t.workspace, today = CalendarDay.today()
        let reports = (0..<9).map { i in Array(#"{"version":1,"language":"es","country":"HN","aggression_types":["threat"],"description":"Caso \#(i)"}"#.utf8) }
        _ = try t.unseal(envelopes: try reports.map { try t.seal($0) })
        let ids = try ws.listCases().map(\.id)
        let year = Int(today.description.prefix(4)) ?? 0
        for (n, id) in ids.enumerated() {
            let level: RiskLevel = n < 6 ? .high : .medium
            try ws.assessRisk(id, try RiskAssessment(factors: [RiskFactor(kind: .threat, text: "amenaza \(n)", level: level)], overall: level, assessor: "Ana", day: today))
            try ws.requestSupport(id, try SupportRequest(category: n < 7 ? .legal : .digitalSecurity, funder: "propio", amount: nil, requested: today))
        }
        let family = [try Companion(relation: .child, ageBand: "under_18", name: "A"), try Companion(relation: .parent, ageBand: "60_69", name: "B")]
        try ws.setRelocation(ids[0], try Relocation(companions: family, host: "Casa refugio", destinationCountry: "CR", destinationPlace: "", travelPlan: "",
                                                    start: today, plannedReturn: nil, returnPlan: "", stage: .stay), today: today)
        try ws.closeCase(ids[1], outcome: .riskReduced, on: today)

        let counts = try ws.caseworkYear(year, keys: t.secrets)
        #expect(counts.cases == 9 && counts.byRisk[.high] == 6 && counts.byRisk[.medium] == 3)
        #expect(counts.supportByCategory[.legal] == 7 && counts.supportByCategory[.digitalSecurity] == 2 && counts.supportRequests == 9)
        #expect(counts.relocations == 1 && counts.relocatedWithFamily == 1 && counts.familyMembers == 2 && counts.familyByRelation[.child] == 1)
        #expect(counts.byOutcome[.riskReduced] == 1 && counts.closed == 1 && counts.answered == 9 && counts.firstResponse["0_1"] == 9)

        let exact = CaseworkSummary.tables(counts, suppress: false)
        #expect(exact.tables.first { $0.table.code == "family" }?.total == .count(2))
        let published = CaseworkSummary.tables(counts)
        for t in published.tables {
            for cell in t.rows + [t.total] {
                if case .count(let n) = cell { #expect(n == 0 || n >= 5, "\(t.table.code): \(n) published") }
            }
            // A reader adding the published rows of a summing table never pins a hidden one.
            if t.table.rowsSumToTotal, !t.total.isHidden {
                #expect(t.rows.filter(\.isHidden).count != 1, "\(t.table.code): one hidden row under a published total")
            }
        }
        #expect(published.tables.first { $0.table.code == "risk" }?.rows.first { _ in true } == .count(0))
        let json = String(decoding: published.json(), as: UTF8.self)
        // 7 legal and 2 digital under a published total of 9: the 2 is "<5", and the 7 must go
        // too ("x"), or 9 − 7 would give the 2 away; the same for 6 high and 3 medium risk.
        #expect(json.contains(#""code":"legal","es":"Apoyo legal","en":"Legal support","count":"x""#), "\(json)")
        #expect(json.contains(#""code":"high","es":"Riesgo alto","en":"High risk","count":"x""#) && json.contains(#""code":"0_1","es":"0 a 1 días","en":"0–1 days","count":"9""#))
        let html = published.html(title: "Resumen de casos \(year) — Red de Defensoras (DEMO)", subtitle: "Casos de protección del año / protection cases of the year", isInternal: false)
        #expect(html.contains("&lt;5") && !html.contains("<script"))
        // The page renders in Chromium (docs/casework-summary-es.png with RESGUARDO_WRITE_SAMPLE_SUMMARY).
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return }
        let page = t.scratch.path("resumen.html"), png = t.scratch.path("resumen.png")
        try html.write(toFile: page, atomically: true, encoding: .utf8)
        _ = try runSubprocess(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                                         "--window-size=820,1500", "--screenshot=\(png)", URL(fileURLWithPath: page).absoluteString])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: png))
        #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) && bytes.count > 20_000)
        if let sample = ProcessInfo.processInfo.environment["RESGUARDO_WRITE_SAMPLE_SUMMARY"] {
            try? FileManager.default.removeItem(atPath: sample)
            try FileManager.default.copyItem(atPath: png, toPath: sample)
        }
    }
}
