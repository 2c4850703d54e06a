"""What each step of bench.peak's residents costs the machine: CPU milliseconds per request (per event
for the worker) of civicline's web processes, its worker, PostgreSQL, Redis and the LINE emulator.

    .venv/bin/python -m bench.peak_costs [--requests 200]

The same city as bench.peak (its set-up, its servers), driven by one client thread, one request at a
time, so that each figure is the CPU time that request took — not a latency, which on a shared
machine depends on everything else running there; CPU time hardly does. Webhooks are counted twice:
the web process's acknowledgement, then the worker's handling of the event (its reply included),
measured once the worker has finished them all. The last lines turn the costs into the CPU a
resident of bench.peak needs a second (its mix of steps, one every 3.5 s), hence how many residents
two cores can serve at most with nothing else running.
"""

from __future__ import annotations

import argparse
import http.client
import random
import re
import signal
import subprocess
import sys
import time
import urllib.parse
from itertools import cycle
from pathlib import Path

from bench import peak, peak_events

# bench/peak_users.py: the steps, their weights and requests; a step every 3.5 s on average.
MIX = {
    "map": (3, ["map: page", "map: data"]),
    "shelters": (2, ["shelters: list"]),
    "location": (2, ["webhook: location"]),
    "question": (2, ["webhook: text"]),
    "bookings": (1, ["bookings: mine"]),
}
SECONDS_PER_STEP = 3.5
SESSION = re.compile(r"sessionid=([^;]+)")
CSRF_COOKIE = re.compile(r"csrftoken=([^;]+)")
CSRF = re.compile(r'"csrfToken":\s*"([^"]+)"')


class Client:
    def __init__(self, site: str):
        parsed = urllib.parse.urlparse(site)
        self.connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The server closed the idle keep-alive connection (gunicorn: after 5 s): open another.
            self.connection.close()
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
        data = response.read()
        if response.status not in (200, 302, 304):
            raise SystemExit(f"{method} {path}: HTTP {response.status}\n{data[:500]!r}")
        return response, data


