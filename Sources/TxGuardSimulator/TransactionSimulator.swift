/// A seeded, deterministic stream of realistic card transactions with ground truth: accounts
/// with habits, daily/weekly cycles, several currencies, fraud scenarios and legitimate
/// look-alikes. Iterating yields events in timestamp order; the same config yields the same
/// events (and the same bytes from `jsonLine`) on every run.
public struct TransactionSimulator: Sequence, Sendable {
    /// The configuration it was built from.
    public let config: SimulatorConfig
    /// What the scenario planner decided (accounts per scenario, compromised merchants, ...).
    public let summary: ScenarioSummary
    /// Start of the period, epoch milliseconds (inclusive).
    public let startMillis: Int64
    /// End of the period, epoch milliseconds (exclusive).
    public let endMillis: Int64

    let accounts: [Account]
    let plan: ScenarioPlan
    let daily: DailySpending
    let idSalt: UInt64

    static let dayMs: Int64 = 86_400_000

    /// Builds the population and plans scenarios; throws if the config is invalid.
    public init(config: SimulatorConfig) throws(SimulatorConfigError) {
        try config.validate()
        self.config = config
        var days = Int64(config.days)
        if let maxEvents = config.maxEvents {
            // Size the period so that it holds maxEvents with margin; the stream stops at maxEvents.
            let perDay = Double(config.accounts) * (config.meanDailyTransactions + 0.05)
            days = Int64((Double(maxEvents) / perDay * 1.15).rounded(.up)) + 1
        }
        startMillis = config.startEpochMillis
        endMillis = config.startEpochMillis + days * Self.dayMs
        let directory = MerchantDirectory(seed: config.seed)
        let factory = EventFactory(amountAsNumberShare: config.amountAsNumberShare)
        let accountFactory = AccountFactory(config: config, directory: directory)
        accounts = (0..<config.accounts).map { accountFactory.make(index: $0) }
        var planner = ScenarioPlanner(config: config, accounts: accounts, directory: directory, factory: factory,
                                      accountFactory: accountFactory, startMs: startMillis, endMs: endMillis)
        plan = planner.makePlan()
        summary = plan.summary
        daily = DailySpending(seed: config.seed, directory: directory, factory: factory, startMs: startMillis, endMs: endMillis)
        idSalt = SplitMix64.mix(config.seed ^ Self.fingerprint(config))
    }

    /// FNV-1a over every config field (bit patterns, sorted keys), so that two different
    /// configs with the same seed do not produce colliding transaction ids.
    static func fingerprint(_ c: SimulatorConfig) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        func eat(_ v: UInt64) { for i in 0..<8 { h = (h ^ ((v >> (8 * UInt64(i))) & 0xFF)) &* 0x100_0000_01B3 } }
        func eat(_ s: String) { for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }; eat(UInt64(s.utf8.count)) }
        eat(c.seed); eat(UInt64(bitPattern: Int64(c.accounts))); eat(UInt64(bitPattern: Int64(c.days)))
        eat(UInt64(bitPattern: Int64(c.maxEvents ?? -1))); eat(UInt64(bitPattern: c.startEpochMillis))
        for d in [c.fraudRate, c.lookalikeRate, c.meanDailyTransactions, c.amountAsNumberShare] { eat(d.bitPattern) }
        for (k, w) in c.scenarioWeights.sorted(by: { $0.key < $1.key }) { eat(k); eat(w.bitPattern) }
        c.currencies.forEach { eat($0) }
        eat("|")
        c.countries.forEach { eat($0) }
        return h
    }

    /// Roughly how many events a full iteration yields (for progress and ETA).
    public var estimatedEventCount: Int {
        let days = Double(endMillis - startMillis) / Double(Self.dayMs)
        let subscriptions = accounts.reduce(0) { $0 + $1.subscriptions.count }
        let everyday = accounts.reduce(0.0) { $0 + $1.dailyRate } * days + Double(subscriptions) * days / 30.4
        let total = Int(everyday) + plan.events.count
        return config.maxEvents.map { Swift.min($0, total) } ?? total
    }

    /// An iterator over the stream.
    public func makeIterator() -> Iterator { Iterator(self) }

    /// Produces events in timestamp order, one local calendar day at a time: a day's events
    /// are generated for every account, merged with planned scenario events, sorted, and
    /// released up to the earliest instant a later day could still produce.
    public struct Iterator: IteratorProtocol, Sendable {
        let sim: TransactionSimulator
        var day: Int64
        let lastDay: Int64
        /// Events of any country's next local day start no earlier than this before UTC midnight.
        let aheadMs: Int64
        var pending: [SimulatedTransaction] = []
        var ready: [SimulatedTransaction] = []
        var readyIndex = 0
        var scenarioIndex = 0
        var emitted = 0
        var tiebreak: UInt64 = 0
        var finished = false

        init(_ sim: TransactionSimulator) {
            self.sim = sim
            let offsets = Country.all.map { Int64($0.utcOffsetMinutes) * 60_000 }
            let minOffset = offsets.min() ?? 0
            let maxOffset = offsets.max() ?? 0
            aheadMs = Swift.max(0, maxOffset)
            day = Self.floorDiv(sim.startMillis + minOffset, TransactionSimulator.dayMs)
            lastDay = Self.floorDiv(sim.endMillis - 1 + maxOffset, TransactionSimulator.dayMs)
        }

        static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

        /// The next event, or nil at the end of the period (or after `maxEvents`).
        public mutating func next() -> SimulatedTransaction? {
            if let maxEvents = sim.config.maxEvents, emitted >= maxEvents { return nil }
            while readyIndex >= ready.count {
                if finished { return nil }
                advance()
            }
            var e = ready[readyIndex]
            readyIndex += 1
            e.sequence = emitted
            e.idSeed = SplitMix64.mix(sim.idSalt ^ SplitMix64.mix(UInt64(emitted)))
            emitted += 1
            return e
        }

        private mutating func advance() {
            let threshold: Int64
            if day > lastDay {
                threshold = .max
                finished = true
            } else {
                for a in sim.accounts {
                    sim.daily.generate(a, day: day, trip: sim.plan.trips[a.index], tiebreak: &tiebreak, into: &pending)
                }
                threshold = (day + 1) * TransactionSimulator.dayMs - aheadMs
                day += 1
            }
            let scenario = sim.plan.events
            while scenarioIndex < scenario.count, scenario[scenarioIndex].timestampMillis < threshold {
                pending.append(scenario[scenarioIndex])
                scenarioIndex += 1
            }
            pending.sort { ($0.timestampMillis, $0.tiebreak) < ($1.timestampMillis, $1.tiebreak) }
            let cut = pending.partitioningIndex { $0.timestampMillis >= threshold }
            ready = Array(pending[..<cut])
            pending.removeFirst(cut)
            readyIndex = 0
        }
    }
}

extension Array {
    /// First index whose element satisfies `pred`, for an array partitioned by it (binary search).
    func partitioningIndex(where pred: (Element) -> Bool) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if pred(self[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
