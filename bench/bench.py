#!/usr/bin/env python3
"""Grid invoke benchmark. Runs, side by side and with the same load generator (wrk):
  - baseline: the bare node HTTP echo (../shared/bench/baseline/echo.js)
  - peer:     serverless-offline on the same node echo handler (../shared/bench/peers/serverless-offline.sh)
  - grid:     Invoke API of a Grid node for a nodejs, a python and a `provided` (HTTP Runtime API) echo function
and prints one JSON document: sequential p50/p99, throughput and p99 at 32 connections, cold starts per runtime
against a bare interpreter start of the same handler, memory per idle environment and of the node, and the
ratios the invoke issue sets targets for. Usage: python3 bench/bench.py [--duration 10] [--no-peer]
"""
import argparse, base64, datetime, glob, hashlib, io, json, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request, zipfile

import botocore.auth, botocore.awsrequest, botocore.credentials

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "bench")
FUNCS = os.path.join(ROOT, "bench", "functions")
BODY = '{"hello":"world","n":42}'


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=120, proc=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


class Signer:
    def __init__(self, key, secret, region="us-east-1"):
        self.creds = botocore.credentials.Credentials(key, secret)
        self.region = region

    def headers(self, method, url, body):
        req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body)
        botocore.auth.SigV4Auth(self.creds, "lambda", self.region).add_auth(req)
        return dict(req.headers.items())

    def call(self, method, url, body=b"", timeout=60):
        req = urllib.request.Request(url, data=body if method != "GET" else None, method=method,
                                     headers=self.headers(method, url, body))
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()


def wrk(url, headers, connections, duration, threads):
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    lua.write('wrk.method = "POST"\n')
    lua.write(f"wrk.body = {json.dumps(BODY)}\n")
    for k, v in headers.items():
        if k.lower() in ("content-length", "host"):
            continue
        lua.write(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n")
    lua.close()
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--latency", "-s", lua.name, url],
                         capture_output=True, text=True, check=True).stdout
    os.unlink(lua.name)
    def ms(label):
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return None
        v = float(m.group(1))
        return {"us": v / 1000, "ms": v, "s": v * 1000}[m.group(2)]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": round(rps, 1), "p50_ms": ms("50%"), "p99_ms": ms("99%"),
            "non2xx": int(errors.group(1)) if errors else 0, "socket_errors": socket_errors.group(1) if socket_errors else None}


def measure(url, headers, duration, warmup=2):
    # Warm up (the JIT, and Grid's warm pool), then sequential and 32-connection runs.
    wrk(url, headers, 32, warmup, 2)
    seq = wrk(url, headers, 1, duration, 1)
    conc = wrk(url, headers, 32, duration, 2)
    return {"sequential": seq, "concurrent32": conc}


def zip_of(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, path in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o755 << 16)
            z.writestr(info, open(path, "rb").read())
    return buf.getvalue()


def proc_kb(path, field):
    """A kB figure from a /proc file (Pss: in smaps_rollup, VmRSS: in status); 0 once the process is gone."""
    try:
        for line in open(path):
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pid):
    return proc_kb(f"/proc/{pid}/smaps_rollup", "Pss:")


def rss_kb(pid):
    return proc_kb(f"/proc/{pid}/status", "VmRSS:")


def descendants(pid):
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        for task in glob.glob(f"/proc/{p}/task/*/children"):
            try:
                kids = [int(x) for x in open(task).read().split()]
            except OSError:
                kids = []
            out.extend(kids)
            stack.extend(kids)
    return out


