/// One simulated card transaction with its ground truth, ready to render as a JSON line in
/// txguard's canonical transaction contract (schemas/transaction.v1).
public struct SimulatedTransaction: Sendable {
    /// Position in the emitted stream (0-based); `transactionID` is derived from it and the seed.
    public internal(set) var sequence: Int = 0
    /// Event time, Unix epoch milliseconds (UTC).
    public let timestampMillis: Int64
    /// Amount in minor units of `currency` (cents, yen, fils).
    public let amountMinor: Int64
    /// Merchant where it happened.
    public let merchant: Merchant
    /// How it was made.
    public let channel: Channel
    /// Ground truth: the fraud scenario it belongs to, nil if legitimate.
    public let fraudType: FraudType?
    /// Ground truth: the legitimate look-alike it belongs to, if any.
    public let lookalike: Lookalike?

    let account: Account
    let currencyIndex: UInt8
    let countryIndex: UInt8
    let cardIndex: UInt8
    let amountAsNumber: Bool
    let withDescription: Bool
    /// 0 when the transaction carries no device (card present, merchant-initiated).
    let device: UInt64
    /// Generation order, to break timestamp ties deterministically.
    let tiebreak: UInt64
    var idSeed: UInt64 = 0

    init(timestampMillis: Int64, amountMinor: Int64, merchant: Merchant, channel: Channel, fraudType: FraudType?,
         lookalike: Lookalike?, account: Account, currencyIndex: Int, countryIndex: Int, cardIndex: Int,
         amountAsNumber: Bool, withDescription: Bool, device: UInt64, tiebreak: UInt64) {
        self.timestampMillis = timestampMillis
        self.amountMinor = amountMinor
        self.merchant = merchant
        self.channel = channel
        self.fraudType = fraudType
        self.lookalike = lookalike
        self.account = account
        self.currencyIndex = UInt8(currencyIndex)
        self.countryIndex = UInt8(countryIndex)
        self.cardIndex = UInt8(cardIndex)
        self.amountAsNumber = amountAsNumber
        self.withDescription = withDescription
        self.device = device
        self.tiebreak = tiebreak
    }

