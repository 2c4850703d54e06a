"""Webhook intake benchmark: events per second and latency of POST /line/webhook (signature checked,
event stored and queued) against a bare Django view, both served by the same server in one run.

    .venv/bin/python -m bench.webhook [--requests 3000] [--clients 8]

Uses a fresh SQLite database under var/bench/ (or DATABASE_URL when set). The worker is not running,
so this measures exactly what LINE waits for: the time to acknowledge.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-channel-secret"
PORT = 8790


def event_body(user_id: str) -> bytes:
    event = {
        "type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": uuid.uuid4().hex[:26].upper(),
        "deliveryContext": {"isRedelivery": False},
        "replyToken": uuid.uuid4().hex,
        "message": {"id": str(uuid.uuid4().int)[:18], "type": "text", "text": "粗大ごみの出し方",
                    "quoteToken": "q"},
    }
    return json.dumps({"destination": "U" + "0" * 32, "events": [event]}).encode()


def sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def client_run(args: tuple[str, int]) -> list[float]:
    """One client: keep-alive connection, sequential requests; returns latencies in seconds."""
    path, count = args
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    latencies = []
    user = "U" + uuid.uuid4().hex
    for _ in range(count):
        body = event_body(user)
        headers = {"Content-Type": "application/json", "x-line-signature": sign(body)}
        start = time.perf_counter()
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - start)
        if response.status != 200:
            raise SystemExit(f"{path} answered {response.status}")
    conn.close()
    return latencies


def server_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(path: str, total: int, clients: int, server_pid: int) -> dict:
    per_client = total // clients
    with Pool(clients) as pool:
        client_run((path, 20))  # warm-up: imports, connections, caches
        cpu_before = server_cpu_seconds(server_pid)
        start = time.perf_counter()
        results = pool.map(client_run, [(path, per_client)] * clients)
        elapsed = time.perf_counter() - start
        cpu = server_cpu_seconds(server_pid) - cpu_before
    latencies = sorted(x for r in results for x in r)
    return {
        "path": path,
        "requests": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "server_cpu_ms": cpu / len(latencies) * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8, help="server threads")
    options = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="civicline-bench-"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "CIVICLINE_VAR_DIR": str(var_dir),
           "LINE_CHANNEL_SECRET": SECRET}
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen(
        [python, "-m", "waitress", f"--listen=127.0.0.1:{PORT}", f"--threads={options.threads}",
         "civicline.wsgi:application"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                probe = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
                probe.request("GET", "/healthz")
                probe.getresponse().read()
                break
            except OSError:
                time.sleep(0.1)
        rows = [
            measure(path, options.requests, options.clients, server.pid)
            for path in ("/bench/bare", "/line/webhook")
        ]
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(var_dir, ignore_errors=True)

    database = os.environ.get("DATABASE_URL", "").split("@")[-1] or "SQLite"
    print(f"webhook intake benchmark — {options.requests} requests, {options.clients} clients, "
          f"waitress {options.threads} threads, {database}, {os.cpu_count()} cores")
    print(f"{'endpoint':<16}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'server CPU ms/req':>20}")
    for row in rows:
        print(f"{row['path']:<16}{row['per_second']:>10.0f}{row['p50_ms']:>10.1f}{row['p99_ms']:>10.1f}"
              f"{row['server_cpu_ms']:>20.2f}")
    ratio = rows[1]["per_second"] / rows[0]["per_second"]
    print(f"webhook throughput = {ratio:.0%} of the bare view (target ≥ 60 %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
