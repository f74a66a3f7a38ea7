/// Small-cell suppression as one problem across every table of a report (DESIGN.md §7 rule 4).
///
/// Every published number is a *cell*: table rows, table totals, the headline count, the
/// killings table, the per-country top types. Cells are tied by what a reader can add up: a
/// single-valued table's rows sum to the headline count, a multi-valued table's rows to its
/// total, the killings table's rows of one kind to that kind's row in the types table, a type's
/// cells across the top-types table to its row (when every country with it shows it), and a cell
/// never exceeds a cell that contains it (a country's top type and its total). Primary
/// suppression hides counts 1…T−1 (T = 5, or 10 for sexual violence and trans women); then an
/// audit plays the reader: it narrows every hidden cell to the interval those sums and bounds
/// allow and, while any hidden cell is pinned to a single value, hides one more cell next to it.
/// A cell hidden only to protect another carries a neutral marker, never "<T", which would
/// understate it.
///
/// In the regional report every network is a reader who knows its own contribution to every
/// cell (review N5: MX added four GT killings and subtracted them, and GT's single killing came
/// out). Each cell carries its shares by network; a cell is hidden when, for some network, the
/// cell minus that network's share is between 1 and T−1 (shown with the neutral marker), and the
/// audit plays each network too, over the others' part of every cell.
struct SuppressionPlan {
    /// `unpublished`: a number the report never shows but a reader can bound (a country's count
    /// of a type outside its top three), part of a sum all the same.
    enum Status: Equatable { case published, small(below: Int), complementary, unpublished }

    private(set) var values: [Int] = []
    private(set) var status: [Status] = []
    /// Each cell's count by network (empty outside the regional report).
    private(set) var shares: [[String: Int]] = []
    private(set) var thresholds: [Int] = []
    /// Cells that must not be hidden to protect others (the headline count).
    private var anchored: Set<Int> = []
    /// Σ members = total.
    private(set) var sums: [(members: [Int], total: Int)] = []
    /// value[small] ≤ value[large].
    private(set) var bounds: [(small: Int, large: Int)] = []
    /// Bounds that hold for the totals only (an unseen type is at most a country's third shown
    /// one): one network's part of the two is in no such order, so its reading leaves them out.
    private var rankingBounds: Set<Int> = []

    /// Registers a cell; `threshold` is the primary-suppression threshold (0: never hidden as small).
    mutating func cell(_ value: Int, shares: [String: Int] = [:], threshold: Int, anchored isAnchored: Bool = false) -> Int {
        values.append(value)
        self.shares.append(shares)
        thresholds.append(threshold)
        if value > 0 && value < threshold {
            status.append(.small(below: threshold))
        } else if shares.values.contains(where: { value - $0 > 0 && value - $0 < threshold }) {
            // Small for one network: what the others put in is what that network would learn.
            status.append(.complementary)
        } else {
            status.append(.published)
        }
        if isAnchored { anchored.insert(values.count - 1) }
        return values.count - 1
    }

    /// A number that is never shown, at most `large`.
    mutating func unpublished(_ value: Int, shares: [String: Int] = [:], atMost large: Int) -> Int {
        values.append(value)
        self.shares.append(shares)
        thresholds.append(0)
        status.append(.unpublished)
        rankingBounds.insert(bounds.count)
        bounds.append((values.count - 1, large))
        return values.count - 1
    }

    mutating func sum(_ members: [Int], equals total: Int) { sums.append((members, total)) }
    mutating func bound(_ small: Int, atMost large: Int) { bounds.append((small, large)) }

    /// Shown in the report as hidden (the cells the audit protects).
    func isHidden(_ i: Int) -> Bool { status[i] != .published && status[i] != .unpublished }

