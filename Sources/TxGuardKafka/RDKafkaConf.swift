import CRdKafka

/// Builds a `rd_kafka_conf_t` from ordered properties, surfacing librdkafka's own error text.
func makeRDKafkaConf(_ properties: [(String, String)]) throws(KafkaError) -> OpaquePointer {
    guard let conf = rd_kafka_conf_new() else { throw .binding("rd_kafka_conf_new failed") }
    var errbuf = [CChar](repeating: 0, count: 512)
    for (key, value) in properties {
        let res = rd_kafka_conf_set(conf, key, value, &errbuf, errbuf.count)
        if res != RD_KAFKA_CONF_OK {
            rd_kafka_conf_destroy(conf)
            let shown = key.contains("password") || key.contains("secret") ? "<redacted>" : value
            throw .binding("configuration property \(key)=\(shown) rejected by librdkafka: \(decodeCString(errbuf))")
        }
    }
    return conf
}

func decodeCString(_ buf: [CChar]) -> String {
    buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
}

/// Creates a librdkafka client handle; on failure librdkafka has not taken the conf, so it is destroyed here.
func makeRDKafkaHandle(_ type: rd_kafka_type_t, conf: OpaquePointer) throws(KafkaError) -> OpaquePointer {
    var errbuf = [CChar](repeating: 0, count: 512)
    guard let rk = rd_kafka_new(type, conf, &errbuf, errbuf.count) else {
        rd_kafka_conf_destroy(conf)
        throw .binding("rd_kafka_new failed: \(decodeCString(errbuf))")
    }
    return rk
}
