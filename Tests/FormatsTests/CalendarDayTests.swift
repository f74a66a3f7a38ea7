import Testing
@testable import Formats

@Suite("Calendar days")
struct CalendarDayTests {
    @Test("parses only real YYYY-MM-DD dates", arguments: ["2024-02-29", "1970-01-01", "2026-11-25"])
    func valid(_ text: String) throws {
        let day = try #require(CalendarDay(text))
        #expect(day.description == text)
        #expect(CalendarDay(daysSinceEpoch: day.daysSinceEpoch) == day)
    }

    @Test("refuses impossible or sloppy dates", arguments: ["2025-02-29", "2026-13-01", "2026-1-01", "26-11-25", "2026-11-25T00:00", "２０２６-11-25"])
    func invalid(_ text: String) {
        #expect(CalendarDay(text) == nil)
    }

    @Test("day arithmetic crosses months, years and leap days")
    func arithmetic() throws {
        #expect(CalendarDay("2024-02-28")?.adding(days: 1).description == "2024-02-29")
        #expect(CalendarDay("2026-12-31")?.adding(days: 1).description == "2027-01-01")
        #expect(CalendarDay("1970-01-01")?.daysSinceEpoch == 0)
    }
}
