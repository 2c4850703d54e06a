"""The residents of the disaster-peak load test, run by bench.peak in a process of their own (Locust
patches the standard library with gevent, which the orchestrating process must not see).

    python -m bench.peak_users PLAN.json

PLAN (written by bench.peak): the site, the channel secret, the residents' LINE accounts (user id,
an ID token the emulator issued for this LIFF app, reply tokens the emulator holds for their events),
how many residents, the ramp and the measured seconds, and which pages exist.

Every resident is its own LINE user. It signs in once (the LIFF page's gate, then the ID token
posted to /liff/session, as liff-sdk.js does), then, with 2–5 s of reading and thinking between
steps (uniform, 3.5 s on average), does what people do in the first minutes of a disaster:

    weight  step                                   requests
      3     opens the shelter map                  map page + its GeoJSON (ETag: 304 once seen)
      2     looks at the shelter list              /liff/facilities/shelters/
      2     sends its location in the talk         signed webhook (location event)
      2     asks the bot                           signed webhook (text event)
      1     checks its bookings                    /liff/reservations/mine

so about 1.3 requests a step: 1,000 residents offer ~370 requests a second. Stylesheets, scripts and
map tiles are not requested (a phone has them cached, or they come from elsewhere).

A 503 「混み合っています」 page (civicline.core.capacity) is a failure, counted apart as "shed".
Prints "MEASURE_START" and "MEASURE_END" around the measured period (the orchestrator samples CPU
times then), and at the end one JSON object with the percentiles measured from every response time.
"""

# ruff: noqa: E402 - gevent must patch the standard library before anything imports socket or ssl.
from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import itertools
import json
import math
import re
import resource
import sys
import time
import uuid
from collections import defaultdict

import gevent
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpSession, FastHttpUser
from locust.env import Environment

from bench import peak_events

PLAN = json.loads(open(sys.argv[1], encoding="utf-8").read())  # noqa: SIM115 - read once at start
SITE, SECRET = PLAN["site"], PLAN["channel_secret"]
ACCOUNTS = itertools.cycle(PLAN["accounts"][: PLAN["residents"]])

BUSY = "混み合っています"
SIGNED_OUT = 'data-liff-auth="required"'  # the gate page, shown instead of a resident page
SIGN_IN_ATTEMPTS = 5
RETRY_AFTER_SECONDS = 5  # civicline.core.capacity.RETRY_AFTER_SECONDS
CSRF = re.compile(r'"csrfToken":\s*"([^"]+)"')


_line_platform: FastHttpSession | None = None


def line_platform(environment: Environment) -> FastHttpSession:
    """LINE's side of the webhooks: one client for every resident's events, as many connections as needed."""
    global _line_platform
    if _line_platform is None:
        _line_platform = FastHttpSession(
            base_url=SITE,
            request_event=environment.events.request,
            user=None,
            concurrency=500,  # LINE delivers from many servers at once: no queue of ours in front
            network_timeout=60.0,
            connection_timeout=60.0,
        )
    return _line_platform


class Shed(Exception):
    """The site answered its 503 「混み合っています」 page: the resident was turned away."""


class Resident(FastHttpUser):
    wait_time = between(2, 5)
    host = SITE
    # One connection per phone; LINE keeps its own for webhooks, here the resident's is reused.
    concurrency = 1
    network_timeout = 60.0
    connection_timeout = 60.0

    def on_start(self) -> None:
        account = next(ACCOUNTS)
        self.user_id = account["userId"]
        self.reply_tokens = list(account["replyTokens"])
        self.map_etag = ""
        # As the LIFF page does: the gate page gives the CSRF token, liff-sdk.js the ID token. A phone
        # turned away (「混み合っています」, or an error) tries again after the page's Retry-After.
        for _attempt in range(SIGN_IN_ATTEMPTS):
            page = self._get("/liff/", "sign-in: LIFF page")
            match = CSRF.search(page or "")
            if match and self._check(
                self.client.post(
                    "/liff/session",
                    data={"id_token": account["idToken"]},
                    headers={"X-CSRFToken": match.group(1)},
                    name="sign-in: ID token",
                    catch_response=True,
                )
            ):
                return
            gevent.sleep(RETRY_AFTER_SECONDS)

    # --- requests ------------------------------------------------------------------------------

    def _check(self, response, ok: tuple[int, ...] = (200,)) -> str | None:
        with response as answer:
            if answer.status_code == 503 and BUSY in (answer.text or ""):
                answer.failure(Shed("503 混み合っています"))
                return None
            if answer.status_code not in ok:
                answer.failure(f"HTTP {answer.status_code}")
                return None
            answer.success()
            return answer.text

    def _page(self, path: str, name: str) -> None:
        """A resident page: the gate page instead means the resident was not (or no longer) signed in."""
        with self.client.get(path, name=name, catch_response=True) as answer:
            if answer.status_code == 503 and BUSY in (answer.text or ""):
                answer.failure(Shed("503 混み合っています"))
            elif answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}")
            elif SIGNED_OUT in (answer.text or ""):
                answer.failure("signed out: the gate page instead")
            else:
                answer.success()

    def _get(self, path: str, name: str, **kwargs) -> str | None:
        return self._check(self.client.get(path, name=name, catch_response=True, **kwargs))

    def _webhook(self, message: dict, name: str) -> None:
        if self.reply_tokens:
            reply_token, event_id = self.reply_tokens.pop()
        else:  # more events than the emulator issued tokens for: the bot answers by push
            reply_token, event_id = uuid.uuid4().hex, uuid.uuid4().hex[:26].upper()
        body, headers = peak_events.webhook(
            secret=SECRET,
            to=peak_events.destination(PLAN["channel_id"]),
            user_id=self.user_id,
            message=message,
            reply_token=reply_token,
            event_id=event_id,
        )
        # LINE's servers post it, not the phone: no cookies, and a connection of LINE's (shared pool).
        self._check(
            line_platform(self.environment).post(
                "/line/webhook", data=body, name=name, headers=headers, catch_response=True
            )
        )

    # --- what residents do ---------------------------------------------------------------------

    @task(3)
    def open_map(self) -> None:
        self._get("/liff/facilities/", "map: page")
        # The page's script fetches the data; the phone revalidates its copy with the ETag.
        headers = {"Accept-Encoding": "gzip", **({"If-None-Match": self.map_etag} if self.map_etag else {})}
        with self.client.get(
            "/liff/facilities/facilities.geojson", name="map: data", headers=headers, catch_response=True
        ) as answer:
            if answer.status_code in (200, 304):
                self.map_etag = answer.headers.get("ETag", self.map_etag) if answer.headers else self.map_etag
                answer.success()
            elif answer.status_code == 503 and BUSY in (answer.text or ""):
                answer.failure(Shed("503 混み合っています"))
            else:
                answer.failure(f"HTTP {answer.status_code}")

    @task(2)
    def shelter_list(self) -> None:
        if PLAN["shelter_list"]:
            self._get("/liff/facilities/shelters/", "shelters: list")
        else:  # this build has no list page: the resident opens the map's list instead
            self.open_map()

    @task(2)
    def send_location(self) -> None:
        self._webhook(peak_events.location(), "webhook: location")

    @task(2)
    def ask_the_bot(self) -> None:
        self._webhook(peak_events.question(), "webhook: text")

    @task(1)
    def my_bookings(self) -> None:
        self._page("/liff/reservations/mine", "bookings: mine")


