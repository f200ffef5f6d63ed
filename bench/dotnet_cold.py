#!/usr/bin/env python3
"""C# function cold start against a bare .NET process start, measured side by side (rounds interleaved, medians).

  - bare:  `dotnet hello.dll` (a console app that prints "hello"), wall time of the whole process;
  - grid:  the first invoke of a freshly created C# function (samples/hello-csharp, source-generated JSON) through
           the Invoke API with LogType Tail: `Init Duration` from the REPORT line (process start to READY, as the node
           measures it) and the end-to-end latency of that invoke (HTTP in, sandbox, init, handler, HTTP out);
  - python: the same for bench/functions/echo.py, for scale.

Options: --rounds N (default 9); --compare-jit also runs a node whose dotnet host is the plain JIT build (no
ReadyToRun), to show what precompilation buys. Needs `dotnet build -c Release` of the solution first.
Prints one JSON document.
"""
import argparse, base64, datetime, json, os, re, shutil, statistics, subprocess, sys, tempfile, time, urllib.request

import botocore.auth, botocore.awsrequest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import Signer, free_port, wait_http, zip_of  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER_BIN = os.path.join(ROOT, "src", "Grid.Server", "bin", "Release", "net10.0")
HOST_PROJECT = os.path.join(ROOT, "src", "Grid.Runtime.Dotnet")
QUIET = dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT="1", DOTNET_NOLOGO="1")


