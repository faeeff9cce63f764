#ifndef TXGUARD_CRDKAFKA_SHIM_H
#define TXGUARD_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <string.h>

/* Small inline helpers for the parts of librdkafka's API that Swift cannot call directly
 * (variadic producev macros, struct layout of the 2.0.2 mock cluster). */

/** Produce one message. On success ownership of `headers` passes to librdkafka; on failure
 *  the caller still owns it. `partition` may be RD_KAFKA_PARTITION_UA. */
static inline rd_kafka_resp_err_t txg_produce(rd_kafka_t *rk, const char *topic, int32_t partition,
                                              const void *key, size_t key_len,
                                              const void *value, size_t value_len,
                                              rd_kafka_headers_t *headers, int64_t timestamp_ms,
                                              void *opaque) {
    if (headers)
        return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                 RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)value, value_len),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_TIMESTAMP(timestamp_ms),
                                 RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                             RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)value, value_len),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_TIMESTAMP(timestamp_ms),
                             RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
}

/** One injected error (no added latency) for the next request of `apikey` to broker `broker`
 *  of the mock cluster (the variadic rd_kafka_mock_broker_push_request_error_rtts, one pair). */
static inline rd_kafka_resp_err_t txg_mock_broker_push_error(rd_kafka_mock_cluster_t *mc, int32_t broker,
                                                            int16_t apikey, rd_kafka_resp_err_t err) {
    return rd_kafka_mock_broker_push_request_error_rtts(mc, broker, apikey, 1, err, 0);
}

/** librdkafka 2.0.2's mock cluster creates auto-created topics with a fixed 4 partitions and
 *  has no API to change it. The count lives in the (private) cluster struct 64 bytes after the
 *  `bootstraps` pointer (v2.0.2 rdkafka_mock_int.h). This locates that pointer by value, checks
 *  that the two ints found there hold the known defaults (4, min(3, brokers)), and only then
 *  writes the new count. Returns 1 on success, 0 when the layout does not match (nothing written). */
static inline int txg_mock_set_default_partitions(rd_kafka_mock_cluster_t *mc, int broker_cnt,
                                                  int partition_cnt) {
    const char *bs = rd_kafka_mock_cluster_bootstraps(mc);
    unsigned char *base = (unsigned char *)mc;
    for (size_t off = 32; off + sizeof(void *) <= 512; off += sizeof(void *)) {
        const char *p;
        memcpy(&p, base + off, sizeof p);
        if (p != bs) continue;
        int vals[2];
        size_t doff = off + 64;
        memcpy(vals, base + doff, sizeof vals);
        int expect_rf = broker_cnt < 3 ? broker_cnt : 3;
        if (vals[0] != 4 || vals[1] != expect_rf) return 0;
        memcpy(base + doff, &partition_cnt, sizeof partition_cnt);
        return 1;
    }
    return 0;
}

/** librdkafka's mock brokers never set TCP_NODELAY on their sockets (only client connections get
 *  `socket.nagle.disable`). With Nagle on the broker side, the second of two pipelined responses
 *  waits for the client's delayed ACK, ~40 ms: real Kafka brokers disable Nagle, so the mock
 *  would add latency no real cluster has. Linux copies TCP_NODELAY from a listening socket to the
 *  sockets it accepts, so this finds this process's listening TCP sockets bound to `port` (the
 *  mock brokers' ports, from the bootstrap string) and every socket already accepted on it, and
 *  sets TCP_NODELAY. Returns how many sockets were changed. */
#include <dirent.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
static inline int txg_nodelay_for_local_port(int port) {
    DIR *d = opendir("/proc/self/fd");
    if (!d) return 0;
    int changed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        int fd = atoi(e->d_name);
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) continue;
        int p = -1;
        if (ss.ss_family == AF_INET) p = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6) p = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        if (p != port) continue;
        int type = 0;
        socklen_t tl = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || type != SOCK_STREAM) continue;
        int on = 1;
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == 0) changed++;
    }
    closedir(d);
    return changed;
}

/** rd_kafka_message_t's `_private` field (the per-message opaque). */
static inline void *txg_message_opaque(const rd_kafka_message_t *m) { return m->_private; }
#endif