# --- measuring ------------------------------------------------------------------------------------

phase = "ramp"  # then "measure", then "after" (responses arriving after the end are not counted)
times: dict[str, list[float]] = defaultdict(list)
failures: dict[str, int] = defaultdict(int)
shed: dict[str, int] = defaultdict(int)
ramp_times: dict[str, list[float]] = defaultdict(list)
ramp_failures: dict[str, int] = defaultdict(int)
errors: dict[str, int] = defaultdict(int)


@events.request.add_listener
def _record(name: str, response_time: float, exception: BaseException | None, **_: object) -> None:
    if phase == "after":
        return
    if phase == "ramp":
        ramp_times[name].append(response_time)
        if exception is not None:
            ramp_failures[name] += 1
            errors[f"(ramp) {name}: {str(exception)[:160]}"] += 1
        return
    times[name].append(response_time)
    if exception is not None:
        failures[name] += 1
        if isinstance(exception, Shed):
            shed[name] += 1
        errors[f"{name}: {str(exception)[:160]}"] += 1


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 1)


def _row(values: list[float], failed: int, turned_away: int = 0) -> dict:
    return {
        "requests": len(values),
        "failures": failed,
        "shed": turned_away,
        "p50_ms": percentile(values, 0.50),
        "p95_ms": percentile(values, 0.95),
        "p99_ms": percentile(values, 0.99),
    }


def main() -> None:
    global phase
    # One socket per resident: far more than the usual 1,024 descriptors.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    residents, seconds = PLAN["residents"], PLAN["seconds"]
    env = Environment(user_classes=[Resident], events=events)  # the module-level hooks above
    runner = env.create_local_runner()
    runner.start(residents, spawn_rate=residents / PLAN["ramp_seconds"])
    runner.spawning_greenlet.join()
    gevent.sleep(PLAN["settle_seconds"])  # the last to arrive have signed in and started
    print("MEASURE_START", flush=True)
    phase = "measure"
    began = time.monotonic()
    gevent.sleep(seconds)
    phase = "after"
    elapsed = time.monotonic() - began
    print("MEASURE_END", flush=True)
    runner.quit()

    every = [t for values in times.values() for t in values]
    hooks = [t for name, values in times.items() if name.startswith("webhook") for t in values]
    signin = [t for name, values in ramp_times.items() if name.startswith("sign-in") for t in values]
    result = {
        "residents": residents,
        "rps": round(len(every) / elapsed, 1),
        "p50_ms": percentile(every, 0.50),
        "p95_ms": percentile(every, 0.95),
        "p99_ms": percentile(every, 0.99),
        "failures": sum(failures.values()),
        "shed": sum(shed.values()),
        "webhook_ack_p99_ms": percentile(hooks, 0.99),
        "requests": len(every),
        "seconds": round(elapsed, 1),
        "signin": {
            **_row(signin, sum(n for name, n in ramp_failures.items() if name.startswith("sign-in"))),
            "residents": residents,
        },
        "ramp_failures": sum(ramp_failures.values()),
        "by_request": {
            name: _row(values, failures[name], shed[name]) for name, values in sorted(times.items())
        },
        "errors": [f"{n}× {text}" for text, n in sorted(errors.items(), key=lambda kv: -kv[1])[:8]],
    }
    print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