def sh(*cmd, cwd=None):
    subprocess.run(cmd, check=True, cwd=cwd, env=QUIET, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def publish(project, out, work):
    sh("dotnet", "publish", project, "-c", "Release", "-o", out, "--artifacts-path", os.path.join(work, "artifacts"), "-nodeReuse:false")


def bare_hello(work):
    """A console hello, built like any app (framework-dependent, the default runtimeconfig)."""
    src = os.path.join(work, "hello-src")
    os.makedirs(src)
    with open(os.path.join(src, "hello.csproj"), "w") as f:
        f.write('<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework>'
                '<ImplicitUsings>enable</ImplicitUsings></PropertyGroup></Project>')
    with open(os.path.join(src, "Program.cs"), "w") as f:
        f.write('Console.WriteLine("hello");\n')
    with open(os.path.join(src, "Directory.Build.props"), "w") as f:
        f.write("<Project />")
    out = os.path.join(work, "hello")
    publish(os.path.join(src, "hello.csproj"), out, work)
    return os.path.join(out, "hello.dll")


def jit_server(work):
    """A copy of the node whose dotnet host is the plain build output (JIT only), for the before/after figure."""
    copy = os.path.join(work, "server-jit")
    shutil.copytree(SERVER_BIN, copy, symlinks=True)
    build = [d for d in (os.path.join(HOST_PROJECT, "bin", "Release", "net10.0", rid) for rid in os.listdir(os.path.join(HOST_PROJECT, "bin", "Release", "net10.0")))
             if os.path.isfile(os.path.join(d, "Grid.Runtime.Dotnet.dll"))][0]
    target = os.path.join(copy, "Execution", "Runtimes", "dotnet")
    for name in os.listdir(target):
        src = os.path.join(build, name)
        if os.path.isfile(src):
            shutil.copy(src, os.path.join(target, name))
    return copy


class Node:
    def __init__(self, server_dir, work, label):
        self.data = os.path.join(work, "data-" + label)
        port = free_port()
        self.proc = subprocess.Popen(["dotnet", os.path.join(server_dir, "Grid.Server.dll"), "--port", str(port), "--data", self.data,
                                      "--silo-port", str(free_port()), "--gateway-port", str(free_port())],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, Grid__IdleEnvironmentTimeout="00:10:00"))
        wait_http(f"http://127.0.0.1:{port}/health", proc=self.proc)
        cred = open(os.path.join(self.data, "credentials")).read()
        self.signer = Signer(re.search(r"aws_access_key_id = (\S+)", cred).group(1), re.search(r"aws_secret_access_key = (\S+)", cred).group(1))
        self.base = f"http://127.0.0.1:{port}/2015-03-31/functions"
        self.count = 0

    def create(self, runtime, handler, zip_bytes):
        self.count += 1
        name = f"cold-{runtime.replace('.', '')}-{self.count}"
        body = json.dumps({"FunctionName": name, "Runtime": runtime, "Handler": handler, "MemorySize": 256,
                           "Role": "arn:aws:iam::000000000000:role/bench", "Code": {"ZipFile": base64.b64encode(zip_bytes).decode()}}).encode()
        self.signer.call("POST", self.base, body)
        return name

    def cold_invoke(self, runtime, handler, zip_bytes, payload):
        """Creates a function (a new function is always a new environment) and times its first invoke."""
        name = self.create(runtime, handler, zip_bytes)
        url = f"{self.base}/{name}/invocations"
        body = payload.encode()
        req = urllib.request.Request(url, data=body, method="POST", headers=self._signed(url, body, {"X-Amz-Log-Type": "Tail"}))
        t = time.perf_counter()
        with urllib.request.urlopen(req, timeout=60) as r:
            out, log = r.read(), base64.b64decode(r.headers.get("X-Amz-Log-Result", "")).decode(errors="replace")
            error = r.headers.get("X-Amz-Function-Error")
        elapsed = (time.perf_counter() - t) * 1000
        if error:
            raise RuntimeError(f"{name} failed: {out!r}\n{log}")
        init = re.search(r"Init Duration: ([\d.]+) ms", log)
        return elapsed, float(init.group(1)) if init else None

    def _signed(self, url, body, extra):
        req = botocore.awsrequest.AWSRequest(method="POST", url=url, data=body, headers=extra)
        botocore.auth.SigV4Auth(self.signer.creds, "lambda", self.signer.region).add_auth(req)
        return dict(req.headers.items())

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def median(values):
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 1) if values else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--compare-jit", action="store_true", help="also measure a node whose dotnet host is not ReadyToRun-compiled")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="grid-bench-dotnet-")
    nodes = {}
    try:
        hello = bare_hello(work)
        sample_out = os.path.join(work, "sample")
        publish(os.path.join(ROOT, "samples", "hello-csharp", "Hello.csproj"), sample_out, work)
        sample_zip = zip_of({os.path.relpath(os.path.join(d, f), sample_out): os.path.join(d, f) for d, _, fs in os.walk(sample_out) for f in fs})
        python_zip = zip_of({"echo.py": os.path.join(ROOT, "bench", "functions", "echo.py")})

        nodes["r2r"] = Node(SERVER_BIN, work, "r2r")
        if args.compare_jit:
            nodes["jit"] = Node(jit_server(work), work, "jit")
        for node in nodes.values():  # the first environment of a node pays for the node's own warm-up: not counted
            node.cold_invoke("dotnet8", "Hello::Hello.Function::Handle", sample_zip, '{"name":"warm-up"}')
            node.cold_invoke("python3.11", "echo.handler", python_zip, "{}")

        bare, python, grid = [], [], {label: [] for label in nodes}
        for _ in range(args.rounds):  # interleaved, so load on this noisy machine hits every target alike
            t = time.perf_counter()
            subprocess.run(["dotnet", hello], check=True, capture_output=True)
            bare.append((time.perf_counter() - t) * 1000)
            for label, node in nodes.items():
                grid[label].append(node.cold_invoke("dotnet8", "Hello::Hello.Function::Handle", sample_zip, '{"name":"grid"}'))
            python.append(nodes["r2r"].cold_invoke("python3.11", "echo.handler", python_zip, "{}"))

        bare_ms = median(bare)
        result = {
            "machine": {"cores": os.cpu_count(), "date": datetime.datetime.now(datetime.timezone.utc).isoformat(), "loadavg": os.getloadavg()},
            "rounds": args.rounds,
            "bare_dotnet_hello_ms": bare_ms,
            "python_cold": {"invoke_ms": median(p[0] for p in python), "init_duration_ms": median(p[1] for p in python)},
        }
        for label, samples in grid.items():
            invoke_ms, init_ms = median(s[0] for s in samples), median(s[1] for s in samples)
            result[f"grid_dotnet_cold_{label}"] = {
                "invoke_ms": invoke_ms, "init_duration_ms": init_ms,
                "init_vs_bare": round(init_ms / bare_ms, 2), "invoke_vs_bare": round(invoke_ms / bare_ms, 2),
            }
        print(json.dumps(result, indent=2))
    finally:
        for node in nodes.values():
            node.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
