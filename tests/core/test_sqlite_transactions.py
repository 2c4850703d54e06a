"""SQLite shared by several processes (the demo: web server, worker, seeding, emulator).

A transaction that reads and then writes must wait for another writer, not fail: begun deferred,
SQLite refuses its write at once ("database is locked", whatever the busy timeout) when another
connection wrote after its read. The demo printed that traceback under its banner.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from civicline.core.models import Department

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's locking only"),
]


def test_a_transaction_that_reads_then_writes_waits_for_another_writer_instead_of_failing():
    read_done, other_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def reader_then_writer() -> None:
        try:
            with transaction.atomic():
                Department.objects.count()  # the read that starts a deferred transaction
                read_done.set()
                other_done.wait(timeout=2)  # IMMEDIATE: the other writer waits for us meanwhile
                Department.objects.create(code="first", name="先の課")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def other_writer() -> None:
        try:
            read_done.wait(timeout=5)
            Department.objects.create(code="second", name="後の課")
        except BaseException as exc:
            errors.append(exc)
        finally:
            other_done.set()
            connections.close_all()

    threads = [threading.Thread(target=reader_then_writer), threading.Thread(target=other_writer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert set(Department.objects.filter(code__in=["first", "second"]).values_list("code", flat=True)) == {
        "first",
        "second",
    }
