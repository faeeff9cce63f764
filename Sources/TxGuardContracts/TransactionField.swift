/// The canonical txguard input fields; raw values are the canonical JSON names (schemas/transaction.v1.schema.json).
public enum TransactionField: String, Sendable, CaseIterable, Codable {
    case transactionID = "transaction_id"
    case accountID = "account_id"
    case timestamp
    case amount
    case currency
    case merchantName = "merchant_name"
    case merchantCategory = "merchant_category"
    case description
    case country
    case channel
    case cardID = "card_id"
    case deviceID = "device_id"
    case label
    case isFraud = "is_fraud"
    case fraudType = "fraud_type"

    /// Whether a transaction without this field is rejected (`missing_field`).
    public var isRequired: Bool {
        switch self {
        case .transactionID, .accountID, .timestamp, .amount, .currency: return true
        default: return false
        }
    }

    /// Whether a mapping may give this field a constant default (identity, time and amount never).
    public var acceptsDefault: Bool {
        switch self {
        case .transactionID, .accountID, .timestamp, .amount: return false
        default: return true
        }
    }

    /// The canonical JSON Pointer, e.g. `/transaction_id`.
    public var canonicalPath: String { "/" + rawValue }

    /// Dense index 0..<15 used for per-message slot storage.
    var slot: Int {
        switch self {
        case .transactionID: return 0
        case .accountID: return 1
        case .timestamp: return 2
        case .amount: return 3
        case .currency: return 4
        case .merchantName: return 5
        case .merchantCategory: return 6
        case .description: return 7
        case .country: return 8
        case .channel: return 9
        case .cardID: return 10
        case .deviceID: return 11
        case .label: return 12
        case .isFraud: return 13
        case .fraudType: return 14
        }
    }
}
