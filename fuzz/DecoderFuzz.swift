// libFuzzer target for the JSON transaction decoder, compiled together with the sources of
// TxGuardContracts (one module, so internal types are visible). Built and run by
// scripts/fuzz-decoder.sh with `swiftc -sanitize=fuzzer,address -parse-as-library`.
//
// Properties checked on every input, for a canonical and a nested mapping:
//  - decoding never crashes, never reads out of bounds (ASan), never loops;
//  - a rejection carries a non-empty message;
//  - an accepted transaction satisfies the documented invariants (currency and country valid,
//    amount within limits, timestamp in range), and re-encoding it canonically and decoding
//    the result gives back the same typed fields (and, for the canonical mapping, the same
//    unknown fields).

#if canImport(Glibc)
import Glibc
#endif

let canonicalDecoder: JSONTransactionDecoder? = try? JSONTransactionDecoder(
    limits: DecodeLimits(maxPayloadBytes: 1 << 20, allowNegativeAmounts: true))

let nestedDecoder: JSONTransactionDecoder? = try? JSONTransactionDecoder(
    mapping: FieldMapping([
        .transactionID: FieldSource(path: "/txn/id"),
        .accountID: FieldSource(path: "/acct_no"),
        .timestamp: FieldSource(path: "/txn_ts", epochUnit: .seconds),
        .amount: FieldSource(path: "/payment/amount/value", amountUnits: .minor),
        .currency: FieldSource(path: "/payment/amount/currency", defaultValue: .string("EUR")),
        .country: FieldSource(path: "/meta/geo/0/country"),
        .label: FieldSource(path: "/is_fraud"),
        .isFraud: FieldSource(path: "/labels/fraud"),
    ]))

func check(_ condition: Bool, _ what: @autoclosure () -> String) {
    if !condition {
        print("fuzz invariant violated: \(what())")
        abort()
    }
}

func sameTypedFields(_ a: Transaction, _ b: Transaction) -> Bool {
    a.transactionID == b.transactionID && a.accountID == b.accountID && a.timestampMicros == b.timestampMicros
        && a.amount == b.amount && a.currency == b.currency && a.merchantName == b.merchantName
        && a.merchantCategory == b.merchantCategory && a.description == b.description && a.country == b.country
        && a.channel == b.channel && a.cardID == b.cardID && a.deviceID == b.deviceID && a.label == b.label
        && a.fraudType == b.fraudType
}

func exercise(_ decoder: JSONTransactionDecoder, _ raw: UnsafeRawBufferPointer, compareUnknown: Bool) {
    let t: Transaction
    do {
        t = try decoder.decode(raw, context: SourceContext(topic: "fuzz", partition: 0, offset: 1))
    } catch {
        check(!error.message.isEmpty, "empty message for \(error.code)")
        check(error.source.topic == "fuzz", "source not attached")
        return
    }
    check(ISO4217.minorUnitDigits(t.currency) == t.amount.exponent, "exponent \(t.amount.exponent) for \(t.currency)")
    check(t.country.map(ISO3166.isAssigned) ?? true, "country \(t.country ?? "")")
    check(t.amount.minorUnits.magnitude <= UInt64(decoder.limits.maxAmountMajorUnits) * UInt64(Money.powersOfTen[t.amount.exponent]), "amount")
    check(t.timestampMicros >= 0 && t.timestampMicros <= Timestamps.maxMicros, "timestamp")
    check(!t.transactionID.isEmpty && !t.accountID.isEmpty, "empty id")
    let encoded = TransactionEncoder.encode(t)
    guard let canonical = canonicalDecoder else { return }
    do {
        let back = try canonical.decode(encoded, context: .unknown)
        check(sameTypedFields(t, back), "round trip changed typed fields: \(String(decoding: encoded, as: UTF8.self))")
        if compareUnknown {
            check(back.unknownFields.count == t.unknownFields.count, "round trip changed unknown field count")
        }
    } catch {
        check(false, "canonical re-encoding rejected: \(error) \(String(decoding: encoded, as: UTF8.self))")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func decoderFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    if let canonicalDecoder { exercise(canonicalDecoder, raw, compareUnknown: true) }
    if let nestedDecoder { exercise(nestedDecoder, raw, compareUnknown: false) }
    return 0
}