    /// Complementary suppression until no hidden cell can be pinned down. Each round looks at
    /// every pinned cell and hides the smallest published cell tied to any of them (through a
    /// sum or a bound): the pin can come from another table than the cell's own.
    mutating func audit() {
        // Each round hides one more cell, so this ends; the cap only guards against a bug.
        let networks = Set(shares.flatMap(\.keys)).sorted()
        let partBounds = bounds.indices.filter { !rankingBounds.contains($0) }.map { bounds[$0] }
        for _ in 0..<values.count {
            let hidden = status.map { $0 != .published }
            let intervals = Self.intervals(values: values, hidden: hidden, lower: lowerBounds, sums: sums, bounds: bounds)
            var exposed = values.indices.filter { isHidden($0) && intervals[$0].lo == intervals[$0].hi }
            // Each network reads the others' part of every cell: exposed when it pins a hidden
            // one to between 1 and T−1.
            for network in networks where exposed.isEmpty {
                let own = shares.map { $0[network] ?? 0 }
                let others = zip(values, own).map { $0 - $1 }
                let lower = zip(lowerBounds, own).map { bound, s -> (lo: Int, hi: Int) in
                    (max(0, bound.lo - s), bound.hi == Int.max ? Int.max : max(0, bound.hi - s))
                }
                let seen = Self.intervals(values: others, hidden: hidden, lower: lower, sums: sums, bounds: partBounds)
                exposed = values.indices.filter { isHidden($0) && seen[$0].lo == seen[$0].hi && seen[$0].lo > 0 && seen[$0].lo < thresholds[$0] }
            }
            if exposed.isEmpty { return }
            // The headline count is hidden to protect another cell only when nothing else can be.
            if let next = smallest(exposed.flatMap { neighbours(of: $0, anchoredToo: false) })
                ?? smallest(exposed.flatMap { neighbours(of: $0, anchoredToo: true) }) {
                status[next] = .complementary
                continue
            }
            // Nothing left to hide next to it: what pins the cell is a marker's "below T" (four
            // rows each at least 1 under a "<5" total are four ones). The marker gives way to the
            // neutral one, which tells no upper bound: on a pinned cell or one tied to it.
            let markers = exposed.flatMap { [$0] + related(to: $0) }.filter { if case .small = status[$0] { return true } else { return false } }
            guard let marker = markers.max(by: { (values[$0], $1) < (values[$1], $0) }) else { return }
            status[marker] = .complementary
        }
    }

    private func smallest(_ cells: [Int]) -> Int? { cells.min { (values[$0], $0) < (values[$1], $1) } }

    /// Every cell that shares a sum or a bound with `cell`.
    private func related(to cell: Int) -> [Int] {
        var out: [Int] = []
        for (members, total) in sums where total == cell || members.contains(cell) { out += members + [total] }
        for (small, large) in bounds where small == cell || large == cell { out += [small, large] }
        return out.filter { $0 != cell }
    }

    /// Published non-zero cells that share a sum or a bound with `cell`.
    private func neighbours(of cell: Int, anchoredToo: Bool) -> [Int] {
        var out: [Int] = []
        for (members, total) in sums where total == cell || members.contains(cell) { out += members + [total] }
        for (small, large) in bounds where small == cell || large == cell { out += [small, large] }
        return out.filter { $0 != cell && status[$0] == .published && values[$0] > 0 && (anchoredToo || !anchored.contains($0)) }
    }

    /// What a reader knows of each hidden cell before any sum: at least 1 (zeros are shown), and
    /// below its threshold when it is marked "<T".
    private var lowerBounds: [(lo: Int, hi: Int)] {
        status.map { s in
            switch s {
            case .published: return (0, Int.max)
            case .small(let below): return (1, below - 1)
            case .complementary: return (1, Int.max)
            case .unpublished: return (0, Int.max)
            }
        }
    }

    /// The reader's deduction: interval propagation over the sums and bounds until nothing
    /// changes. Published cells are exact; hidden ones start from `lower`.
    static func intervals(values: [Int], hidden: [Bool], lower: [(lo: Int, hi: Int)],
                          sums: [(members: [Int], total: Int)], bounds: [(small: Int, large: Int)]) -> [(lo: Int, hi: Int)] {
        var iv: [(lo: Int, hi: Int)] = values.indices.map { hidden[$0] ? lower[$0] : (values[$0], values[$0]) }
        func add(_ a: Int, _ b: Int) -> Int {
            // Int.max stands for "no upper bound"; a sum that would pass it is unbounded too.
            if a == Int.max || b == Int.max { return Int.max }
            let (sum, overflow) = a.addingReportingOverflow(b)
            return overflow ? Int.max : sum
        }
        var changed = true
        var rounds = 0
        while changed && rounds < 100 {
            changed = false
            rounds += 1
            func tighten(_ i: Int, lo: Int, hi: Int) {
                let newLo = max(iv[i].lo, lo), newHi = min(iv[i].hi, hi)
                if newLo != iv[i].lo || newHi != iv[i].hi { iv[i] = (newLo, max(newLo, newHi)); changed = true }
            }
            for (members, total) in sums {
                tighten(total, lo: members.reduce(0) { add($0, iv[$1].lo) }, hi: members.reduce(0) { add($0, iv[$1].hi) })
                for (position, m) in members.enumerated() {
                    var othersLo = 0, othersHi = 0
                    for (other, j) in members.enumerated() where other != position {
                        othersLo = add(othersLo, iv[j].lo)
                        othersHi = add(othersHi, iv[j].hi)
                    }
                    // m = total − others.
                    let lo = othersHi == Int.max ? 0 : iv[total].lo - othersHi
                    let hi = iv[total].hi == Int.max ? Int.max : iv[total].hi - othersLo
                    tighten(m, lo: lo, hi: hi)
                }
            }
            for (small, large) in bounds {
                tighten(small, lo: 0, hi: iv[large].hi)
                tighten(large, lo: iv[small].lo, hi: Int.max)
            }
        }
        return iv
    }
}
