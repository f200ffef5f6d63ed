#!/usr/bin/env python3
"""Scale-out: Invoke API throughput of a node echo with 1, 2 and 3 cluster nodes on one private PostgreSQL.

Every node gets its own wrk (32 connections split over the nodes), all run at once, and the rps are summed, so the
load generator is the same whatever the node count. On one machine all nodes share its cores: this measures what the
cluster costs and whether load spreads, not what more VMs add (see docs/capacity.md). Prints one JSON document.

    python3 bench/scaleout.py [--duration 10] [--warmup 10] [--nodes 1,2,3]
"""
import argparse, base64, json, os, re, shutil, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (Signer, wrk, free_port, wait_http, zip_of)

PG_BIN = next((os.path.join("/usr/lib/postgresql", v, "bin") for v in sorted(os.listdir("/usr/lib/postgresql"), reverse=True)), None)


def as_postgres(cmd):
    # initdb refuses to run as root: run the PostgreSQL tools as the postgres OS user when we are root.
    return (["runuser", "-u", "postgres", "--"] + cmd) if os.geteuid() == 0 else cmd


def start_postgres(root):
    data = os.path.join(root, "pg")
    os.makedirs(data)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres"); shutil.chown(data, "postgres")
    port = bench.free_port()
    subprocess.run(as_postgres([f"{PG_BIN}/initdb", "-D", data, "-U", "grid", "--auth=trust", "-E", "UTF8"]), check=True, capture_output=True)
    subprocess.run(as_postgres([f"{PG_BIN}/pg_ctl", "-D", data, "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off",
                                "-l", os.path.join(root, "pg.log"), "-w", "start"]), check=True, capture_output=True)
    subprocess.run(as_postgres([f"{PG_BIN}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "grid", "grid"]), check=True, capture_output=True)
    return data, f"Host=127.0.0.1;Port={port};Username=grid;Database=grid"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--nodes", default="1,2,3")
    args = ap.parse_args()
    dll = os.path.join(bench.ROOT, "src", "Grid.Server", "bin", "Release", "net10.0", "Grid.Server.dll")
    root = tempfile.mkdtemp(prefix="grid-scaleout-")
    os.chmod(root, 0o755)
    pg_data, conn = start_postgres(root)
    nodes = []
    results = {"machine": {"cores": os.cpu_count()}, "runs": []}
    try:
        subprocess.run(["dotnet", dll, "migrate", "--postgres", conn], check=True, capture_output=True)
        keys = subprocess.run(["dotnet", dll, "keys", "create", "--account", "123456789012", "--postgres", conn], check=True, capture_output=True, text=True).stdout
        key = re.search(r"AccessKeyId:\s*(\S+)", keys).group(1)
        secret = re.search(r"SecretAccessKey:\s*(\S+)", keys).group(1)
        signer = bench.Signer(key, secret)
        env = dict(os.environ, Grid__IdleEnvironmentTimeout="00:10:00", Grid__EnvironmentKey=base64.b64encode(os.urandom(32)).decode())

        def start_node(i):
            port = bench.free_port()
            p = subprocess.Popen(["dotnet", dll, "--port", str(port), "--data", os.path.join(root, f"node{i}"), "--postgres", conn, "--advertise", "127.0.0.1",
                                  "--silo-port", str(bench.free_port()), "--gateway-port", str(bench.free_port())],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            bench.wait_http(f"http://127.0.0.1:{port}/health", proc=p)
            nodes.append((p, f"http://127.0.0.1:{port}"))

        start_node(0)
        base = nodes[0][1] + "/2015-03-31/functions"
        body = json.dumps({"FunctionName": "echo", "Runtime": "nodejs20.x", "Handler": "echo.handler", "MemorySize": 256,
                           "Role": "arn:aws:iam::123456789012:role/bench",
                           "Code": {"ZipFile": base64.b64encode(bench.zip_of({"echo.js": os.path.join(bench.FUNCS, "echo.js")})).decode()}}).encode()
        signer.call("POST", base, body)
        for count in [int(n) for n in args.nodes.split(",")]:
            while len(nodes) < count:
                start_node(len(nodes))
            urls = [f"{u}/2015-03-31/functions/echo/invocations" for _, u in nodes[:count]]
            for u in urls:
                assert signer.call("POST", u, bench.BODY.encode())[0] == 200
            per = max(1, 32 // count)

            def load(seconds):
                out = [None] * count
                def run(i):
                    out[i] = bench.wrk(urls[i], signer.headers("POST", urls[i], bench.BODY.encode()), per, seconds, 1)
                threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
                for t in threads: t.start()
                for t in threads: t.join()
                return out

            load(args.warmup)
            measured = load(args.duration)
            results["runs"].append({"nodes": count, "connections_per_node": per, "rps_total": round(sum(m["rps"] for m in measured), 1),
                                    "rps_per_node": [m["rps"] for m in measured], "p99_ms_worst": max(m["p99_ms"] or 0 for m in measured),
                                    "non2xx": sum(m["non2xx"] for m in measured)})
        one = results["runs"][0]["rps_total"]
        for r in results["runs"]:
            r["vs_one_node"] = round(r["rps_total"] / one, 2)
        print(json.dumps(results, indent=2))
    finally:
        for p, _ in nodes:
            p.terminate()
        for p, _ in nodes:
            try: p.wait(30)
            except subprocess.TimeoutExpired: p.kill()
        subprocess.run(as_postgres([f"{PG_BIN}/pg_ctl", "-D", pg_data, "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
