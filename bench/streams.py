#!/usr/bin/env python3
"""Grid streams benchmark: Kinesis puts (boto3) -> event source mapping -> a python function, on one embedded node.
Prints one JSON document:
  - throughput.pipeline: records/s from the first put to the last record reaching the function, puts running concurrently
    (BatchSize 100, 4 shards, put_records of 500 from several threads);
  - throughput.backlog: records/s the delivery engine drains a retained backlog with (records put first, then the mapping
    is created with TRIM_HORIZON): the engine's own capacity, without the producer in the way;
  - latency: put-to-invoke p50/p99 (client send of put_record -> function handler start) with a zero batching window,
    at a steady --rate of single-record puts; put_ack_* is the put_record call alone (send -> acknowledged, durable).
Usage: python3 bench/streams.py [--records 100000] [--rate 100] [--seconds 10]   (after dotnet build -c Release)
"""
import argparse, base64, collections, concurrent.futures, http.server, io, json, os, socket, statistics, subprocess, sys, tempfile, threading, time, urllib.request, zipfile

import boto3
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FUNCTION = """
import base64, json, os, time, urllib.request
SINK = os.environ["SINK"]
def handler(event, context):
    now = time.time()
    ids = [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]
    urllib.request.urlopen(urllib.request.Request(SINK, data=json.dumps({"t": now, "ids": ids}).encode(), method="POST"), timeout=60).read()
    return {}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """Collects (id -> first invoke time) from the function's reports."""

    def __init__(self):
        self.first_seen = {}
        # Per-prefix counts and latest first-seen time, kept as reports arrive: wait() polls them, and scanning every id on each
        # poll would burn the CPU the node under test needs.
        self.counts = collections.Counter()
        self.latest = {}
        self.lock = threading.Lock()
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with sink.lock:
                    for i in body["ids"]:
                        if i not in sink.first_seen:
                            sink.first_seen[i] = body["t"]
                            sink.counts[i[0]] += 1
                            sink.latest[i[0]] = max(sink.latest.get(i[0], 0), body["t"])
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self, prefix):
        """Distinct ids seen that start with the one-letter prefix."""
        with self.lock:
            return self.counts[prefix]

    def wait(self, prefix, n, timeout):
        deadline = time.time() + timeout
        while self.count(prefix) < n:
            if time.time() > deadline:
                raise RuntimeError(f"only {self.count(prefix)} of {n} '{prefix}' records reached the function in {timeout} s")
            time.sleep(0.02)
        with self.lock:
            return self.latest[prefix]


def create_stream(kinesis, name, shards):
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    while True:
        s = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        if s["StreamStatus"] == "ACTIVE":
            return s["StreamARN"]
        time.sleep(0.1)


_producer = None


def _start_producer(endpoint, creds):
    global _producer
    session = boto3.Session(aws_access_key_id=creds["aws_access_key_id"], aws_secret_access_key=creds["aws_secret_access_key"], region_name="us-east-1")
    _producer = session.client("kinesis", endpoint_url=endpoint, config=Config(retries={"total_max_attempts": 3}, read_timeout=60))


def _put_block(name, prefix, start, end):
    pending = [{"Data": f"{prefix}{i}".encode(), "PartitionKey": f"k{i % 997}"} for i in range(start, end)]
    while pending:
        r = _producer.put_records(StreamName=name, Records=pending)
        pending = [e for e, res in zip(pending, r["Records"]) if "ErrorCode" in res]