def _sign_in(client: Client, account: dict) -> dict[str, str]:
    response, page = client.request("GET", "/liff/")
    csrf_cookie = CSRF_COOKIE.search(response.getheader("Set-Cookie") or "").group(1)
    form = urllib.parse.urlencode({"id_token": account["idToken"]}).encode()
    response, _ = client.request(
        "POST",
        "/liff/session",
        form,
        {
            "Cookie": f"csrftoken={csrf_cookie}",
            "X-CSRFToken": CSRF.search(page.decode()).group(1),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    cookies = response.getheader("Set-Cookie") or ""
    session, csrf = SESSION.search(cookies).group(1), CSRF_COOKIE.search(cookies).group(1)
    return {"Cookie": f"sessionid={session}; csrftoken={csrf}"}


def _until_events_done(env: dict[str, str], timeout: float = 300) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        while time.monotonic() < deadline:
            (waiting,) = conn.execute(
                "SELECT count(*) FROM line_webhookevent WHERE status IN ('pending', 'processing')"
            ).fetchone()
            if not waiting:
                return
            time.sleep(0.2)
    raise SystemExit(f"the worker has not handled every event within {timeout:.0f}s")


def _profilers(directory: str, roots: dict[str, int]) -> list[subprocess.Popen]:
    """py-spy on the web workers and the Huey worker, sampling only threads that hold the GIL."""
    if not directory:
        return []
    Path(directory).mkdir(parents=True, exist_ok=True)
    targets = [
        (f"{name}-{process.pid}", process.pid)
        for name in ("web", "worker")
        for process in peak._tree(roots[name])
        if name == "worker" or process.pid != roots[name]
    ]
    py_spy = str(Path(sys.executable).parent / "py-spy")
    return [
        subprocess.Popen(
            [py_spy, "record", "--gil", "--pid", str(pid), "--rate", "200", "--format", "raw", "-o", out],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for label, pid in targets
        for out in [str(Path(directory) / f"{label}.txt")]
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests (events) per kind")
    parser.add_argument("--residents", type=int, default=50)
    peak.add_server_options(parser)
    parser.add_argument("--profile", default="", help="directory for py-spy profiles (CPU only: --gil)")
    options = parser.parse_args()
    costs: dict[str, dict[str, float]] = {}

    with peak.city_running(options, options.residents) as city:
        env, roots = city.env, city.roots
        accounts = peak.accounts_for(env, city.users)
        secret = env["LINE_CHANNEL_SECRET"]
        rng = random.Random(1)
        client = Client(env["SITE_URL"])
        profilers = _profilers(options.profile, roots)

        def measure(name: str, count: int, one) -> None:
            before = peak.cpu_snapshot(roots)
            for n in range(count):
                one(n)
            after = peak.cpu_snapshot(roots)
            costs[name] = {part: 1000 * s / count for part, s in peak.cpu_seconds(before, after).items()}

        # Sign-in first (it also gives every resident its session), then once more for the figure.
        sessions = [_sign_in(client, account) for account in accounts]
        measure("sign-in (page + token)", len(accounts), lambda n: _sign_in(client, accounts[n]))
        residents = cycle(sessions)
        gzip = {"Accept-Encoding": "gzip"}
        measure(
            "map: page",
            options.requests,
            lambda n: client.request("GET", "/liff/facilities/", None, next(residents)),
        )
        response, _ = client.request(
            "GET", "/liff/facilities/facilities.geojson", None, {**gzip, **sessions[0]}
        )
        etag = response.getheader("ETag")
        measure(
            "map: data (200, gzip)",
            options.requests,
            lambda n: client.request(
                "GET", "/liff/facilities/facilities.geojson", None, {**gzip, **next(residents)}
            ),
        )
        measure(
            "map: data (304)",
            options.requests,
            lambda n: client.request(
                "GET",
                "/liff/facilities/facilities.geojson",
                None,
                {**gzip, "If-None-Match": etag, **next(residents)},
            ),
        )
        if city.shelter_list:
            measure(
                "shelters: list",
                options.requests,
                lambda n: client.request("GET", "/liff/facilities/shelters/", None, next(residents)),
            )
        measure(
            "bookings: mine",
            options.requests,
            lambda n: client.request("GET", "/liff/reservations/mine", None, next(residents)),
        )

        tokens = cycle(
            (account["userId"], token, event_id)
            for account in accounts
            for token, event_id in account["replyTokens"]
        )

        def webhook(message: dict) -> None:
            user_id, reply_token, event_id = next(tokens)
            body, headers = peak_events.webhook(
                secret=secret,
                to=peak_events.destination(peak.CHANNEL_ID),
                user_id=user_id,
                message=message,
                reply_token=reply_token,
                event_id=event_id,
            )
            client.request("POST", "/line/webhook", body, headers)

        for name, message in (
            ("webhook: location", lambda n: peak_events.location(rng)),
            ("webhook: text", lambda n: peak_events.question(rng)),
        ):
            count = min(options.requests, options.residents * peak.REPLY_TOKENS_PER_RESIDENT // 2)
            _until_events_done(env)
            measure(f"{name} (ack)", count, lambda n, message=message: webhook(message(n)))
            before = peak.cpu_snapshot(roots)
            _until_events_done(env)
            after = peak.cpu_snapshot(roots)
            costs[f"{name} (handling)"] = {
                part: 1000 * s / count for part, s in peak.cpu_seconds(before, after).items()
            }

        for profiler in profilers:
            profiler.send_signal(signal.SIGINT)
            profiler.wait()

    parts = ["web", "worker", "postgres", "redis", "emulator", "postgres (emulator)"]
    print(f"CPU milliseconds per request — one request at a time, {options.requests} of each")
    print(f"{'':<28}" + "".join(f"{p[:12]:>13}" for p in parts) + f"{'civicline':>12}")
    for name, row in costs.items():
        own = sum(row[p] for p in ("web", "worker", "postgres", "redis"))
        print(f"{name:<28}" + "".join(f"{row[p]:>13.2f}" for p in parts) + f"{own:>12.2f}")

    def step_cost(names: list[str]) -> float:
        total = 0.0
        for name in names:
            keys = [k for k in costs if k.startswith(name)]
            if name == "map: data":
                keys = ["map: data (304)"]  # a phone that has the data revalidates it
            if name == "shelters: list" and not keys:
                return step_cost(MIX["map"][1])
            total += sum(sum(costs[k][p] for p in ("web", "worker", "postgres", "redis")) for k in keys)
        return total

    weights = sum(w for w, _ in MIX.values())
    per_step = sum(w * step_cost(names) for w, names in MIX.values()) / weights
    per_resident = per_step / SECONDS_PER_STEP  # CPU ms a resident needs each second
    print(
        f"\ncivicline's CPU per resident step (bench.peak's mix): {per_step:.1f} ms; a resident needs "
        f"{per_resident:.2f} ms of CPU a second, so 2 cores serve at most {2000 / per_resident:.0f} "
        "residents with nothing else running (the load generator and the emulator need their share too)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
