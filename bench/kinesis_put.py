#!/usr/bin/env python3
"""PutRecords throughput against a Grid node: N threads, each sending batches of 500 records (boto3).

Usage: AWS_SHARED_CREDENTIALS_FILE=<data>/credentials AWS_PROFILE=grid \
       python3 bench/kinesis_put.py --endpoint http://127.0.0.1:9000 [--threads 4] [--seconds 20] [--shards 4] [--size 100]
Prints records/s acknowledged (every acknowledged record is committed) and the PutRecords latency p50/p99.
"""
import argparse, os, threading, time, uuid
import boto3
from botocore.config import Config

p = argparse.ArgumentParser()
p.add_argument("--endpoint", required=True)
p.add_argument("--threads", type=int, default=4)
p.add_argument("--seconds", type=float, default=20)
p.add_argument("--shards", type=int, default=4)
p.add_argument("--size", type=int, default=100, help="bytes of data per record")
p.add_argument("--batch", type=int, default=500)
args = p.parse_args()

def client():
    return boto3.client("kinesis", endpoint_url=args.endpoint, region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                        config=Config(retries={"max_attempts": 1}, max_pool_connections=args.threads))

name = "bench-" + uuid.uuid4().hex[:8]
admin = client()
admin.create_stream(StreamName=name, ShardCount=args.shards)
payload = os.urandom(args.size)
counts, failed, latencies = [0] * args.threads, [0] * args.threads, [[] for _ in range(args.threads)]
stop = time.monotonic() + args.seconds

def worker(i):
    c = client()
    n = 0
    while time.monotonic() < stop:
        records = [{"Data": payload, "PartitionKey": f"k{i}-{n + j}"} for j in range(args.batch)]
        t = time.perf_counter()
        r = c.put_records(StreamName=name, Records=records)
        latencies[i].append(time.perf_counter() - t)
        failed[i] += r["FailedRecordCount"]
        counts[i] += len(records) - r["FailedRecordCount"]
        n += args.batch

start = time.monotonic()
threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.monotonic() - start
lat = sorted(x for l in latencies for x in l)
total = sum(counts)
print(f"stream {name}: {total} records acknowledged in {elapsed:.1f}s = {total / elapsed:,.0f} records/s "
      f"({args.threads} threads x {args.batch}/call, {args.size} B, {args.shards} shards); failed {sum(failed)}; "
      f"PutRecords p50 {lat[len(lat) // 2] * 1000:.0f} ms p99 {lat[int(len(lat) * 0.99)] * 1000:.0f} ms")
admin.delete_stream(StreamName=name)
