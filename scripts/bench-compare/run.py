#!/usr/bin/env python3
"""`make bench-compare`: txguard beside its peers and the hardware floor, in one run (issue 14).

One local broker (`txguard broker`, librdkafka's mock cluster, in its own process), one topic of the
same simulated events (>= 200k, 64 partitions so the mock keeps them all), and each contender
reading that topic with its own consumer group:

  floor          plain C librdkafka consume loop (floor.c, compiled here) and OpenBLAS sgemm GFLOP/s
  txguard        `txguard run` end to end (consume -> score -> alerts produced -> offsets stored),
                 hashed text and MiniLM; `txguard bench scorer` (the scorer alone, no Kafka), and
                 `bench scorer --labels` (the label layer's cost per event, labels a day late)
  peers          peers.py: scikit-learn IsolationForest per message, the same in micro-batches of
                 500, river HalfSpaceTrees learn-and-score
  rate run       `txguard run` at 5,000 events/s fed by `txguard simulate --topic --rate 5000` in
                 another process: the service's own CPU (/proc/<pid>/stat over 30 s) and
                 send -> decision p50/p99 (its latency histogram, scraped at both ends of the window);
                 then the rig's transit floor: the same sender, broker and fetch wait read by a plain
                 C consumer (floor.c `transit`), send -> receipt p50/p99 with no processing at all.
                 Both at each `--rate-fetch-wait-ms` (5 and 1 ms): the mock broker holds a fetch
                 that finds no data for that long, so it sets the rig's latency floor and, through
                 the fetches it takes, part of the consumer's CPU (a trade a real broker does not
                 impose: it answers a waiting fetch as soon as data arrives)
  state          `txguard bench state`: RSS growth per account over 1M distinct accounts

Python is used only here (harness and peers), never by txguard at run time.
Writes out/bench-compare/result-<time>.json and prints one table per run.

`--only rate` (or a comma list of floor, txguard, scorer, peers, rate, state) runs only those
sections with the setup they need (the simulation, the hashed model and the broker always; the 'tx' topic for floor/txguard/peers; MiniLM only with txguard; PR-AUC backtests only
with txguard/scorer). Without --only everything runs as before. E.g. the rate run of one binary:
  run.py --only rate --runs 1 --rate-seconds 75 --no-minilm --bin /path/to/txguard
"""
import argparse, json, os, re, shutil, signal, subprocess, sys, tempfile, threading, time, urllib.request

SECTIONS = ("floor", "txguard", "scorer", "peers", "rate", "state")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.path.join(ROOT, ".build", "release", "txguard")
CLK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def ensure_python_deps():
    missing = []
    for mod in ["confluent_kafka", "sklearn", "numpy", "river"]:
        try:
            __import__(mod)
        except ImportError:
            missing.append(mod)
    if missing:
        log(f"installing development-only Python packages ({', '.join(missing)} missing)")
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "-r", os.path.join(HERE, "requirements.txt")])


