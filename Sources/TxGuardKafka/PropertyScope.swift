import CRdKafka
import Glibc

/// Which kind of client a librdkafka property belongs to, read from the linked librdkafka's own
/// property table (`rd_kafka_conf_properties_show`), so a consumer setting passed with
/// `--kafka-property` reaches only consumers and a producer setting only producers (librdkafka
/// warns once per property and client otherwise).
public enum PropertyScope: Sendable, Equatable {
    case consumer, producer, both

    /// The scope of `name`; properties librdkafka does not list (it will refuse them) count as both.
    public static func of(_ name: String) -> PropertyScope {
        table[name] ?? .both
    }

    /// True when the linked librdkafka lists `name` as a property. (The value of a property it does
    /// not know, e.g. a misspelt `sasl.pasword`, is never shown: it may be a secret.)
    public static func isKnown(_ name: String) -> Bool {
        table[name] != nil
    }

    /// `properties` without those that belong only to the other kind of client.
    static func applicable(_ properties: [String: String], to kind: PropertyScope) -> [(String, String)] {
        properties.sorted { $0.key < $1.key }.filter { key, _ in
            let scope = of(key)
            return scope == .both || scope == kind
        }.map { ($0.key, $0.value) }
    }

    private static let table: [String: PropertyScope] = {
        guard let file = tmpfile() else { return [:] }
        defer { fclose(file) }
        rd_kafka_conf_properties_show(file)
        rewind(file)
        var out: [String: PropertyScope] = [:]
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            // "name   |  C  | range | default | importance | description"
            let columns = String(cString: line).split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
            guard columns.count >= 2 else { continue }
            let name = columns[0].trimmingCharacters(in: " ")
            switch columns[1].trimmingCharacters(in: " ") {
            case "C": out[name] = .consumer
            case "P": out[name] = .producer
            case "*": out[name] = .both
            default: continue
            }
        }
        return out
    }()
}

private extension Substring {
    func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
