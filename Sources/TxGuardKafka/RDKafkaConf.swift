import CRdKafka

/// Builds a `rd_kafka_conf_t` from ordered properties, surfacing librdkafka's own error text
/// (with the values of sensitive properties redacted, see `SensitiveProperty`).
func makeRDKafkaConf(_ properties: [(String, String)]) throws(KafkaError) -> OpaquePointer {
    guard let conf = rd_kafka_conf_new() else { throw .binding("rd_kafka_conf_new failed") }
    var errbuf = [CChar](repeating: 0, count: 512)
    for (key, value) in properties {
        let res = rd_kafka_conf_set(conf, key, value, &errbuf, errbuf.count)
        if res != RD_KAFKA_CONF_OK {
            rd_kafka_conf_destroy(conf)
            let reason = SensitiveProperty.scrub(decodeCString(errbuf), secrets: SensitiveProperty.secrets(in: properties))
            // The value of an unknown property is not shown either: a misspelt secret's name
            // (`sasl.pasword`) no longer says it is one.
            let shown = PropertyScope.isKnown(key) ? SensitiveProperty.shown(key, value) : SensitiveProperty.redacted
            throw .configuration("configuration property \(key)=\(shown) rejected by librdkafka: \(reason)")
        }
    }
    return conf
}

func decodeCString(_ buf: [CChar]) -> String {
    buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

/// Creates a librdkafka client handle; on failure librdkafka has not taken the conf, so it is destroyed here.
/// `secrets` (from `SensitiveProperty.secrets(in:)`) are scrubbed from librdkafka's error text.
func makeRDKafkaHandle(_ type: rd_kafka_type_t, conf: OpaquePointer, secrets: [String] = []) throws(KafkaError) -> OpaquePointer {
    var errbuf = [CChar](repeating: 0, count: 512)
    guard let rk = rd_kafka_new(type, conf, &errbuf, errbuf.count) else {
        rd_kafka_conf_destroy(conf)
        throw .configuration("rd_kafka_new failed: \(SensitiveProperty.scrub(decodeCString(errbuf), secrets: secrets))")
    }
    return rk
}

extension KafkaClientConfiguration {
    /// Checks every property with librdkafka (`rd_kafka_conf_set`) as a consumer and a producer
    /// would get them, without creating a client or connecting: an unknown property or a bad value
    /// is refused with librdkafka's text (sensitive values redacted).
    public func validate() throws(KafkaError) {
        for properties in [KafkaConsumerConfiguration(client: self, groupID: "txguard-check").rdProperties,
                           KafkaProducerConfiguration(client: self).rdProperties] {
            rd_kafka_conf_destroy(try makeRDKafkaConf(properties))
        }
    }
}
