#ifndef TXGUARD_CKAFKALOOP_H
#define TXGUARD_CKAFKALOOP_H
#include <stdint.h>
#include <stddef.h>

/// Plain C baseline loops over librdkafka, used by `txguard bench kafka` to put the Swift
/// binding's throughput next to what librdkafka does with no wrapper at all.

/// Produces `count` messages of `size` bytes to `topic` (all partitions, keyed round-robin),
/// waits for every delivery report. Returns delivered count, or -1 on error (errstr filled).
int64_t ckl_produce(const char *bootstrap, const char *topic, int64_t count, int32_t size,
                    char *errstr, size_t errstr_size);

/// Consumes `count` messages from `topic` from the beginning with an assign-mode consumer
/// over `partitions` partitions using batched rd_kafka_consume_batch_queue. Returns the number
/// consumed, or -1 on error/timeout (errstr filled). Sum of payload bytes into *bytes.
int64_t ckl_consume(const char *bootstrap, const char *topic, int32_t partitions, int64_t count,
                    int64_t *bytes, char *errstr, size_t errstr_size);
#endif
