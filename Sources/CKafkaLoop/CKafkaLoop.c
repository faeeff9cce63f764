#include "CKafkaLoop.h"
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void dr_count(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    int64_t *counts = (int64_t *)opaque;
    if (m->err) counts[1]++; else counts[0]++;
}

int64_t ckl_produce(const char *bootstrap, const char *topic, int64_t count, int32_t size,
                    char *errstr, size_t errstr_size) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, errstr_size) ||
        rd_kafka_conf_set(conf, "linger.ms", "5", errstr, errstr_size) ||
        rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, errstr_size) ||
        rd_kafka_conf_set(conf, "batch.num.messages", "10000", errstr, errstr_size) ||
        rd_kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", errstr, errstr_size)) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    int64_t counts[2] = {0, 0};
    rd_kafka_conf_set_opaque(conf, counts);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_count);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
    if (!rk) return -1;
    char *payload = malloc((size_t)size);
    memset(payload, 'x', (size_t)size);
    char key[32];
    for (int64_t i = 0; i < count; i++) {
        int klen = snprintf(key, sizeof key, "acct-%lld", (long long)(i % 10007));
        for (;;) {
            rd_kafka_resp_err_t err = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, (size_t)klen),
                RD_KAFKA_V_VALUE(payload, (size_t)size), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) { rd_kafka_poll(rk, 10); continue; }
            if (err) {
                snprintf(errstr, errstr_size, "produce: %s", rd_kafka_err2str(err));
                free(payload);
                rd_kafka_destroy(rk);
                return -1;
            }
            break;
        }
        if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 60000);
    free(payload);
    rd_kafka_destroy(rk);
    if (counts[1]) snprintf(errstr, errstr_size, "%lld delivery failures", (long long)counts[1]);
    return counts[0];
}

int64_t ckl_consume(const char *bootstrap, const char *topic, int32_t partitions, int64_t count,
                    int64_t *bytes, char *errstr, size_t errstr_size) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, errstr_size) ||
        rd_kafka_conf_set(conf, "group.id", "ckl-bench", errstr, errstr_size) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, errstr_size) ||
        rd_kafka_conf_set(conf, "enable.partition.eof", "false", errstr, errstr_size)) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errstr_size);
    if (!rk) return -1;
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(partitions);
    for (int32_t p = 0; p < partitions; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);
    rd_kafka_message_t *batch[4096];
    int64_t got = 0, sum = 0, idle = 0;
    while (got < count && idle < 300) {
        ssize_t n = rd_kafka_consume_batch_queue(q, 100, batch, 4096);
        if (n <= 0) { idle++; continue; }
        idle = 0;
        for (ssize_t i = 0; i < n; i++) {
            if (!batch[i]->err) { got++; sum += (int64_t)batch[i]->len; }
            rd_kafka_message_destroy(batch[i]);
        }
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    *bytes = sum;
    if (got < count) {
        snprintf(errstr, errstr_size, "consumed %lld of %lld before 30 s idle", (long long)got, (long long)count);
        return -1;
    }
    return got;
}
