/// One decoded, validated financial transaction: txguard's canonical input record.
///
/// Produced by a `TransactionDecoder` from whatever shape the payment system publishes
/// (see `FieldMapping`); everything downstream (features, detectors, alerts) reads only this.
public struct Transaction: Sendable, Hashable {
    /// Producer's unique id of the transaction.
    public var transactionID: String
    /// Account the transaction belongs to (the Kafka key and the unit of per-account state).
    public var accountID: String
    /// Event time as microseconds since the Unix epoch, UTC.
    public var timestampMicros: Int64
    /// Exact amount in the transaction currency.
    public var amount: Money
    /// ISO 4217 alphabetic code, upper case.
    public var currency: String
    /// Merchant name as sent (free text).
    public var merchantName: String?
    /// Merchant category code (ISO 18245 MCC), always four digits, e.g. `"5411"`.
    public var merchantCategory: String?
    /// Free-text memo / description.
    public var description: String?
    /// ISO 3166-1 alpha-2 country code, upper case.
    public var country: String?
    /// Channel as sent (e.g. `pos`, `ecom`, `atm`).
    public var channel: String?
    /// Card identifier (token, never a PAN).
    public var cardID: String?
    /// Device identifier.
    public var deviceID: String?
    /// Ground truth (`label` / `is_fraud`), present only in labelled backtest data.
    public var label: Bool?
    /// Ground-truth fraud category, when labelled.
    public var fraudType: String?
    /// Top-level fields no mapping consumed, kept verbatim.
    public var unknownFields: UnknownFields
    /// The amount was written by a binary floating-point serializer (`420.06000000000006`) and
    /// rounded to the minor unit it stands for (counted in `txguard_amounts_rounded_total`).
    public var amountRoundedFromBinaryFloat = false

    /// A transaction with all of its parts.
    public init(
        transactionID: String, accountID: String, timestampMicros: Int64, amount: Money, currency: String,
        merchantName: String? = nil, merchantCategory: String? = nil, description: String? = nil,
        country: String? = nil, channel: String? = nil, cardID: String? = nil, deviceID: String? = nil,
        label: Bool? = nil, fraudType: String? = nil, unknownFields: UnknownFields = .empty
    ) {
        self.transactionID = transactionID
        self.accountID = accountID
        self.timestampMicros = timestampMicros
        self.amount = amount
        self.currency = currency
        self.merchantName = merchantName
        self.merchantCategory = merchantCategory
        self.description = description
        self.country = country
        self.channel = channel
        self.cardID = cardID
        self.deviceID = deviceID
        self.label = label
        self.fraudType = fraudType
        self.unknownFields = unknownFields
    }

    /// The amount in major units as a Double, for features (exact decimal is `amount`).
    @inline(__always)
    public var amountValue: Double { amount.doubleValue }

    /// Event time in whole milliseconds since the epoch (floor).
    public var timestampMillis: Int64 {
        timestampMicros >= 0 ? timestampMicros / 1000 : (timestampMicros - 999) / 1000
    }
}
