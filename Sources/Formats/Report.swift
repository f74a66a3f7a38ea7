public import Sodium

/// Report v1: the plaintext a defender seals (DESIGN.md §3a, docs/formats.md §6). Only the offline
/// side ever sees one. Validation is total: every problem is collected and named, unknown codes are
/// errors, and unknown fields are kept and listed rather than dropped.
public struct Report: Sendable, Equatable {
    public static let version = 1
    public static let maxDescriptionLength = 20_000
    public static let maxAttachments = 20

    /// When it happened, at the precision the defender knows.
    public enum IncidentDate: Sendable, Hashable, CustomStringConvertible {
        case day(CalendarDay)
        case month(year: Int, month: Int)
        case year(Int)

        public init?(_ text: String) {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            func number(_ s: Substring, digits: Int) -> Int? {
                s.count == digits && s.allSatisfy(\.isASCII) && s.allSatisfy(\.isNumber) ? Int(s) : nil
            }
            switch parts.count {
            case 1:
                guard let y = number(parts[0], digits: 4), y >= 1 else { return nil }
                self = .year(y)
            case 2:
                guard let y = number(parts[0], digits: 4), let m = number(parts[1], digits: 2), y >= 1, (1...12).contains(m) else { return nil }
                self = .month(year: y, month: m)
            case 3:
                guard let d = CalendarDay(text) else { return nil }
                self = .day(d)
            default:
                return nil
            }
        }

        /// The earliest day the date can mean, for "not in the future" checks and ordering.
        public var earliestDay: CalendarDay {
            switch self {
            case .day(let d): return d
            case .month(let y, let m): return CalendarDay(year: y, month: m, day: 1) ?? CalendarDay(daysSinceEpoch: 0)
            case .year(let y): return CalendarDay(year: y, month: 1, day: 1) ?? CalendarDay(daysSinceEpoch: 0)
            }
        }

        public var year: Int {
            switch self {
            case .day(let d): return d.year
            case .month(let y, _), .year(let y): return y
            }
        }

        public var precision: String {
            switch self {
            case .day: return "day"
            case .month: return "month"
            case .year: return "year"
            }
        }

        public var description: String {
            switch self {
            case .day(let d): return d.description
            case .month(let y, let m): return fourDigitYear(y) + "-" + (m < 10 ? "0\(m)" : "\(m)")
            case .year(let y): return fourDigitYear(y)
            }
        }
    }

    public struct Defender: Sendable, Equatable {
        public var name: String?
        public var organisation: String?
        public var contact: String?
        public var nationalId: String?
        public var birthYear: Int?
        public var ageBand: String?
        public var genderIdentity: String?
        public var ethnicity: String?
        public init() {}
    }

    public struct Consent: Sendable, Equatable {
        /// May the de-identified record enter the published registry?
        public var registry: Bool
        /// May staff contact the defender through the contact she gave?
        public var contact: Bool
        public init(registry: Bool = false, contact: Bool = false) {
            self.registry = registry
            self.contact = contact
        }
    }

    public struct Attachment: Sendable, Equatable {
        public var filename: String
        public var mediaType: String
        public var data: [UInt8]
        public init(filename: String, mediaType: String, data: [UInt8]) {
            self.filename = filename
            self.mediaType = mediaType
            self.data = data
        }
    }

    public var language: Language
    public var country: String
    public var region: String?
    public var locality: String?
    public var setting: String?
    public var incidentDate: IncidentDate?
    public var aggressionTypes: [String] = []
    public var perpetrators: [String] = []
    public var rightsDefended: [String] = []
    public var targetScope: String?
    public var peopleAffected: Int?
    public var genderComponent: Bool?
    public var genderComponentTypes: [String] = []
    public var affectsRelatives: Bool?
    public var description: String
    public var defender = Defender()
    public var needs: [String] = []
    public var urgent = false
    public var consent = Consent()
    public var replyPublicKey: SealPublicKey?
    public var attachments: [Attachment] = []
    /// Members this version does not know, by path (`extra`, `defender.alias`), kept verbatim.
    public var unknownFields: [UnknownField] = []

    public struct UnknownField: Sendable, Equatable {
        /// Where it was, for people: `apodo`, `defender.apodo`, `attachments[0].hash`.
        public let path: String
        public let value: JSONValue
        /// The object it belongs to (`""` top level, `defender.`, `consent.`, `attachments[N].`)
        /// and its own name, so it is written back exactly where it came from.
        let container: String
        let name: String

        init(container: String, name: String, value: JSONValue) {
            path = container + name
            self.value = value
            self.container = container
            self.name = name
        }
    }

    public init(language: Language, country: String, description: String) {
        self.language = language
        self.country = country
        self.description = description
    }
}

/// A year as four digits (`0999`), as ISO 8601 writes it.
func fourDigitYear(_ value: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}

/// One thing wrong with a report, naming the field (a JSON path) and the bad value.
public struct ReportIssue: Sendable, Equatable, CustomStringConvertible {
    public enum Problem: Sendable, Equatable {
        case missing
        case wrongType(expected: String, actual: String)
        case unknownCode(String, vocabulary: String)
        case duplicateCode(String)
        case invalid(String)
    }

    public let field: String
    public let problem: Problem

    /// Quotes the sender's own strings in their visible form only (TerminalText): this text
    /// becomes a quarantine reason that staff read in a terminal.
    public var description: String {
        let field = TerminalText.escaped(self.field)
        switch problem {
        case .missing: return L("`{field}` is required but missing", ["field": "\(field)"])
        case .wrongType(let e, let a): return L("`{field}` must be {e}, not {a}", ["field": "\(field)", "e": "\(e)", "a": "\(a)"])
        case .unknownCode(let code, let vocabulary): return L("`{field}` has unknown code `{value}` (not in the {vocabulary} vocabulary)", ["field": "\(field)", "value": "\(TerminalText.escaped(code))", "vocabulary": "\(vocabulary)"])
        case .duplicateCode(let code): return L("`{field}` lists `{value}` more than once", ["field": "\(field)", "value": "\(TerminalText.escaped(code))"])
        case .invalid(let why): return "`\(field)` \(why)"
        }
    }
}

public enum ReportError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformedJSON(String)
    case notAnObject(String)
    case unsupportedVersion(String)
    case invalid([ReportIssue])

    public var description: String {
        switch self {
        case .malformedJSON(let why): return L("report is not valid JSON: {why}", ["why": "\(why)"])
        case .notAnObject(let type): return L("report must be a JSON object, not {type}", ["type": "\(type)"])
        case .unsupportedVersion(let v): return L("report version {v} is not supported (expected 1)", ["v": "\(v)"])
        case .invalid(let issues):
            return L("report has {count} problem{value}: ", ["count": "\(issues.count)", "value": "\(issues.count == 1 ? "" : "s")"]) + issues.map(\.description).joined(separator: "; ")
        }
    }

    public var issues: [ReportIssue] {
        if case .invalid(let list) = self { return list }
        return []
    }
}
