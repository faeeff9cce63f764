import Foundation
import Yams

/// `--config FILE`: the same settings as the flags, as JSON or YAML. Unknown keys are refused by
/// name. Parsing is a pure function of the bytes (`parse`), fuzzed by `scripts/fuzz.sh config`
/// (this file is compiled alone with Yams there, so it depends on nothing else of txguard).
struct RunSettingsFile: Decodable {
    var brokers: String?
    var input_topic: [String]?
    var alert_topic: String?
    var dead_letter_topic: String?
    var group: String?
    var model: String?
    var exactly_once: Bool?
    var transactional_id: String?
    var transaction_interval_ms: Int?
    var metrics_port: Int?
    var state_dir: String?
    var state_store: String?
    var state_topic: String?
    var labels_topic: String?
    var presume_legitimate_after: String?
    var check_supervised_models: Bool?
    var supervised_weight: Double?
    var retrain_every: String?
    var false_positive_weight: Double?
    var feedback: Bool?
    var batch_size: Int?
    var shutdown_deadline: Double?
    var stall_after: Double?
    var model_dir: String?
    var mapping: String?
    var log_level: String?
    /// librdkafka properties by name (as `--kafka-property`, which overrides them key by key).
    var kafka_property: KafkaPropertyTable?

    static let keys: Set<String> = ["brokers", "input_topic", "alert_topic", "dead_letter_topic", "group", "model", "exactly_once", "transactional_id", "transaction_interval_ms",
                                    "metrics_port", "state_dir", "state_store", "state_topic", "labels_topic", "presume_legitimate_after", "check_supervised_models",
                                    "supervised_weight", "retrain_every", "false_positive_weight", "feedback", "batch_size", "shutdown_deadline", "stall_after", "model_dir", "mapping", "log_level",
                                    "kafka_property"]

    var kafkaProperties: [String: String] { kafka_property?.values ?? [:] }

    init() {}

    /// Why a configuration file was refused. The message never quotes a value from the file
    /// (it may be a secret): it names keys, types and positions.
    struct ParseError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// Parses a configuration file's bytes: JSON, or YAML when `yaml`.
    static func parse(_ bytes: [UInt8], yaml: Bool) throws(ParseError) -> RunSettingsFile {
        var data = Data(bytes)
        if yaml {
            // Composed into nodes and converted here, not with `Yams.load`: its constructor traps on
            // a key that is not a scalar (`? - x`, found by fuzzing), which crashed `run --config`.
            let node: Node?
            do { node = try Yams.compose(yaml: String(decoding: bytes, as: UTF8.self)) } catch {
                throw ParseError(message: "not valid YAML (\(yamlProblem(error)))")
            }
            let parsed = try node.map { node throws(ParseError) in try plainValue(node, depth: 0) }
            guard let mapping = parsed as? [String: Any], JSONSerialization.isValidJSONObject(mapping),
                  let json = try? JSONSerialization.data(withJSONObject: mapping) else {
                throw ParseError(message: "not a YAML mapping of settings")
            }
            data = json
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ParseError(message: "not a JSON object")
        }
        if let unknown = object.keys.filter({ !keys.contains($0) }).sorted().first {
            throw ParseError(message: "unknown key \(unknown.debugDescription) (known: \(keys.sorted().joined(separator: ", ")))")
        }
        do { return try JSONDecoder().decode(RunSettingsFile.self, from: data) } catch let DecodingError.typeMismatch(_, ctx) {
            throw ParseError(message: "key \"\(ctx.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type (\(ctx.debugDescription))")
        } catch let DecodingError.dataCorrupted(ctx) {
            throw ParseError(message: "key \"\(ctx.codingPath.map(\.stringValue).joined(separator: "."))\" has an unusable value")
        } catch {
            throw ParseError(message: "settings do not decode")
        }
    }
}

/// A YAML node as the JSON value it stands for (objects with string keys, arrays, strings,
/// integers, finite numbers, booleans, null). Refused: a key that is not a scalar, a duplicated
/// key, an alias, nesting deeper than 32 levels. Messages give positions, never values.
func plainValue(_ node: Node, depth: Int) throws(RunSettingsFile.ParseError) -> Any {
    func where_(_ n: Node) -> String { n.mark.map { "line \($0.line), column \($0.column)" } ?? "somewhere" }
    guard depth < 32 else { throw .init(message: "not a YAML mapping of settings (nested more than 32 levels at \(where_(node)))") }
    switch node {
    case .scalar(let scalar):
        switch Tag.Name(rawValue: node.tag.rawValue) {
        case .null: return NSNull()
        case .bool: if let b = node.bool { return b }
        // Numbers are read here, not with Yams' `Int`/`Double` constructors: its YAML 1.1
        // sexagesimal form (`1:2:30`) traps on overflow (found by fuzzing). Other spellings stay
        // strings, which a numeric setting refuses by name.
        case .int: if let i = Int(scalar.string) { return i }
        case .float: if let f = Double(scalar.string), f.isFinite { return f }
        default: break
        }
        return scalar.string
    case .mapping(let mapping):
        var out: [String: Any] = [:]
        for (key, value) in mapping {
            guard case .scalar(let k) = key else { throw .init(message: "not a YAML mapping of settings (a key that is not a plain name at \(where_(key)))") }
            guard out[k.string] == nil else { throw .init(message: "not valid YAML (duplicated key \(k.string.debugDescription) at \(where_(key)))") }
            out[k.string] = try plainValue(value, depth: depth + 1)
        }
        return out
    case .sequence(let sequence):
        var out: [Any] = []
        for element in sequence { out.append(try plainValue(element, depth: depth + 1)) }
        return out
    case .alias:
        throw .init(message: "not a YAML mapping of settings (an alias at \(where_(node)))")
    }
}

/// A YAML syntax error without the quoted source line Yams adds to its description: that line
/// may hold a secret (an unterminated quoted password).
func yamlProblem(_ error: any Error) -> String {
    guard let e = error as? YamlError else { return "unreadable" }
    switch e {
    case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
        return "line \(mark.line), column \(mark.column): \(problem)" + (context.map { " (\($0.text))" } ?? "")
    case let .reader(problem, offset, _, _):
        return "\(problem)" + (offset.map { " at byte \($0)" } ?? "")
    case let .duplicatedKeysInMapping(duplicates, context):
        return "duplicated keys \(duplicates.sorted().joined(separator: ", ")) in line \(context.mark.line)"
    default:
        return "\(e)"
    }
}

/// `kafka_property` in a configuration file: an object of librdkafka properties; strings, numbers
/// and booleans are taken as their text. A value of another type is refused without quoting it.
struct KafkaPropertyTable: Decodable {
    var values: [String: String] = [:]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        for k in c.allKeys {
            if let v = try? c.decode(String.self, forKey: k) { values[k.stringValue] = v }
            else if let v = try? c.decode(Bool.self, forKey: k) { values[k.stringValue] = v ? "true" : "false" }
            else if let v = try? c.decode(Int.self, forKey: k) { values[k.stringValue] = String(v) }
            else if let v = try? c.decode(Double.self, forKey: k) { values[k.stringValue] = String(v) }
            else {
                throw DecodingError.typeMismatch(String.self, .init(codingPath: c.codingPath + [k], debugDescription: "a librdkafka property needs a string, number or boolean value"))
            }
        }
    }
}
