"""Shared helpers of the reliability harnesses (crashloop.py, soak.py): child processes under
`nice`, the local mock broker, a trained model, /metrics parsing, committed offsets and high
watermarks read with an independent client (confluent-kafka, which brings its own librdkafka).

Development only (make reliability, outside CI); never needed by txguard at run time."""

import os
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
NICE = ["nice", "-n", "10"]


def ensure_python_deps():
    try:
        import confluent_kafka  # noqa: F401
    except ImportError:
        print("[reliability] installing scripts/reliability/requirements.txt", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                               "-r", os.path.join(HERE, "requirements.txt")])


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Child:
    """A child process under `nice -n 10`, stderr to a log file, stdout drained by a thread
    (its lines are kept; `first_line` waits for the first)."""

    def __init__(self, argv, logpath, env=None):
        self.argv = argv
        self.logpath = logpath
        self.logfile = open(logpath, "ab")
        self.logfile.write(("$ " + " ".join(argv) + "\n").encode())
        self.logfile.flush()
        self.proc = subprocess.Popen(NICE + argv, stdout=subprocess.PIPE, stderr=self.logfile,
                                     stdin=subprocess.DEVNULL, env=env)
        # `nice` execs the program: the pid is txguard's own.
        self.pid = self.proc.pid
        self.lines = []
        self._got_line = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for raw in self.proc.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))
            self._got_line.set()
        self._got_line.set()

    def first_line(self, timeout):
        if not self._got_line.wait(timeout) or not self.lines:
            raise RuntimeError(f"no first line from {self.argv[:2]} within {timeout}s (exit {self.proc.poll()}); log: {self.logpath}")
        return self.lines[0]

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def wait(self, timeout=None):
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is not None:
                self.logfile.close()

    def stop(self, timeout=60):
        """SIGTERM, then SIGKILL after `timeout` seconds; returns the exit status."""
        import signal
        if not self.alive():
            return self.wait()
        self.signal(signal.SIGTERM)
        try:
            return self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            return self.wait()


def start_broker(binary, workdir, partitions, topics):
    argv = [binary, "broker", "--partitions", str(partitions)]
    for t in topics:
        argv += ["--topic", t]
    broker = Child(argv, os.path.join(workdir, "broker.log"))
    bootstrap = broker.first_line(60).strip()
    log(f"broker at {bootstrap} ({partitions} partitions: {', '.join(topics)})")
    return broker, bootstrap


def train_model(binary, workdir, accounts, events=150_000, seed=7):
    """A hashed-text model (MiniLM would make every unseen merchant cost ~11 ms of CPU)."""
    model = os.path.join(workdir, "model.txg")
    if os.path.exists(model):
        return model
    train = os.path.join(workdir, "train.jsonl.gz")
    log(f"simulating {events} training events of {accounts} accounts, training a hashed-text model")
    subprocess.check_call(NICE + [binary, "simulate", "--accounts", str(accounts), "--events", str(events),
                                  "--seed", str(seed), "--output", train, "--quiet"])
    with open(os.path.join(workdir, "train.log"), "wb") as f:
        subprocess.check_call(NICE + [binary, "train", "--input", train, "--text", "hashed", "--model", model + ".tmp"],
                              stdout=f, stderr=f)
    os.replace(model + ".tmp", model)
    return model


def metrics(port, timeout=2.0):
    """/metrics as {name: summed value over labels}, plus {name{labels}: value} entries; {} if down."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout) as r:
            text = r.read().decode()
    except Exception:
        return {}
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        try:
            key, value = line.rsplit(" ", 1)
            v = float(value)
        except ValueError:
            continue
        if "{" in key:
            out[key] = v
            name = key.split("{", 1)[0]
            out[name] = out.get(name, 0.0) + v
        else:
            out[key] = out.get(key, 0.0) + v
    return out


class Offsets:
    """Committed offsets of one group and high watermarks, read by an independent client that
    never joins the group."""

    def __init__(self, bootstrap, group, topic, partitions):
        from confluent_kafka import Consumer, TopicPartition
        self.tps = [TopicPartition(topic, p) for p in range(partitions)]
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                  "enable.auto.commit": False, "socket.nagle.disable": True})

    def committed(self, timeout=5.0):
        """{partition: committed offset} (negative: none)."""
        return {tp.partition: tp.offset for tp in self.consumer.committed(self.tps, timeout=timeout)}

    def high_watermarks(self, timeout=5.0):
        return {tp.partition: self.consumer.get_watermark_offsets(tp, timeout=timeout, cached=False)[1] for tp in self.tps}

    def close(self):
        self.consumer.close()


def read_topic(bootstrap, topic, partitions, isolation="read_committed", idle=5.0, timeout=300.0):
    """Every record of `topic` from the beginning to its end, as (partition, offset, value bytes)."""
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING, KafkaError
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "reliability-reader", "enable.auto.commit": False,
                  "isolation.level": isolation, "enable.partition.eof": True, "socket.nagle.disable": True})
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    records, eof, last = [], set(), time.time()
    deadline = time.time() + timeout
    while len(eof) < partitions and time.time() < deadline and time.time() - last < idle:
        for m in c.consume(1000, 0.5):
            last = time.time()
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    eof.add(m.partition())
                continue
            records.append((m.partition(), m.offset(), m.value()))
    c.close()
    return records