def cold_start_bare(cmd, runs=5):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--no-ceiling", action="store_true", help="skip the relay ceiling (bench/ceiling/relay.js)")
    ap.add_argument("--telemetry", default=None)
    ap.add_argument("--warmup", type=int, default=10, help="seconds of load on each Grid target before measuring")
    ap.add_argument("--only", default="node,alias,provisioned,python,provided",
                    help="Grid targets to run (alias: node echo through a weighted alias; provisioned: first-invoke latency with and without provisioned concurrency)")
    ap.add_argument("--node-env", action="append", default=[], help="extra K=V environment for the Grid node (experiments)")
    args = ap.parse_args()

    procs = []
    results = {"machine": {"cores": os.cpu_count(), "date": datetime.datetime.utcnow().isoformat() + "Z"}}
    try:
        # Baseline
        echo_port = free_port()
        echo = subprocess.Popen(["node", os.path.join(SHARED, "baseline", "echo.js"), str(echo_port)], stdout=subprocess.DEVNULL)
        procs.append(echo)
        wait_http(f"http://127.0.0.1:{echo_port}/", proc=echo)
        results["baseline_echo"] = measure(f"http://127.0.0.1:{echo_port}/", {"Content-Type": "application/json"}, args.duration)
        echo.terminate()

        # Ceiling: what "N concurrent invocations get N environments" leaves on this machine without any Grid code
        # (bench/ceiling/relay.js: a node HTTP server relaying frames over pipes to 32 worker processes, and to 1).
        if not args.no_ceiling:
            results["ceiling"] = {}
            for workers in (32, 1):
                relay_port = free_port()
                relay = subprocess.Popen(["node", os.path.join(ROOT, "bench", "ceiling", "relay.js"), str(relay_port), str(workers)],
                                         stdout=subprocess.DEVNULL, start_new_session=True)
                procs.append(relay)
                wait_http(f"http://127.0.0.1:{relay_port}/", proc=relay)
                results["ceiling"][f"workers{workers}"] = measure(f"http://127.0.0.1:{relay_port}/", {"Content-Type": "application/json"}, args.duration)
                os.killpg(relay.pid, signal.SIGTERM)

        # Peer
        if not args.no_peer:
            peer_port = free_port()
            peer = subprocess.Popen(["bash", os.path.join(SHARED, "peers", "serverless-offline.sh"), os.path.join(FUNCS, "echo.js"), "handler", str(peer_port)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            procs.append(peer)
            url = f"http://127.0.0.1:{peer_port}/2015-03-31/functions/peer-dev-fn/invocations"
            wait_http(f"http://127.0.0.1:{peer_port}/", timeout=600, proc=peer)
            urllib.request.urlopen(urllib.request.Request(url, data=BODY.encode(), method="POST"), timeout=30).read()
            results["serverless_offline"] = measure(url, {"Content-Type": "application/json"}, args.duration)
            os.killpg(peer.pid, signal.SIGTERM)

        # Grid
        data = tempfile.mkdtemp(prefix="grid-bench-")
        port = free_port()
        dll = os.path.join(ROOT, "src", "Grid.Server", "bin", "Release", "net10.0", "Grid.Server.dll")
        env = dict(os.environ, Grid__IdleEnvironmentTimeout="00:10:00")
        env.update(kv.split("=", 1) for kv in args.node_env)
        if args.telemetry is not None:
            env["Grid__Telemetry__Enabled"] = args.telemetry
        node = subprocess.Popen(["dotnet", dll, "--port", str(port), "--data", data, "--silo-port", str(free_port()), "--gateway-port", str(free_port())],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        procs.append(node)
        wait_http(f"http://127.0.0.1:{port}/health", proc=node)
        cred = open(os.path.join(data, "credentials")).read()
        key = re.search(r"aws_access_key_id = (\S+)", cred).group(1)
        secret = re.search(r"aws_secret_access_key = (\S+)", cred).group(1)
        signer = Signer(key, secret)
        base = f"http://127.0.0.1:{port}/2015-03-31/functions"

        def create(name, runtime, handler, files, memory=256):
            body = json.dumps({"FunctionName": name, "Runtime": runtime, "Handler": handler, "MemorySize": memory,
                               "Role": "arn:aws:iam::000000000000:role/bench", "Code": {"ZipFile": base64.b64encode(zip_of(files)).decode()}}).encode()
            signer.call("POST", base, body)

        def invoke_once(name):
            url = f"{base}/{name}/invocations"
            t = time.perf_counter()
            status, out = signer.call("POST", url, BODY.encode())
            assert status == 200 and json.loads(out) == json.loads(BODY), out
            return (time.perf_counter() - t) * 1000

        targets = {
            "node": ("nodejs20.x", "echo.handler", {"echo.js": os.path.join(FUNCS, "echo.js")}),
            "python": ("python3.11", "echo.handler", {"echo.py": os.path.join(FUNCS, "echo.py")}),
            "provided": ("provided.al2023", "unused", {"bootstrap": os.path.join(FUNCS, "bootstrap")}),
        }
        grid = {}
        for label, (runtime, handler, files) in targets.items():
            if label not in args.only.split(","):
                continue
            create(f"bench-{label}", runtime, handler, files)
            invoke_once(f"bench-{label}")
            url = f"{base}/bench-{label}/invocations"
            headers = signer.headers("POST", url, BODY.encode())
            grid[label] = measure(url, headers, args.duration, args.warmup)
            # Cold starts: fresh functions (a new function is always a new environment).
            colds = []
            for i in range(5):
                create(f"cold-{label}-{i}", runtime, handler, files)
                colds.append(invoke_once(f"cold-{label}-{i}"))
            grid[label]["cold_start_ms"] = round(statistics.median(colds), 2)
            grid[label]["warm_invoke_ms_same_client"] = round(statistics.median([invoke_once(f"bench-{label}") for _ in range(20)]), 2)
        if "alias" in args.only.split(","):
            # The same node echo through alias "live" (version 1, 20% to version 2): what weighted routing costs.
            runtime, handler, files = targets["node"]
            create("bench-alias", runtime, handler, files)
            fn = f"{base}/bench-alias"
            signer.call("POST", f"{fn}/versions", b"{}")
            signer.call("PUT", f"{fn}/configuration", json.dumps({"Environment": {"Variables": {"V": "2"}}}).encode())
            signer.call("POST", f"{fn}/versions", b"{}")
            signer.call("POST", f"{fn}/aliases", json.dumps({"Name": "live", "FunctionVersion": "1",
                                                             "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.2}}}).encode())
            url = f"{base}/bench-alias/invocations?Qualifier=live"
            assert signer.call("POST", url, BODY.encode())[0] == 200
            grid["alias"] = measure(url, signer.headers("POST", url, BODY.encode()), args.duration, args.warmup)
        if "provisioned" in args.only.split(","):
            # First invoke of a fresh version: cold, versus with provisioned concurrency READY beforehand.
            runtime, handler, files = targets["node"]
            first = {}
            for mode in ("on_demand", "provisioned"):
                samples = []
                for i in range(3):
                    name = f"pc-{mode}-{i}"
                    create(name, runtime, handler, files)
                    signer.call("POST", f"{base}/{name}/versions", b"{}")
                    if mode == "provisioned":
                        pc = f"http://127.0.0.1:{port}/2019-09-30/functions/{name}/provisioned-concurrency?Qualifier=1"
                        signer.call("PUT", pc, json.dumps({"ProvisionedConcurrentExecutions": 1}).encode())
                        deadline = time.time() + 60
                        while json.loads(signer.call("GET", pc)[1])["Status"] != "READY" and time.time() < deadline:
                            time.sleep(0.2)
                    url = f"{base}/{name}/invocations?Qualifier=1"
                    t = time.perf_counter()
                    assert signer.call("POST", url, BODY.encode())[0] == 200
                    samples.append((time.perf_counter() - t) * 1000)
                first[mode] = round(statistics.median(samples), 2)
            results["first_invoke_ms"] = first
        results["grid"] = grid

        # Bare interpreter start of the same handler, for the cold-start target.
        results["bare_start_ms"] = {
            "node": cold_start_bare(["node", "-e", f"require({json.dumps(os.path.join(FUNCS, 'echo.js'))}).handler({{}}).then(()=>0)"]),
            "python": cold_start_bare(["python3", "-c", f"import sys; sys.path.insert(0, {json.dumps(FUNCS)}); import echo; echo.handler({{}}, None)"]),
        }

        # Memory: the node process, and environments (PSS, so shared interpreter pages are split fairly).
        envs = [p for p in descendants(node.pid) if open(f"/proc/{p}/comm").read().strip() in ("node", "python3")]
        results["memory"] = {
            "node_rss_mb": round(rss_kb(node.pid) / 1024, 1),
            "environments": len(envs),
            "per_environment_pss_mb": round(sum(pss_kb(p) for p in envs) / max(len(envs), 1) / 1024, 1),
            "per_environment_rss_mb": round(sum(rss_kb(p) for p in envs) / max(len(envs), 1) / 1024, 1),
        }

        base_line = results["baseline_echo"]
        ratios = {}
        if "alias" in grid and "node" in grid:
            results["alias_vs_unqualified_throughput32"] = round(grid["alias"]["concurrent32"]["rps"] / grid["node"]["concurrent32"]["rps"], 3)
        for label in grid:
            g = grid[label]
            r = {
                "throughput32_vs_baseline": round(g["concurrent32"]["rps"] / base_line["concurrent32"]["rps"], 3),
                "seq_p50_vs_baseline": round(g["sequential"]["p50_ms"] / base_line["sequential"]["p50_ms"], 2),
                "p99_at_32_ms": g["concurrent32"]["p99_ms"],
            }
            if "ceiling" in results:
                r["throughput32_vs_ceiling32"] = round(g["concurrent32"]["rps"] / results["ceiling"]["workers32"]["concurrent32"]["rps"], 3)
            if "serverless_offline" in results:
                r["throughput32_vs_serverless_offline"] = round(g["concurrent32"]["rps"] / results["serverless_offline"]["concurrent32"]["rps"], 2)
            if label in results["bare_start_ms"]:
                bare = results["bare_start_ms"][label]
                r["cold_start_budget_ms"] = round(1.3 * bare + 15, 1)
                r["cold_start_within_budget"] = g["cold_start_ms"] <= 1.3 * bare + 15
            ratios[label] = r
        results["ratios"] = ratios
        print(json.dumps(results, indent=2))
    finally:
        for p in procs:
            if p.poll() is None:
                try:
                    p.terminate()
                    p.wait(10)
                except Exception:
                    p.kill()


if __name__ == "__main__":
    main()