def proc_cpu(pid):
    """utime+stime of a live process, seconds (all threads)."""
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    fields = s[s.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def proc_hwm_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Child:
    """A long-running child whose rusage we collect with wait4.

    peak_rss=True: its own peak resident set is measured too. Not from wait4's ru_maxrss: on Linux a
    child's ru_maxrss starts at the RSS of the process that forked it (exec keeps the pre-exec
    high-water mark), so every child of this harness would report at least the harness's own
    ~200 MiB. GNU time (/usr/bin/time, forking from a ~1 MiB process) reports the real figure;
    without it, /proc/<pid>/status VmHWM (per address space, reset at exec) is sampled every 10 ms.
    """

    TIME = "/usr/bin/time"

    def __init__(self, cmd, env=None, stdout=subprocess.PIPE, stderr=None, peak_rss=False):
        self.cmd = cmd
        self.stderr_path = stderr
        self.errf = open(stderr, "w") if stderr else subprocess.DEVNULL
        self.rss_file = None
        self.hwm_sampled = None
        if peak_rss and os.access(self.TIME, os.X_OK):
            fd, self.rss_file = tempfile.mkstemp(prefix="bench-rss-")
            os.close(fd)
            cmd = [self.TIME, "-f", "%M", "-o", self.rss_file] + list(cmd)
        self.p = subprocess.Popen(cmd, stdout=stdout, stderr=self.errf, env=env, text=True)
        self.pid = self.p.pid
        if peak_rss and self.rss_file is None:
            self.hwm_sampled = 0.0
            threading.Thread(target=self._sample_hwm, daemon=True).start()

    def _sample_hwm(self):
        while True:
            try:
                v = proc_hwm_mib(self.pid)
            except OSError:
                return
            if v == v:  # not NaN (a zombie has no VmHWM)
                self.hwm_sampled = max(self.hwm_sampled, v)
            time.sleep(0.01)

    def peak_rss_mib(self):
        """The child's own peak RSS (after wait), or None when peak_rss was not asked for."""
        if self.rss_file:
            try:
                with open(self.rss_file) as f:
                    lines = [l for l in f.read().split() if l.strip().isdigit()]
                return int(lines[-1]) / 1024 if lines else float("nan")
            finally:
                os.unlink(self.rss_file)
        return self.hwm_sampled

    def wait(self, timeout=None, sig=None):
        if sig is not None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + (timeout or 1e9)
        while True:
            try:
                pid, status, ru = os.wait4(self.pid, os.WNOHANG)
            except ChildProcessError:  # already reaped by Popen
                return None
            if pid == self.pid:
                self.p.returncode = os.waitstatus_to_exitcode(status)
                return ru
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                deadline = time.monotonic() + 10
            time.sleep(0.05)


def metrics(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return r.read().decode()


def metric_value(text, name):
    total = None
    for line in text.splitlines():
        if line.startswith(name) and (line[len(name)] in " {"):
            total = (total or 0) + float(line.rsplit(" ", 1)[1])
    return total


def histogram(text, name):
    buckets = {}
    for line in text.splitlines():
        if line.startswith(name + "_bucket"):
            m = re.search(r'le="([^"]+)"', line)
            le = float("inf") if m.group(1) == "+Inf" else float(m.group(1))
            buckets[le] = buckets.get(le, 0) + float(line.rsplit(" ", 1)[1])
    return dict(sorted(buckets.items()))


def hist_quantile(buckets, q):
    """Prometheus-style linear interpolation inside the bucket (buckets of 1 ms up to 6 ms, then 8, 10, 12, 15, 20, 25, 30, 40, 50 ms...; 5/10/25/50 ms before 2026-12-04)."""
    total = buckets.get(float("inf"), 0)
    if total <= 0:
        return None
    rank = q * total
    prev_le, prev_c = 0.0, 0.0
    for le, c in buckets.items():
        if c >= rank:
            if le == float("inf"):
                return prev_le
            return prev_le + (le - prev_le) * (rank - prev_c) / max(c - prev_c, 1e-12)
        prev_le, prev_c = le, c
    return None


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def pr_auc(scores_path, labels, parse):
    from sklearn.metrics import average_precision_score
    y, s = [], []
    with open(scores_path) as f:
        for line in f:
            r = parse(line)
            if r is None or r[0] not in labels:
                continue
            y.append(labels[r[0]])
            s.append(r[1])
    if not y or sum(y) == 0:
        return None, len(y)
    return float(average_precision_score(y, s)), len(y)


def txguard_run_throughput(args, boot, topic, group, model, count, workdir, tag):
    port = free_port()
    state = os.path.join(workdir, f"state-{group}")
    shutil.rmtree(state, ignore_errors=True)
    cmd = [BIN, "run", "--brokers", boot, "--input-topic", topic, "--alert-topic", "alerts", "--dead-letter-topic", "dlq",
           "--group", group, "--model", model, "--metrics-port", str(port), "--state-dir", state,
           "--kafka-property", "fetch.wait.max.ms=5", "--log-level", "warning"]
    if args.model_dir:
        cmd += ["--model-dir", args.model_dir]
    ch = Child(cmd, stdout=subprocess.DEVNULL, stderr=os.path.join(workdir, f"{group}.log"))
    t_first = c_first = None
    n_first = 0
    start = time.monotonic()
    n = 0
    while True:
        if ch.p.poll() is not None:
            raise RuntimeError(f"txguard run exited: see {workdir}/{group}.log")
        try:
            # Recorded once a batch's outputs are acknowledged and its offsets stored (the decision is
            # final); txguard_events_total is counted just before the outputs are sent.
            n = metric_value(metrics(port), "txguard_event_latency_seconds_count") or 0
        except Exception:
            n = 0
        now = time.monotonic()
        if n > 0 and t_first is None:
            t_first, c_first, n_first = now, proc_cpu(ch.pid), n
        if n >= count:
            t_end, c_end = now, proc_cpu(ch.pid)
            break
        if now - start > args.run_timeout:
            ch.wait(timeout=5, sig=signal.SIGKILL)
            raise RuntimeError(f"txguard run ({tag}) decided {n} of {count} in {args.run_timeout} s")
        time.sleep(0.05)
    hwm = proc_hwm_mib(ch.pid)
    ch.wait(timeout=40, sig=signal.SIGTERM)
    secs = t_end - t_first
    # The first poll that sees decided events comes after at least one whole batch (up to 5,000
    # events) was decided: those events' time is not in the window, so they are not counted either.
    timed = n - n_first
    if timed <= 0:
        raise RuntimeError(f"txguard run ({tag}): every event was decided before the first metrics poll; use more --events")
    return {"events": count, "events_timed": timed, "seconds": secs, "events_per_s": timed / secs,
            "cpu_s_per_M": (c_end - c_first) / timed * 1e6, "peak_rss_mib": hwm,
            "note": "events decided (outputs acknowledged, offsets stored) between the first poll of /metrics that shows any and the one that shows all "
                    "(polled every 50 ms); startup, model load, group join and the first batch(es) excluded"}


def rate_run(args, boot, model, workdir, topic, fetch_wait):
    """Service's own CPU and send->decision latency at a steady rate, broker and producer elsewhere."""
    port = free_port()
    state = os.path.join(workdir, "state-rate")
    shutil.rmtree(state, ignore_errors=True)
    group = f"rate-{int(time.time())}"
    cmd = [BIN, "run", "--brokers", boot, "--input-topic", topic, "--alert-topic", "alerts", "--dead-letter-topic", "dlq",
           "--group", group, "--model", model, "--metrics-port", str(port), "--state-dir", state,
           "--kafka-property", f"fetch.wait.max.ms={fetch_wait}", "--log-level", "warning"]
    # Logs named by fetch wait, so one rate run's log does not overwrite another's.
    svc = Child(cmd, stdout=subprocess.DEVNULL, stderr=os.path.join(workdir, f"rate-fw{fetch_wait}-run.log"))
    # Wait for the metrics endpoint and the group join (the mock takes ~3 s for the first join).
    t0 = time.monotonic()
    while True:
        try:
            metrics(port)
            break
        except Exception:
            if time.monotonic() - t0 > 60:
                raise RuntimeError("rate run: metrics endpoint never came up")
            time.sleep(0.2)
    time.sleep(5)
    # Cost without traffic: joined, every partition assigned, no records (the mock answers an empty
    # fetch after the whole fetch wait, so the consumer asks again every fetch wait per broker).
    ic0, iw0 = proc_cpu(svc.pid), time.monotonic()
    time.sleep(args.rate_idle_seconds)
    idle_cpu = 100 * (proc_cpu(svc.pid) - ic0) / (time.monotonic() - iw0)
    prod = sender(args, boot, topic, workdir, f"rate-fw{fetch_wait}")
    time.sleep(5)  # warm-up: fetchers started, caches filling
    m0, c0, w0 = metrics(port), proc_cpu(svc.pid), time.monotonic()
    pc0 = proc_cpu(prod.pid)
    # Decisions per second through the window (one /metrics scrape a second), so a stall of the
    # consume loop (e.g. the periodic state snapshot) is visible in the JSON.
    per_second, last = [], metric_value(m0, "txguard_event_latency_seconds_count") or 0
    for i in range(1, args.rate_seconds + 1):
        time.sleep(max(0.0, w0 + i - time.monotonic()))
        try:
            n = metric_value(metrics(port), "txguard_event_latency_seconds_count") or 0
        except Exception:
            n = last
        per_second.append(n - last)
        last = n
    m1, c1, w1 = metrics(port), proc_cpu(svc.pid), time.monotonic()
    pc1 = proc_cpu(prod.pid)
    e0, e1 = metric_value(m0, "txguard_events_total") or 0, metric_value(m1, "txguard_events_total") or 0
    h0, h1 = histogram(m0, "txguard_event_latency_seconds"), histogram(m1, "txguard_event_latency_seconds")
    h = {le: h1.get(le, 0) - h0.get(le, 0) for le in h1}
    within10 = h.get(0.01, 0) / max(h.get(float("inf"), 0), 1)
    hwm = proc_hwm_mib(svc.pid)
    prod.wait(timeout=args.rate_seconds + 30, sig=signal.SIGTERM)
    svc.wait(timeout=40, sig=signal.SIGTERM)
    return {"rate_target": args.rate, "sender_linger_ms": args.sender_linger_ms, "fetch_wait_max_ms": fetch_wait,
            "window_s": w1 - w0, "events_in_window": e1 - e0, "events_per_s": (e1 - e0) / (w1 - w0),
            "service_cpu_pct_of_core": 100 * (c1 - c0) / (w1 - w0), "cpu_s_per_M": (c1 - c0) / max(e1 - e0, 1) * 1e6,
            "idle_cpu_pct_of_core": idle_cpu, "idle_seconds": args.rate_idle_seconds,
            "producer_cpu_pct_of_core": 100 * (pc1 - pc0) / (w1 - w0),
            "p50_ms": (hist_quantile(h, 0.5) or float("nan")) * 1e3, "p99_ms": (hist_quantile(h, 0.99) or float("nan")) * 1e3,
            "share_within_10ms": within10, "decided_per_second": per_second,
            "seconds_without_decisions": sum(1 for x in per_second if x == 0), "histogram_window": {str(k): v for k, v in h.items()}, "peak_rss_mib": hwm,
            "note": "latency = record timestamp (CreateTime at send) to final decision (outputs acknowledged, offset stored), from the service's histogram (1 ms buckets up to 6 ms, then 8/10/12/15/20/25 ms...: p50/p99 interpolated inside a bucket)"}


def sender(args, boot, topic, workdir, tag):
    """The rate run's sender: `txguard simulate --topic --rate` in its own process."""
    total = args.rate * (args.rate_seconds + 10)
    return Child([BIN, "simulate", "--brokers", boot, "--topic", topic, "--rate", str(args.rate), "--events", str(total),
                  "--accounts", "20000", "--seed", "7", "--quiet"]
                 + ([] if args.sender_linger_ms is None else ["--kafka-property", f"linger.ms={args.sender_linger_ms}"]),
                 stdout=subprocess.DEVNULL, stderr=os.path.join(workdir, f"{tag}-producer.log"))


def transit_run(args, boot, floor_bin, workdir, topic, fetch_wait):
    """The latency floor of the rate run's rig: the same sender, broker and fetch wait, read by a
    plain C librdkafka consumer that does nothing with the records (floor.c `transit`)."""
    p = Child([floor_bin, "transit", boot, topic, str(args.partitions), str(args.rate_seconds), str(fetch_wait)])
    time.sleep(2)  # assigned at the partitions' ends before the first record
    prod = sender(args, boot, topic, workdir, f"transit-fw{fetch_wait}")
    out = p.p.stdout.read()
    p.wait()
    prod.wait(timeout=args.rate_seconds + 30, sig=signal.SIGTERM)
    return {**json.loads(out), "note": "wall clock at receipt minus the record's CreateTime; first 3 s left out"}


def peer(args, boot, topic, mode, group, count, train_path, workdir, max_seconds):
    scores = os.path.join(workdir, f"scores-{group}.tsv")
    cmd = [sys.executable, os.path.join(HERE, "peers.py"), mode, "--brokers", boot, "--topic", topic, "--group", group,
           "--train", train_path, "--count", str(count), "--scores", scores]
    if max_seconds:
        cmd += ["--max-seconds", str(max_seconds)]
    ch = Child(cmd, stderr=os.path.join(workdir, f"peer-{mode}.log"), peak_rss=True)
    out = ch.p.stdout.read()
    ru = ch.wait(timeout=args.run_timeout + 300)
    if ch.p.returncode != 0:
        raise RuntimeError(f"peer {mode} failed: see {workdir}/peer-{mode}.log")
    r = json.loads(out.strip().splitlines()[-1])
    r["events_per_s"] = r["events"] / r["seconds"] if r["seconds"] else float("nan")
    r["cpu_s_per_M"] = r["cpu_seconds"] / max(r["events"], 1) * 1e6
    r["peak_rss_mib"] = ch.peak_rss_mib()
    r["scores"] = scores
    return r


def loadavg():
    return [round(x, 2) for x in os.getloadavg()]


def measure(fn):
    """Runs one measurement and records the 1/5/15-minute load averages at its start and end."""
    la0 = loadavg()
    r = fn()
    r["loadavg_start"], r["loadavg_end"] = la0, loadavg()
    return r


def machine():
    model = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu_model": model, "kernel": os.uname().release, "loadavg_start": loadavg()}


def fmt(v, spec):
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    return format(v, spec)


def main():
    global BIN
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=200_000, help="events in the benchmark topic")
    ap.add_argument("--train-events", type=int, default=100_000, help="events before them, for training")
    ap.add_argument("--partitions", type=int, default=64)
    ap.add_argument("--runs", type=int, default=2, help="measurement runs over the same topic (machine noise)")
    ap.add_argument("--rate", type=int, default=5000)
    ap.add_argument("--rate-seconds", type=int, default=30)
    ap.add_argument("--rate-idle-seconds", type=int, default=10,
                    help="seconds the rate run's service is measured with no traffic before the sender starts")
    ap.add_argument("--sender-linger-ms", type=int, default=None,
                    help="linger.ms of the rate run's sender (txguard simulate); default librdkafka's own (5 ms), "
                         "which the send -> decision latency includes (records are stamped when handed to the client)")
    ap.add_argument("--rate-fetch-wait-ms", default="5,1",
                    help="comma list: the service's (and the transit floor's) fetch.wait.max.ms in the rate run, one "
                         "rate run and one transit floor each; the mock broker holds a fetch that finds no data this long")
    ap.add_argument("--each-seconds", type=float, default=20, help="time bound of the per-message scikit-learn peer")
    ap.add_argument("--river-seconds", type=float, default=90, help="time bound of the river peer")
    ap.add_argument("--state-accounts", type=int, default=1_000_000)
    ap.add_argument("--run-timeout", type=float, default=300)
    ap.add_argument("--no-minilm", action="store_true")
    ap.add_argument("--model-dir", default=os.environ.get("TXGUARD_MODEL_DIR") or os.path.join(ROOT, "models", "all-MiniLM-L6-v2"))
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "bench-compare"))
    ap.add_argument("--bin", default=BIN, help="the txguard binary (default: ROOT/.build/release/txguard, what make bench-compare builds)")
    ap.add_argument("--only", default=None, metavar="SECTIONS",
                    help=f"comma list of sections to run ({', '.join(SECTIONS)}); default all. The setup they need is kept")
    args = ap.parse_args()
    if args.only:
        only = {x.strip() for x in args.only.split(",") if x.strip()}
        bad = only - set(SECTIONS)
        if bad or not only:
            ap.error(f"--only: unknown section(s) {', '.join(sorted(bad)) or '(none given)'}; choose from {', '.join(SECTIONS)}")
    else:
        only = set(SECTIONS)
    BIN = os.path.abspath(args.bin)
    try:
        fetch_waits = [int(x) for x in args.rate_fetch_wait_ms.split(",") if x.strip()]
    except ValueError:
        fetch_waits = []
    if not fetch_waits or min(fetch_waits) < 0 or len(set(fetch_waits)) != len(fetch_waits):
        ap.error(f"--rate-fetch-wait-ms: expected distinct whole milliseconds >= 0, comma-separated, got {args.rate_fetch_wait_ms!r}")

    ensure_python_deps()
    if not os.access(BIN, os.X_OK):
        sys.exit(f"{BIN} missing: run `make bench-compare`, which builds it")
    os.makedirs(args.out, exist_ok=True)
    work = os.path.join(args.out, "work")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    env1 = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    os.environ["OPENBLAS_NUM_THREADS"] = "1"  # one core per contender, and bit-stable MiniLM
    result = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "args": vars(args),
              "machine": machine(), "runs": []}

    # 1. Events and labels: one simulation; the first part trains, the rest goes to the topic.
    total = args.events + args.train_events
    all_path, labels_path = os.path.join(work, "all.jsonl"), os.path.join(work, "labels.jsonl")
    log(f"simulating {total} events")
    subprocess.check_call([BIN, "simulate", "--accounts", "20000", "--events", str(total), "--seed", "42", "--output", all_path,
                           "--labels", labels_path, "--no-labels-in-events", "--quiet"])
    train_path, live_path = os.path.join(work, "train.jsonl"), os.path.join(work, "live.jsonl")
    with open(all_path) as f, open(train_path, "w") as tr, open(live_path, "w") as lv:
        for i, line in enumerate(f):
            (tr if i < args.train_events else lv).write(line)
    labels = {}
    with open(labels_path) as f:
        for line in f:
            o = json.loads(line)
            labels[o["transaction_id"]] = 1 if o.get("is_fraud") else 0
    live_ids = set()
    with open(live_path) as f:
        for line in f:
            live_ids.add(json.loads(line)["transaction_id"])
    frauds = sum(labels[t] for t in live_ids if t in labels)
    result["data"] = {"events": args.events, "train_events": args.train_events, "frauds_in_topic": frauds,
                      "prevalence": frauds / max(len(live_ids), 1)}
    log(f"{len(live_ids)} events in the topic, {frauds} frauds")

    # 2. Models: txguard trained on the training part (hashed and MiniLM).
    models = {"hashed": os.path.join(work, "hashed.txg")}
    texts = ["hashed"] if args.no_minilm or not os.path.isdir(args.model_dir) or "txguard" not in only else ["hashed", "minilm"]
    if "minilm" in texts:
        models["minilm"] = os.path.join(work, "minilm.txg")
    for t in texts:
        log(f"training txguard ({t})")
        cmd = [BIN, "train", "--input", train_path, "--model", models[t], "--text", t]
        if t == "minilm":
            cmd += ["--model-dir", args.model_dir]
        subprocess.check_call(cmd, stdout=subprocess.DEVNULL, env=env1)

    # 3. txguard PR-AUC: backtest of the same events, split over the topic's partitions as the topic splits them.
    result["pr_auc"] = {}
    for t in (texts if only & {"txguard", "scorer"} else []):
        log(f"backtest for PR-AUC ({t})")
        sc = os.path.join(work, f"backtest-{t}.jsonl")
        cmd = [BIN, "backtest", "--input", live_path, "--model", models[t], "--partitions", str(args.partitions), "--scores", sc]
        if t == "minilm":
            cmd += ["--model-dir", args.model_dir]
        subprocess.check_call(cmd, stdout=subprocess.DEVNULL, env=env1)

        def parse_tx(line):
            o = json.loads(line)
            return o["transaction_id"], o["score"]
        result["pr_auc"][f"txguard-{t}"] = pr_auc(sc, labels, parse_tx)[0]

    # 4. One broker, one topic.
    floor_bin = os.path.join(work, "floor")
    if only & {"floor", "rate"}:
        cflags = subprocess.check_output(["pkg-config", "--cflags", "--libs", "rdkafka", "openblas"], text=True).split()
        subprocess.check_call(["cc", "-O2", "-o", floor_bin, os.path.join(HERE, "floor.c")] + cflags)
    # Declared up front, so the group sees them at join; one per run and fetch wait (a rate run's
    # new group must find its topic empty).
    rate_topics = {(r, w): f"rate{r}-fw{w}" for r in range(1, args.runs + 1) for w in fetch_waits}
    transit_topics = {(r, w): f"transit{r}-fw{w}" for r in range(1, args.runs + 1) for w in fetch_waits}
    broker = Child([BIN, "broker", "--topic", "tx", "--topic", "alerts", "--topic", "dlq", "--partitions", str(args.partitions)]
                   + [a for t in list(rate_topics.values()) + list(transit_topics.values()) for a in ("--topic", t)],
                   stderr=os.path.join(work, "broker.log"))
    boot = broker.p.stdout.readline().strip()
    if only & {"floor", "txguard", "peers"}:
        log(f"broker {boot} (pid {broker.pid}); producing {args.events} events to 'tx'")
        subprocess.check_call([BIN, "produce", "--brokers", boot, "--topic", "tx", live_path], stdout=subprocess.DEVNULL)
    else:
        log(f"broker {boot} (pid {broker.pid}); 'tx' left empty (--only {args.only})")
    result["broker"] = boot

    try:
        for run in range(1, args.runs + 1):
            R = {"run": run, "loadavg": loadavg()}
            tag = f"r{run}"
            if "floor" in only:
                log(f"run {run}: C consume loop")

                def floor_consume():
                    p = Child([floor_bin, "consume", boot, "tx", str(args.partitions), str(args.events), f"floor-{tag}"], peak_rss=True)
                    out = p.p.stdout.read()
                    p.wait()
                    c = json.loads(out)
                    return {"events_per_s": c["events"] / c["seconds"], "cpu_s_per_M": c["cpu_seconds"] / c["events"] * 1e6,
                            "peak_rss_mib": p.peak_rss_mib(), **c}
                R["floor"] = measure(floor_consume)
                log(f"run {run}: sgemm")

                def sgemm():
                    p = Child([floor_bin, "sgemm", "1024", "5"], env=env1)
                    r = json.loads(p.p.stdout.read())
                    p.wait()
                    return r
                R["sgemm_1thread"] = measure(sgemm)

            if "txguard" in only:
                for t in texts:
                    log(f"run {run}: txguard run ({t})")
                    R[f"txguard-{t}"] = measure(lambda: txguard_run_throughput(args, boot, "tx", f"txguard-{t}-{tag}", models[t], args.events, work, t))
                    log(f"  {R[f'txguard-{t}']['events_per_s']:.0f} events/s")
            if "scorer" in only:
                log(f"run {run}: scorer alone (hashed)")

                def scorer():
                    p = Child([BIN, "bench", "scorer", "--model", models["hashed"], "--input", live_path], env=env1, peak_rss=True)
                    out = p.p.stdout.read()
                    p.wait()
                    if p.p.returncode != 0:
                        raise RuntimeError(f"txguard bench scorer exited with {p.p.returncode}")
                    s = json.loads(out.strip().splitlines()[-1])
                    return {"events_per_s": s["events_per_s"], "cpu_s_per_M": s["cpu_seconds"] / s["events"] * 1e6,
                            "peak_rss_mib": p.peak_rss_mib(), "line": out.strip().splitlines()[0]}
                R["scorer-hashed"] = measure(scorer)

                # The label layer (entity risk, supervised trees, feedback) on the same events: the
                # bench warms a scorer without labels and one with them on the first half (the trees
                # trained on the labels visible at its end, a day late) and times both on the second.
                log(f"run {run}: scorer with the label layer (hashed, 1-day labels)")

                def scorer_labels():
                    p = Child([BIN, "bench", "scorer", "--model", models["hashed"], "--input", live_path, "--labels", labels_path],
                              env=env1, peak_rss=True)
                    out = p.p.stdout.read()
                    p.wait()
                    if p.p.returncode != 0:
                        raise RuntimeError(f"txguard bench scorer --labels exited with {p.p.returncode}")
                    s = json.loads(out.strip().splitlines()[-1])
                    return {"events_per_s": s["events"] / s["with_labels_cpu_seconds"], "cpu_s_per_M": s["with_labels_cpu_seconds"] / s["events"] * 1e6,
                            "without_labels_cpu_s_per_M": s["without_labels_cpu_seconds"] / s["events"] * 1e6,
                            "label_layer_cpu_us": s["label_layer_cpu_us"], "frauds_trained": s["frauds_trained"], "events": s["events"],
                            "peak_rss_mib": p.peak_rss_mib()}
                try:
                    R["scorer-labels"] = measure(scorer_labels)
                    log(f"  label layer {R['scorer-labels']['label_layer_cpu_us']:.2f} µs/event")
                except RuntimeError as e:  # e.g. too few events for the trees to train on (the bench says why)
                    log(f"  label layer not measured: {e}")

            if "peers" in only:
                for mode, bound in [("sklearn-batch", 0), ("sklearn-each", args.each_seconds), ("river", args.river_seconds)]:
                    log(f"run {run}: peer {mode}")
                    R[mode] = measure(lambda: peer(args, boot, "tx", mode, f"{mode}-{tag}", args.events, train_path, work, bound))
                    log(f"  {R[mode]['events_per_s']:.0f} events/s ({R[mode]['events']} events)")

            if "rate" in only:
                R["rates"] = []
                for w in fetch_waits:
                    log(f"run {run}: service at {args.rate}/s, fetch wait {w} ms (broker and producer in other processes)")
                    svc = measure(lambda: rate_run(args, boot, models["hashed"], work, rate_topics[(run, w)], w))
                    log(f"  CPU {svc['service_cpu_pct_of_core']:.1f}% of a core, p99 {svc['p99_ms']:.1f} ms")
                    log(f"run {run}: transit floor at {args.rate}/s, fetch wait {w} ms (the same sender and broker, a plain C consumer)")
                    tr = measure(lambda: transit_run(args, boot, floor_bin, work, transit_topics[(run, w)], w))
                    log(f"  p50 {tr['p50_ms']:.1f} ms, p99 {tr['p99_ms']:.1f} ms, consumer CPU {tr['cpu_pct_of_core']:.1f}% of a core")
                    R["rates"].append({"fetch_wait_max_ms": w, "service": svc, "transit": tr})
                # The first fetch wait's pair under the keys earlier result files used.
                R["rate"], R["transit"] = R["rates"][0]["service"], R["rates"][0]["transit"]
            result["runs"].append(R)
    finally:
        broker.wait(timeout=10, sig=signal.SIGTERM)

    # Peers' PR-AUC, per run: river learns online and its consumer interleaves partitions differently
    # in each run, so its figure moves between runs; per-message and batch sklearn compute the same
    # scores (same forest, same features), the per-message figure covering only the events it reached.
    def parse_tsv(line):
        a, b = line.rstrip("\n").split("\t")
        return a, float(b)
    for mode in (["sklearn-batch", "sklearn-each", "river"] if "peers" in only else []):
        result["pr_auc"][mode], result["pr_auc"][mode + "-n"] = [], []
        for R in result["runs"]:
            v, n = pr_auc(R[mode]["scores"], labels, parse_tsv)
            R[mode]["pr_auc"], R[mode]["pr_auc_events"] = v, n
            result["pr_auc"][mode].append(v)
            result["pr_auc"][mode + "-n"].append(n)
    result["pr_auc"]["sklearn-each-note"] = "same forest and features as sklearn-batch: scores identical; its own figure covers only the events it reached"

    if "state" in only:
        log(f"state: {args.state_accounts} distinct accounts through one partition's scorer")
        result["state"] = measure(lambda: json.loads(subprocess.check_output(
            [BIN, "bench", "state", "--accounts", str(args.state_accounts)], text=True, env=env1).strip().splitlines()[-1]))
    result["machine"]["loadavg_end"] = loadavg()

    result["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    path = os.path.join(args.out, f"result-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    print_table(result)
    print(f"\nJSON: {os.path.relpath(path, ROOT)}")


def load(r):
    a, b = r.get("loadavg_start"), r.get("loadavg_end")
    return f"{a[0]:.2f}→{b[0]:.2f}" if a and b else "–"


def with_label_layer(R):
    """The scorer-alone row with the label layer's CPU per event (bench scorer --labels) added."""
    sh, sl = R.get("scorer-hashed"), R.get("scorer-labels")
    if not sh or not sl or not sh.get("cpu_s_per_M"):
        return None
    cpu = sh["cpu_s_per_M"] + sl["label_layer_cpu_us"]
    return {"events_per_s": 1e6 / cpu, "cpu_s_per_M": cpu, "peak_rss_mib": sl.get("peak_rss_mib"),
            "loadavg_start": sl.get("loadavg_start"), "loadavg_end": sl.get("loadavg_end")}


def print_table(result):
    pr = result["pr_auc"]
    d = result["data"]
    print(f"\ntxguard bench-compare: {d['events']} simulated events in one topic ({result['args']['partitions']} partitions, "
          f"one local mock broker), {d['frauds_in_topic']} frauds (prevalence {d['prevalence']:.4f}); "
          f"training on the {d['train_events']} before them")
    m = result["machine"]
    print(f"machine: {m['nproc']} cores ({m.get('cpu_model')}), load average {m['loadavg_start'][0]:.2f} at the start, "
          f"{fmt((m.get('loadavg_end') or [None])[0], '.2f')} at the end (1-minute; other work shares the machine)")
    for R in result["runs"]:
        fl = (R.get("floor") or {}).get("events_per_s")
        th = (R.get("txguard-hashed") or {}).get("events_per_s")
        print(f"\n== run {R['run']} (load average at start {R['loadavg'][0]:.1f} on {result['machine']['nproc']} cores)")
        print(f"{'contender':44} {'events/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'CPU s/M ev':>10} {'peak RSS MiB':>12} {'PR-AUC':>7} {'txguard(hashed)/it':>18} {'load start→end':>15}")
        sb = R.get("sklearn-batch") or {}
        rows = [("floor: C librdkafka consume loop", R.get("floor"), None),
                ("txguard run end to end, hashed text", R.get("txguard-hashed"), pr.get("txguard-hashed")),
                ("txguard run end to end, MiniLM text", R.get("txguard-minilm"), pr.get("txguard-minilm")),
                ("txguard scorer alone (no Kafka), hashed", R.get("scorer-hashed"), pr.get("txguard-hashed")),
                ("  the same plus the label layer", with_label_layer(R), None),
                ("peer: sklearn IsolationForest per message", R.get("sklearn-each"), sb.get("pr_auc")),
                ("peer: sklearn IsolationForest batches of 500", R.get("sklearn-batch"), sb.get("pr_auc")),
                ("peer: river HalfSpaceTrees learn+score", R.get("river"), (R.get("river") or {}).get("pr_auc"))]
        for name, r, p in rows:
            if r is None:
                continue
            ratio = th / r["events_per_s"] if th and r.get("events_per_s") else None
            print(f"{name:44} {fmt(r.get('events_per_s'), '>10,.0f')} {'–':>7} {'–':>7} {fmt(r.get('cpu_s_per_M'), '>10.1f')} "
                  f"{fmt(r.get('peak_rss_mib'), '>12.0f')} {fmt(p, '>7.3f')} {fmt(ratio, '>17.2f')}× {load(r):>15}")
        # Earlier result files hold one pair under "rate" / "transit".
        rates = R.get("rates") or ([{"fetch_wait_max_ms": R["rate"].get("fetch_wait_max_ms"), "service": R["rate"], "transit": R.get("transit")}]
                                   if R.get("rate") else [])
        for e in rates:
            rr, tr, w = e["service"], e.get("transit"), e["fetch_wait_max_ms"]
            label = f"txguard run at {rr['rate_target']}/s, fetch wait {w} ms"
            print(f"{label:44} {fmt(rr['events_per_s'], '>10,.0f')} "
                  f"{fmt(rr['p50_ms'], '>7.1f')} {fmt(rr['p99_ms'], '>7.1f')} {fmt(rr['cpu_s_per_M'], '>10.1f')} {fmt(rr['peak_rss_mib'], '>12.0f')} "
                  f"{'–':>7} {'':>18} {load(rr):>15}")
            if tr:
                print(f"{'  transit floor (same rig, plain C consumer)':44} {tr['events'] / tr['seconds']:>10,.0f} "
                      f"{fmt(tr['p50_ms'], '>7.1f')} {fmt(tr['p99_ms'], '>7.1f')} {'–':>10} {'–':>12} {'–':>7} {'':>18} {load(tr):>15}")
        if "sgemm_1thread" in R:
            print(f"  sgemm 1024³, 1 thread: {R['sgemm_1thread']['gflops_best']:.1f} GFLOP/s best ({R['sgemm_1thread']['gflops_per_cpu_second']:.1f} per CPU-second)")
        if th and fl and "river" in R and "sklearn-each" in R:
            print(f"  end to end hashed = {100 * th / fl:.0f}% of the C loop (target ≥ 60%); "
                  f"{th / R['river']['events_per_s']:.1f}× river (target ≥ 5×); {th / R['sklearn-each']['events_per_s']:.0f}× per-message sklearn (target ≥ 300×)")
        parts = []
        if "scorer-hashed" in R:
            parts.append(f"scorer alone {R['scorer-hashed']['events_per_s']:,.0f} events/s (target ≥ 200k, the label layer included)")
        if "scorer-labels" in R:
            sl = R["scorer-labels"]
            parts.append(f"label layer {sl['label_layer_cpu_us']:.2f} µs of CPU per event beyond the unsupervised scorer, over "
                         f"{sl.get('events', 0):,} events ({sl['without_labels_cpu_s_per_M']:.2f} → "
                         f"{sl['cpu_s_per_M']:.2f} µs, events decoded before timing; trees trained on {sl['frauds_trained']} frauds; target ≤ 2 µs)")
        for e in rates:
            rr, tr = e["service"], e.get("transit")
            floor = (f"; the rig's own transit p99 {tr['p99_ms']:.1f} ms, its plain consumer's CPU {tr['cpu_pct_of_core']:.1f}% of a core"
                     if tr else "")
            idle = (f" ({rr['idle_cpu_pct_of_core']:.1f}% with no traffic)" if "idle_cpu_pct_of_core" in rr else "")
            parts.append(f"at {rr['rate_target']}/s, fetch wait {e['fetch_wait_max_ms']} ms: service CPU "
                         f"{rr['service_cpu_pct_of_core']:.1f}% of a core{idle} (target ≤ 15%), p99 {rr['p99_ms']:.1f} ms, "
                         f"{100 * rr['share_within_10ms']:.1f}% of events ≤ 10 ms (target p99 ≤ 10 ms{floor}); "
                         f"{rr.get('seconds_without_decisions', '–')} of the window's {len(rr.get('decided_per_second') or [])} seconds without a decision "
                         f"(fewest in a second: {min(rr.get('decided_per_second') or [0]):.0f})")
        if parts:
            print("  " + ";\n  ".join(parts))
    st = result.get("state")
    if st:
        print(f"\nstate: {st['bytes_per_account']:.0f} bytes per account (RSS growth over {st['accounts']:,} distinct accounts, one partition; target ≤ 400; load {load(st)})")
    if "sklearn-batch" in pr:
        print(f"peers' PR-AUC per run over the events each scored (sklearn batches {pr.get('sklearn-batch-n')}, river {pr.get('river-n')}; "
              f"the per-message row shows the batch figure: same forest and features); "
              f"txguard's from `txguard backtest --partitions {result['args']['partitions']}` of the same events")


if __name__ == "__main__":
    main()
