public import Formats
public import Keys
import Foundation

/// The internal yearly casework summary's raw counts (issue 31): what the protection cases of a
/// year were — their risk, the support asked, the relocations and who moved, how they ended,
/// how soon staff first answered. Exact counts: `CaseworkSummary` (Registration) suppresses them
/// before anything is written to a file.
public struct CaseworkYear: Sendable {
    public let year: Int
    /// Protection cases with anything recorded in the year, or closed in it.
    public var cases = 0
    /// By the latest assessment of the year (nil: not assessed).
    public var byRisk: [RiskLevel?: Int] = [:]
    /// Support requests made in the year, by category.
    public var supportByCategory: [SupportCategory: Int] = [:]
    public var supportRequests = 0
    /// Cases whose relocation started in the year, and the people who moved with them by relation.
    public var relocations = 0
    public var relocatedWithFamily = 0
    public var familyByRelation: [Companion.Relation: Int] = [:]
    public var familyMembers = 0
    /// Cases closed in the year, by outcome.
    public var byOutcome: [CaseOutcome: Int] = [:]
    public var closed = 0
    /// Days from the report's arrival to the first answer, in bands.
    public var firstResponse: [String: Int] = [:]
    public var answered = 0

    public static let responseBands = ["0_1", "2_7", "8_30", "31_plus"]

    static func band(_ days: Int) -> String {
        switch days {
        case ..<2: return "0_1"
        case 2...7: return "2_7"
        case 8...30: return "8_30"
        default: return "31_plus"
        }
    }
}

extension Workspace {
    /// Counts the year's protection cases; needs the keys (the items are sealed).
    public func caseworkYear(_ year: Int, keys unlocked: UnlockedKeys) throws(CaseError) -> CaseworkYear {
        guard let from = CalendarDay(String(format: "%04d-01-01", year)), let to = CalendarDay(String(format: "%04d-12-31", year)) else {
            throw .io(L("`{year}` is not a year", ["year": "\(year)"]))
        }
        func inYear(_ day: CalendarDay?) -> Bool { day.map { $0 >= from && $0 <= to } ?? false }
        var out = CaseworkYear(year: year)
        for c in try database.protectionCases(from: from, to: to) {
            out.cases += 1
            let latest = try riskAssessments(c.id, keys: unlocked).filter { $0.day <= to }.max { $0.day < $1.day }
            out.byRisk[latest?.overall, default: 0] += 1
            for (_, request) in try supportRequests(c.id, keys: unlocked) where inYear(request.requested) {
                out.supportByCategory[request.category, default: 0] += 1
                out.supportRequests += 1
            }
            if let r = try relocation(c.id, keys: unlocked), inYear(r.start) {
                out.relocations += 1
                if !r.companions.isEmpty { out.relocatedWithFamily += 1 }
                for companion in r.companions { out.familyByRelation[companion.relation, default: 0] += 1 }
                out.familyMembers += r.companions.count
            }
            if inYear(c.closed), let closure = try closure(c.id, keys: unlocked) {
                out.byOutcome[closure.outcome, default: 0] += 1
                out.closed += 1
            }
            if let received = c.received, let first = c.firstResponse {
                out.firstResponse[CaseworkYear.band(max(0, first.daysSinceEpoch - received.daysSinceEpoch)), default: 0] += 1
                out.answered += 1
            }
        }
        return out
    }
}