    /// Ground truth: whether it is fraudulent.
    public var isFraud: Bool { fraudType != nil }
    /// The account it belongs to, e.g. "acct_00001234" (also the Kafka key).
    public var accountID: String { account.accountID }
    /// The account_id as UTF-8 bytes (the Kafka record key), without allocation of a String.
    public var accountIDBytes: ArraySlice<UInt8> { account.jsonAccountID.dropFirst().dropLast() }
    /// ISO 4217 currency.
    public var currency: Currency { Currency.all[Int(currencyIndex)] }
    /// ISO 3166-1 alpha-2 country where it happened.
    public var countryCode: String { Country.all[Int(countryIndex)].code }
    /// The card_id.
    public var cardID: String { String(decoding: account.jsonCards[Int(cardIndex)].dropFirst().dropLast(), as: UTF8.self) }
    /// The device_id, present for customer-initiated online payments.
    public var deviceID: String? { device == 0 ? nil : "dev_" + Account.hex(device, 16) }
    /// The unique, seed-derived transaction_id.
    public var transactionID: String { "tx_" + Account.hex(idSeed, 16) }
    /// The amount as a decimal string with exactly the currency's minor digits.
    public var amountString: String {
        var out: [UInt8] = []
        JSONWriter.appendAmount(minor: amountMinor, digits: currency.minorDigits, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The event as one JSON line (with a trailing newline). `includeLabels` adds
    /// `is_fraud`, `fraud_type` and `lookalike`.
    public func jsonLine(includeLabels: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(400)
        appendJSONLine(to: &out, includeLabels: includeLabels)
        return out
    }

    /// Appends the JSON line (with its newline) to `out`; the allocation-free form of `jsonLine`.
    public func appendJSONLine(to out: inout [UInt8], includeLabels: Bool) {
        out.append(contentsOf: Keys.open)
        appendTransactionID(to: &out)
        out.append(contentsOf: Keys.account)
        out.append(contentsOf: account.jsonAccountID)
        out.append(contentsOf: Keys.timestamp)
        JSONWriter.appendTimestamp(epochMillis: timestampMillis, to: &out)
        out.append(contentsOf: Keys.amount)
        let digits = Keys.currencyDigits[Int(currencyIndex)]
        if amountAsNumber {
            JSONWriter.appendAmount(minor: amountMinor, digits: digits, to: &out)
        } else {
            out.append(0x22)
            JSONWriter.appendAmount(minor: amountMinor, digits: digits, to: &out)
            out.append(0x22)
        }
        out.append(contentsOf: Keys.currency)
        out.append(contentsOf: Keys.currencyCodes[Int(currencyIndex)])
        out.append(contentsOf: Keys.merchantName)
        out.append(contentsOf: merchant.jsonName)
        out.append(contentsOf: Keys.mcc)
        out.append(contentsOf: Keys.mccs[merchant.category.rawValue])
        out.append(0x22)
        if withDescription {
            out.append(contentsOf: Keys.description)
            out.append(contentsOf: Keys.descriptionPrefix[Int(channel.rawValue)])
            out.append(contentsOf: merchant.jsonName.dropFirst())
        }
        out.append(contentsOf: Keys.country)
        out.append(contentsOf: Keys.countryCodes[Int(countryIndex)])
        out.append(contentsOf: Keys.channel)
        out.append(contentsOf: Keys.channelNames[Int(channel.rawValue)])
        out.append(contentsOf: Keys.card)
        out.append(contentsOf: account.jsonCards[Int(cardIndex)])
        if device != 0 {
            out.append(contentsOf: Keys.device)
            appendHex(device, digits: 16, to: &out)
            out.append(0x22)
        }
        if includeLabels { appendLabelFields(to: &out) }
        out.append(0x7D)
        out.append(0x0A)
    }

    /// The label line `{"transaction_id","is_fraud","fraud_type","lookalike"}` (with newline).
    public func appendLabelLine(to out: inout [UInt8]) {
        out.append(contentsOf: Keys.open)
        appendTransactionID(to: &out)
        appendLabelFields(to: &out)
        out.append(0x7D)
        out.append(0x0A)
    }

    /// `,"is_fraud":…,"fraud_type":…,"lookalike":…` (shared by events and label lines).
    private func appendLabelFields(to out: inout [UInt8]) {
        out.append(contentsOf: Keys.isFraud)
        out.append(contentsOf: fraudType == nil ? Keys.false : Keys.true)
        out.append(contentsOf: Keys.fraudType)
        appendOptional(fraudType?.rawValue, to: &out)
        out.append(contentsOf: Keys.lookalike)
        appendOptional(lookalike?.rawValue, to: &out)
    }

    private func appendTransactionID(to out: inout [UInt8]) {
        out.append(contentsOf: Keys.txPrefix)
        appendHex(idSeed, digits: 16, to: &out)
        out.append(0x22)
    }

    private func appendOptional(_ s: String?, to out: inout [UInt8]) {
        if let s { out.append(0x22); out.append(contentsOf: s.utf8); out.append(0x22) } else { out.append(contentsOf: Keys.null) }
    }

    private func appendHex(_ v: UInt64, digits: Int, to out: inout [UInt8]) {
        var shift = (digits - 1) * 4
        while shift >= 0 {
            out.append(Keys.hex[Int((v >> UInt64(shift)) & 15)])
            shift -= 4
        }
    }

    private enum Keys {
        static let hex = Array("0123456789abcdef".utf8)
        // Rendered once: reading `Currency`/`Country` values per event would copy structs.
        static let currencyCodes = Currency.all.map { Array($0.code.utf8) }
        static let currencyDigits = Currency.all.map(\.minorDigits)
        static let countryCodes = Country.all.map { Array($0.code.utf8) }
        static let mccs = MerchantCategory.allCases.map { Array($0.mcc.utf8) }
        static let channelNames = Channel.allCases.map { Array($0.name.utf8) }
        static let open = Array("{\"transaction_id\":".utf8)
        static let txPrefix = Array("\"tx_".utf8)
        static let account = Array(",\"account_id\":".utf8)
        static let timestamp = Array(",\"timestamp\":".utf8)
        static let amount = Array(",\"amount\":".utf8)
        static let currency = Array(",\"currency\":\"".utf8)
        static let merchantName = Array("\",\"merchant_name\":".utf8)
        static let mcc = Array(",\"merchant_category\":\"".utf8)
        static let description = Array(",\"description\":\"".utf8)
        static let descriptionPrefix = [
            Array("CARD PAYMENT TO ".utf8), Array("CONTACTLESS PAYMENT TO ".utf8),
            Array("ONLINE PAYMENT TO ".utf8), Array("CASH WITHDRAWAL AT ".utf8),
        ]
        static let country = Array(",\"country\":\"".utf8)
        static let channel = Array("\",\"channel\":\"".utf8)
        static let card = Array("\",\"card_id\":".utf8)
        static let device = Array(",\"device_id\":\"dev_".utf8)
        static let isFraud = Array(",\"is_fraud\":".utf8)
        static let fraudType = Array(",\"fraud_type\":".utf8)
        static let lookalike = Array(",\"lookalike\":".utf8)
        static let `true` = Array("true".utf8)
        static let `false` = Array("false".utf8)
        static let null = Array("null".utf8)
    }
}
