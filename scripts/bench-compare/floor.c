/* The floor of `make bench-compare`: a plain C librdkafka consume loop over a topic (the same loop
 * as Sources/CKafkaLoop's ckl_consume, with its own group) and OpenBLAS sgemm GFLOP/s.
 * Prints one JSON object on stdout. Built by scripts/bench-compare/run.py with
 *   cc -O2 floor.c $(pkg-config --cflags --libs rdkafka openblas)
 * usage: floor consume BOOTSTRAP TOPIC PARTITIONS COUNT GROUP | floor sgemm N REPEATS
 *      | floor transit BOOTSTRAP TOPIC PARTITIONS SECONDS FETCH_WAIT_MS
 * `transit`: the latency floor of the rate run's rig. Assigned to every partition at its end, it
 * reads each record as soon as librdkafka hands it over and measures wall clock minus the record's
 * timestamp (the sender's create time): sender batching + broker + fetch, no processing. The first
 * 3 s after the first record are left out (fetchers starting). */
#include <librdkafka/rdkafka.h>
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static double cpu(void) {
    struct rusage u; getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

/* A consumer assigned to every partition of `topic` at `start` (no group join), its queue in *q;
 * NULL after printing the error. `fetch_wait` NULL keeps librdkafka's default. */
static rd_kafka_t *assigned_consumer(const char *boot, const char *group, const char *fetch_wait, const char *topic,
                                     int partitions, int64_t start, rd_kafka_queue_t **q) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", boot, err, sizeof err) ||
        rd_kafka_conf_set(conf, "group.id", group, err, sizeof err) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err) ||
        (fetch_wait && rd_kafka_conf_set(conf, "fetch.wait.max.ms", fetch_wait, err, sizeof err)) ||
        rd_kafka_conf_set(conf, "enable.partition.eof", "false", err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) { fprintf(stderr, "%s\n", err); return NULL; }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++) rd_kafka_topic_partition_list_add(parts, topic, p)->offset = start;
    rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    *q = rd_kafka_queue_get_consumer(rk);
    return rk;
}

static int consume(const char *boot, const char *topic, int partitions, long long count, const char *group) {
    rd_kafka_queue_t *q;
    rd_kafka_t *rk = assigned_consumer(boot, group, NULL, topic, partitions, RD_KAFKA_OFFSET_BEGINNING, &q);
    if (!rk) return 1;
    static rd_kafka_message_t *batch[4096];
    long long got = 0, sum = 0, idle = 0;
    double t0 = 0, c0 = 0, t1 = 0, c1 = 0;
    while (got < count && idle < 300) {
        ssize_t n = rd_kafka_consume_batch_queue(q, 100, batch, 4096);
        if (n <= 0) { idle++; continue; }
        idle = 0;
        if (got == 0) { t0 = now(); c0 = cpu(); }
        for (ssize_t i = 0; i < n; i++) {
            if (!batch[i]->err) { got++; sum += (long long)batch[i]->len; }
            rd_kafka_message_destroy(batch[i]);
        }
    }
    t1 = now(); c1 = cpu();
    rd_kafka_queue_destroy(q);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    printf("{\"events\": %lld, \"bytes\": %lld, \"seconds\": %.4f, \"cpu_seconds\": %.4f}\n", got, sum, t1 - t0, c1 - c0);
    return got == count ? 0 : 2;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double wall_ms(void) { struct timeval t; gettimeofday(&t, NULL); return t.tv_sec * 1e3 + t.tv_usec / 1e3; }

static int transit(const char *boot, const char *topic, int partitions, double seconds, const char *fetch_wait) {
    rd_kafka_queue_t *q;
    rd_kafka_t *rk = assigned_consumer(boot, "floor-transit", fetch_wait, topic, partitions, RD_KAFKA_OFFSET_END, &q);
    if (!rk) return 1;
    size_t cap = 1 << 20, n = 0;
    double *lat = malloc(sizeof(double) * cap);
    double first = 0, c0 = 0, c1 = 0, t_start = now();
    for (;;) {
        rd_kafka_message_t *m = rd_kafka_consume_queue(q, 100);
        double t = now();
        /* Done: the window is over, or nothing arrived for two minutes. */
        if ((first > 0 && t > first + 3 + seconds) || (first == 0 && t - t_start > 120)) {
            if (m) rd_kafka_message_destroy(m);
            break;
        }
        if (!m) continue;
        if (!m->err) {
            double w = wall_ms();
            rd_kafka_timestamp_type_t tt;
            int64_t ts = rd_kafka_message_timestamp(m, &tt);
            if (first == 0) first = t;
            if (t > first + 3 && t <= first + 3 + seconds && ts > 0 && n < cap) {
                if (c0 == 0) c0 = cpu();
                lat[n++] = w - (double)ts;
            }
        }
        rd_kafka_message_destroy(m);
    }
    c1 = cpu();
    rd_kafka_queue_destroy(q);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    if (n == 0) { printf("{\"events\": 0}\n"); return 2; }
    qsort(lat, n, sizeof(double), cmp_double);
    printf("{\"events\": %zu, \"seconds\": %.1f, \"fetch_wait_max_ms\": %s, \"p50_ms\": %.2f, \"p90_ms\": %.2f, "
           "\"p99_ms\": %.2f, \"p999_ms\": %.2f, \"max_ms\": %.2f, \"cpu_pct_of_core\": %.1f}\n",
           n, seconds, fetch_wait, lat[n / 2], lat[(size_t)(n * 0.9)], lat[(size_t)(n * 0.99)], lat[(size_t)(n * 0.999)],
           lat[n - 1], 100 * (c1 - c0) / seconds);
    free(lat);
    return 0;
}

static int sgemm(int n, int repeats) {
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n), *c = malloc(sizeof(float) * n * n);
    for (long i = 0; i < (long)n * n; i++) { a[i] = (float)(i % 97) / 97.f; b[i] = (float)(i % 89) / 89.f; c[i] = 0; }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n); /* warm-up */
    double best = 0, t = 0, cs = 0;
    for (int r = 0; r < repeats; r++) {
        double t0 = now(), c0 = cpu();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
        double dt = now() - t0, dc = cpu() - c0;
        double g = 2.0 * n * n * n / dt / 1e9;
        if (g > best) best = g;
        t += dt; cs += dc;
    }
    printf("{\"n\": %d, \"repeats\": %d, \"gflops_best\": %.2f, \"gflops_mean\": %.2f, \"gflops_per_cpu_second\": %.2f, \"threads\": %d}\n",
           n, repeats, best, 2.0 * n * n * n * repeats / t / 1e9, 2.0 * n * n * n * repeats / cs / 1e9, openblas_get_num_threads());
    free(a); free(b); free(c);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 7 && !strcmp(argv[1], "consume")) return consume(argv[2], argv[3], atoi(argv[4]), atoll(argv[5]), argv[6]);
    if (argc == 4 && !strcmp(argv[1], "sgemm")) return sgemm(atoi(argv[2]), atoi(argv[3]));
    if (argc == 7 && !strcmp(argv[1], "transit")) return transit(argv[2], argv[3], atoi(argv[4]), atof(argv[5]), argv[6]);
    fprintf(stderr, "usage: floor consume BOOTSTRAP TOPIC PARTITIONS COUNT GROUP | floor sgemm N REPEATS"
                    " | floor transit BOOTSTRAP TOPIC PARTITIONS SECONDS FETCH_WAIT_MS\n");
    return 1;
}