def put_all(producers, name, prefix, records):
    """put_records of 500 from the producer processes (separate processes, as real producers are: the sink's thread in this
    one must not wait for their GIL)."""
    list(producers.map(_put_block, *zip(*[(name, prefix, s, min(s + 500, records)) for s in range(0, records, 500)])))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--producers", dest="threads", type=int, default=8, help="producer processes, each with one put_records of 500 in flight")
    ap.add_argument("--rate", type=int, default=100, help="single-record puts per second for the latency run")
    ap.add_argument("--seconds", type=int, default=10, help="length of the latency run")
    ap.add_argument("--warmup-rounds", type=int, default=2, help="rounds of --records put and delivered before measuring")
    ap.add_argument("--node-env", action="append", default=[], help="extra K=V environment for the Grid node (experiments)")
    args = ap.parse_args()

    data = tempfile.mkdtemp(prefix="grid-bench-streams-")
    port = free_port()
    dll = os.path.join(ROOT, "src", "Grid.Server", "bin", "Release", "net10.0", "Grid.Server.dll")
    env = dict(os.environ, Grid__IdleEnvironmentTimeout="00:10:00")
    env.update(kv.split("=", 1) for kv in args.node_env)
    node = subprocess.Popen(["dotnet", dll, "--port", str(port), "--data", data, "--silo-port", str(free_port()), "--gateway-port", str(free_port())],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                urllib.request.urlopen(endpoint + "/health", timeout=1)
                break
            except Exception:
                time.sleep(0.2)
        creds = {}
        for line in open(os.path.join(data, "credentials")):
            if "=" in line:
                k, v = (x.strip() for x in line.split("=", 1))
                creds[k] = v
        session = boto3.Session(aws_access_key_id=creds["aws_access_key_id"], aws_secret_access_key=creds["aws_secret_access_key"], region_name="us-east-1")
        config = Config(retries={"total_max_attempts": 3}, max_pool_connections=32, read_timeout=60)
        lam = session.client("lambda", endpoint_url=endpoint, config=config)
        kinesis = session.client("kinesis", endpoint_url=endpoint, config=config)

        producers = concurrent.futures.ProcessPoolExecutor(args.threads, initializer=_start_producer, initargs=(endpoint, creds))
        sink = Sink()
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("app.py", FUNCTION)
        lam.create_function(FunctionName="bench-sink", Runtime="python3.11", Handler="app.handler", Role="arn:aws:iam::000000000000:role/bench",
                            Code={"ZipFile": buf.getvalue()}, Environment={"Variables": {"SINK": sink.url}}, Timeout=60)

        def mapping(arn, batch=100):
            lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="bench-sink", StartingPosition="TRIM_HORIZON",
                                            BatchSize=batch, MaximumBatchingWindowInSeconds=0)

        # Warm-up: the function's first environments, the agents, and the JIT (tiered compilation reaches its optimized
        # code only after a few seconds of load: a short warm-up measures the JIT, not Grid).
        arn = create_stream(kinesis, "warm", args.shards)
        mapping(arn)
        for _ in range(args.warmup_rounds):
            before = sink.count("w")
            put_all(producers, "warm", "w" + str(_) + "-", args.records)
            sink.wait("w", before + args.records, 300)

        # Pipeline: puts and delivery at the same time.
        arn = create_stream(kinesis, "pipe", args.shards)
        mapping(arn)
        time.sleep(2.5)  # the queues see the new mapping (refresh every 2 s)
        start = time.time()
        put_all(producers, "pipe", "p", args.records)
        put_done = time.time()
        last = sink.wait("p", args.records, 300)
        pipeline = {"records": args.records, "records_per_s": round(args.records / (last - start)),
                    "put_records_per_s": round(args.records / (put_done - start)), "seconds": round(last - start, 2)}

        # Backlog: records first, then the mapping.
        arn = create_stream(kinesis, "backlog", args.shards)
        put_all(producers, "backlog", "b", args.records)
        start = time.time()
        mapping(arn)
        last = sink.wait("b", args.records, 300)
        with sink.lock:
            first = min(t for k, t in sink.first_seen.items() if k.startswith("b"))
        backlog = {"records": args.records, "records_per_s": round(args.records / (last - start)), "seconds": round(last - start, 2),
                   "records_per_s_from_first_invoke": round(args.records / (last - first)),
                   "note": "records_per_s includes up to 2 s until the queues see the new mapping"}

        # Latency: single puts at a steady rate, zero batching window.
        arn = create_stream(kinesis, "lat", args.shards)
        mapping(arn)
        time.sleep(2.5)
        sent = {}
        acked = {}
        n = args.rate * args.seconds
        t0 = time.time()
        def put_one(i):
            due = t0 + i / args.rate
            time.sleep(max(0, due - time.time()))
            sent[f"l{i}"] = time.time()
            kinesis.put_record(StreamName="lat", Data=f"l{i}".encode(), PartitionKey=f"k{i}")
            acked[f"l{i}"] = time.time()
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            list(pool.map(put_one, range(n)))
        sink.wait("l", n, 120)
        with sink.lock:
            lat = sorted((sink.first_seen[k] - t) * 1000 for k, t in sent.items())
            ack = sorted((acked[k] - t) * 1000 for k, t in sent.items())
        latency = {"put_ack_p50_ms": round(statistics.median(ack), 1), "put_ack_p99_ms": round(ack[int(len(ack) * 0.99) - 1], 1), "puts": n, "rate_per_s": args.rate, "p50_ms": round(statistics.median(lat), 1),
                   "p99_ms": round(lat[int(len(lat) * 0.99) - 1], 1), "max_ms": round(lat[-1], 1)}

        print(json.dumps({"shards": args.shards, "batch_size": 100, "throughput": {"pipeline": pipeline, "backlog": backlog},
                          "latency": latency, "targets": {"records_per_s": 20000, "p50_ms": 100}}, indent=2))
    finally:
        node.terminate()
        try:
            node.wait(60)
        except subprocess.TimeoutExpired:
            node.kill()


if __name__ == "__main__":
    main()
