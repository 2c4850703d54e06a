"""The residents of the disaster-peak load test (run by bench.peak, in its own process: Locust
patches the standard library with gevent, which the orchestrating process must not see).

    python -m bench.peak_users SITE EMULATOR LIFF_ID CHANNEL_SECRET USERS SECONDS

Prints one JSON object: request counts, percentiles and failures for the whole run and per request.
"""

# ruff: noqa: E402 - gevent must patch the standard library before ssl (via requests) is imported.
from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import base64
import hashlib
import hmac
import json
import random
import re
import sys
import time
import uuid

import gevent
import requests
from locust import HttpUser, between, task
from locust.env import Environment

SITE, EMULATOR, LIFF_ID, SECRET = sys.argv[1:5]
USERS, SECONDS = int(sys.argv[5]), float(sys.argv[6])

QUESTIONS = [
    "電池の捨て方",
    "ぺっとぼとる",
    "スプレー缶",
    "粗大ごみの申し込み",
    "住民票をコンビニで取りたい",
    "避難所はどこ",
    "マイナンバーカードの受け取り",
    "フライパン 捨て方",
]
# Around 豊中市: residents searching for shelters from where they stand.
PLACES = [(34.7812, 135.4699), (34.8073, 135.4958), (34.7538, 135.4667), (34.7925, 135.4479)]


def signed(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


class Resident(HttpUser):
    """Opens the map, searches shelters in the talk, chats with the bot, looks for a booking slot."""

    wait_time = between(1, 3)
    host = SITE

    def on_start(self) -> None:
        user = requests.post(
            f"{EMULATOR}/sim/api/users",
            json={"display_name": f"住民{uuid.uuid4().hex[:6]}", "follow": True},
            timeout=30,
        ).json()
        self.user_id = user["userId"]
        token = requests.post(
            f"{EMULATOR}/sim/api/liff/token", json={"liffId": LIFF_ID, "userId": self.user_id}, timeout=30
        ).json()["idToken"]
        self.client.get("/liff/", name="/liff/ (before sign-in)")
        csrf = self.client.cookies.get("csrftoken", "")
        self.client.post(
            "/liff/session", data={"id_token": token}, headers={"X-CSRFToken": csrf}, name="/liff/session"
        )
        self.services: list[str] = []

    def _webhook(self, event: dict, name: str) -> None:
        event.update(
            {
                "mode": "active",
                "timestamp": int(time.time() * 1000),
                "source": {"type": "user", "userId": self.user_id},
                "webhookEventId": uuid.uuid4().hex[:26].upper(),
                "deliveryContext": {"isRedelivery": False},
                "replyToken": uuid.uuid4().hex,
            }
        )
        body = json.dumps({"destination": "U" + "0" * 32, "events": [event]}).encode()
        self.client.post(
            "/line/webhook",
            data=body,
            name=name,
            headers={"Content-Type": "application/json", "x-line-signature": signed(body)},
        )

    @task(3)
    def open_map(self) -> None:
        self.client.get("/liff/facilities/", name="map page")
        self.client.get("/liff/facilities/facilities.geojson", name="map data")

    @task(2)
    def shelters_near_me(self) -> None:
        lat, lng = random.choice(PLACES)
        self._webhook(
            {
                "type": "message",
                "message": {
                    "id": str(random.getrandbits(60)),
                    "type": "location",
                    "latitude": lat,
                    "longitude": lng,
                    "address": "豊中市",
                },
            },
            "webhook: location",
        )

    @task(3)
    def ask_the_bot(self) -> None:
        self._webhook(
            {
                "type": "message",
                "message": {
                    "id": str(random.getrandbits(60)),
                    "type": "text",
                    "text": random.choice(QUESTIONS),
                    "quoteToken": "q",
                },
            },
            "webhook: text",
        )

    @task(2)
    def look_for_a_slot(self) -> None:
        page = self.client.get("/liff/reservations/", name="booking: services")
        if not self.services:
            self.services = re.findall(r"/liff/reservations/s/(\d+)/", page.text) or ["0"]
        if self.services != ["0"]:
            self.client.get(f"/liff/reservations/s/{random.choice(self.services)}/", name="booking: calendar")


def main() -> None:
    env = Environment(user_classes=[Resident])
    runner = env.create_local_runner()
    runner.start(USERS, spawn_rate=max(5, USERS / 5))
    runner.spawning_greenlet.join()  # everyone signed in: measure the steady state only
    gevent.sleep(2)
    env.stats.reset_all()
    gevent.sleep(SECONDS)
    runner.quit()
    total = env.stats.total
    rows = {
        name: {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p95_ms": entry.get_response_time_percentile(0.95),
            "p99_ms": entry.get_response_time_percentile(0.99),
        }
        for (name, _method), entry in env.stats.entries.items()
    }
    print(
        json.dumps(
            {
                "users": USERS,
                "requests": total.num_requests,
                "failures": total.num_failures,
                "per_second": total.num_requests / SECONDS,
                "p50_ms": total.get_response_time_percentile(0.5),
                "p95_ms": total.get_response_time_percentile(0.95),
                "p99_ms": total.get_response_time_percentile(0.99),
                "errors": [str(e.error)[:200] for e in list(env.stats.errors.values())[:5]],
                "by_request": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
