/// One transaction as the tabular featurizer sees it: plain typed fields the pipeline maps from the
/// decoded message (the featurizer knows nothing of Kafka or JSON).
public struct FeatureInput: Sendable, Equatable {
    /// The account the per-account behaviour features are kept for.
    public var accountID: String
    /// Event time, milliseconds since the Unix epoch (UTC).
    public var timestampMillis: Int64
    /// Amount in the currency's major units (e.g. 12.34 for EUR 12.34).
    public var amount: Double
    /// ISO 4217 code.
    public var currency: String
    /// Offset of the transaction's local time from UTC, minutes (nil: use UTC).
    public var utcOffsetMinutes: Int?
    public var merchantName: String?
    public var merchantCategory: String?
    public var country: String?
    public var channel: String?
    public var deviceID: String?
    public var description: String?
    /// User-defined numeric fields, by name (see `FeatureSpec.numericFields`).
    public var numeric: [String: Double]
    /// User-defined categorical fields, by name (see `FeatureSpec.categoricalFields`).
    public var categorical: [String: String]

    /// Creates an input; optional fields default to absent.
    public init(accountID: String, timestampMillis: Int64, amount: Double, currency: String,
                utcOffsetMinutes: Int? = nil, merchantName: String? = nil, merchantCategory: String? = nil,
                country: String? = nil, channel: String? = nil, deviceID: String? = nil, description: String? = nil,
                numeric: [String: Double] = [:], categorical: [String: String] = [:]) {
        self.accountID = accountID
        self.timestampMillis = timestampMillis
        self.amount = amount
        self.currency = currency
        self.utcOffsetMinutes = utcOffsetMinutes
        self.merchantName = merchantName
        self.merchantCategory = merchantCategory
        self.country = country
        self.channel = channel
        self.deviceID = deviceID
        self.description = description
        self.numeric = numeric
        self.categorical = categorical
    }

    /// Where a categorical field's value comes from, resolved once per spec instead of per event.
    enum CategoricalSource: Sendable {
        case merchantCategory, channel, country, currency, merchantName, deviceID
        case custom(String)

        init(_ name: String) {
            switch name {
            case "merchant_category": self = .merchantCategory
            case "channel": self = .channel
            case "country": self = .country
            case "currency": self = .currency
            case "merchant_name": self = .merchantName
            case "device_id": self = .deviceID
            default: self = .custom(name)
            }
        }
    }

    @inline(__always)
    func value(of source: CategoricalSource) -> String? {
        switch source {
        case .merchantCategory: return merchantCategory
        case .channel: return channel
        case .country: return country
        case .currency: return currency
        case .merchantName: return merchantName
        case .deviceID: return deviceID
        case let .custom(name): return categorical[name]
        }
    }

    /// The value of a categorical field: the built-in names `merchant_category`, `channel`, `country`,
    /// `currency`, `merchant_name`, `device_id`, else the user-defined `categorical[name]`.
    public func categoricalValue(_ name: String) -> String? {
        value(of: CategoricalSource(name))
    }
}
