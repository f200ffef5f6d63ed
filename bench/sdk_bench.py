#!/usr/bin/env python3
"""Grid .NET SDK invoke overhead versus raw HttpClient (presigned SigV4), against a node echo function on a local node.

Usage: python3 bench/sdk_bench.py [--sequential 3000] [--concurrency 32] [--seconds 5] [--rounds 3]
(after `dotnet build src/Grid.Server -c Release`). Builds bench/SdkBench, starts a fresh embedded node, prints one JSON document.
"""
import argparse, os, re, shutil, socket, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, proc, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the node exited with {proc.returncode} before it answered {url}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:
            time.sleep(0.3)
    sys.exit(f"the node did not answer {url} within {timeout}s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sequential", default="3000")
    parser.add_argument("--concurrency", default="32")
    parser.add_argument("--seconds", default="5")
    parser.add_argument("--rounds", default="3")
    args = parser.parse_args()

    project = os.path.join(ROOT, "bench", "SdkBench", "SdkBench.csproj")
    subprocess.run(["dotnet", "build", project, "-c", "Release", "-v", "q", "-nologo"], check=True, stdout=subprocess.DEVNULL)
    bench_dll = os.path.join(ROOT, "bench", "SdkBench", "bin", "Release", "net10.0", "SdkBench.dll")
    server_dll = os.path.join(ROOT, "src", "Grid.Server", "bin", "Release", "net10.0", "Grid.Server.dll")
    if not os.path.exists(server_dll):
        sys.exit("build the server first: dotnet build src/Grid.Server -c Release")

    data = tempfile.mkdtemp(prefix="grid-sdk-bench-")
    echo_dir = os.path.join(data, "echo")
    os.makedirs(echo_dir)
    shutil.copy(os.path.join(ROOT, "bench", "functions", "echo.js"), echo_dir)
    port = free_port()
    env = dict(os.environ, Grid__IdleEnvironmentTimeout="00:10:00")
    node = subprocess.Popen(["dotnet", server_dll, "--port", str(port), "--data", os.path.join(data, "node"),
                             "--silo-port", str(free_port()), "--gateway-port", str(free_port())],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", node)
        cred = open(os.path.join(data, "node", "credentials")).read()
        key = re.search(r"aws_access_key_id = (\S+)", cred).group(1)
        secret = re.search(r"aws_secret_access_key = (\S+)", cred).group(1)
        subprocess.run(["dotnet", bench_dll, "--endpoint", f"http://127.0.0.1:{port}", "--key", key, "--secret", secret,
                        "--echo-dir", echo_dir, "--sequential", args.sequential, "--concurrency", args.concurrency,
                        "--seconds", args.seconds, "--rounds", args.rounds], check=True)
    finally:
        node.terminate()
        try:
            node.wait(20)
        except subprocess.TimeoutExpired:
            node.kill()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
