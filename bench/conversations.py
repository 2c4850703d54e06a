"""Polling benchmark of staff conversations (issue 10, X-14): what the open pages cost the server.

    .venv/bin/python -m bench.conversations [--conversations 3000] [--messages 10] [--requests 300]

The console page of a conversation asks for new messages every 4 seconds and the inbox refreshes
its rows every 10 seconds; a resident's chat page polls every 5 seconds. With many staff and
residents on these pages at once, those requests are most of the load, so each is timed here over
a fresh SQLite database (or DATABASE_URL's) filled with ``--conversations`` conversations of
``--messages`` sealed messages each, spread over 10 departments:

* a conversation page's poll with nothing new (the usual answer) and with one new message;
* the inbox rows (50 per page) of one department;
* a resident's poll.

Reported: p50/p95 latency and SQL queries per request, through Django's test client (no network).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

DEPARTMENTS = 10


def _setup(var_dir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ["CIVICLINE_VAR_DIR"] = str(var_dir)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # Django's test client


def _fill(conversations: int, messages: int):
    from django.utils import timezone

    from civicline.conversations.models import Conversation, Message, Topic
    from civicline.core.models import Department, Staff
    from civicline.line.models import Friend

    now = timezone.now()
    departments = [Department.objects.create(code=f"d{i}", name=f"ベンチ課{i}") for i in range(DEPARTMENTS)]
    topics = [
        Topic.objects.create(
            department=d, name=f"相談{d.pk}", hours={str(x): [["00:00", "23:59"]] for x in range(7)}
        )
        for d in departments
    ]
    friends = Friend.objects.bulk_create(
        [
            Friend(user_id=f"U{i:032x}", display_name=f"住民{i}", first_seen=now, last_seen=now)
            for i in range(conversations)
        ]
    )
    rows = Conversation.objects.bulk_create(
        [
            Conversation(
                department=topics[i % DEPARTMENTS].department,
                topic=topics[i % DEPARTMENTS],
                friend=friends[i],
                channel="liff",
                receipt_number=f"B{i:07d}",
                status=("new", "open", "closed")[i % 3],
                last_message_at=now,
                last_resident_message_at=now,
            )
            for i in range(conversations)
        ]
    )
    Message.objects.bulk_create(
        [
            Message(
                conversation=c, author="resident" if j % 2 == 0 else "staff", text=f"メッセージ{j}です。" * 5
            )
            for c in rows
            for j in range(messages)
        ],
        batch_size=2000,
    )
    staff = Staff.objects.create_user(username="bench", department=departments[0])
    return staff, rows[0]


def _staff_client(staff):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.create(user=staff, name="bench").persistent_id
    session.save()
    return client


def _resident_client(friend):
    from django.test import Client

    from civicline.line.liff.auth import SESSION_KEY

    client = Client()
    session = client.session
    session[SESSION_KEY] = {"user_id": friend.user_id, "seen": time.time()}
    session.save()
    return client


def _time(label: str, request, count: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    request()  # warm
    timings, queries = [], 0
    for _ in range(count):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = request()
            timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
        queries = len(captured)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"{label:<42} p50 {statistics.median(timings):6.1f} ms   p95 {p95:6.1f} ms   {queries} queries")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=3000)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        _setup(Path(var_dir))
        from civicline.conversations import services

        start = time.perf_counter()
        staff, conversation = _fill(args.conversations, args.messages)
        print(
            f"{args.conversations} conversations × {args.messages} messages over {DEPARTMENTS} departments "
            f"filled in {time.perf_counter() - start:.1f} s"
        )
        console, resident = _staff_client(staff), _resident_client(conversation.friend)
        last = conversation.messages.order_by("-pk").first().pk
        base = f"/console/conversations/{conversation.pk}/updates"
        _time(
            "conversation page poll, nothing new", lambda: console.get(f"{base}?after={last}"), args.requests
        )

        def one_new():
            message = services.message_receive(conversation=conversation, text="新しい質問です").message
            return console.get(f"{base}?after={message.pk - 1}")

        _time("conversation page poll, one new message", one_new, max(args.requests // 3, 10))
        _time(
            "inbox rows (50 of one department)",
            lambda: console.get("/console/conversations/?partial=rows"),
            max(args.requests // 3, 10),
        )
        resident_url = f"/liff/conversations/c/{conversation.receipt_number}/updates?after={10**9}"
        _time("resident chat poll, nothing new", lambda: resident.get(resident_url), args.requests)


if __name__ == "__main__":
    sys.exit(main())
