"""The city's side of the disaster-peak scenario (run by bench.peak with civicline's settings).

    python -m bench.peak_scenario emergency        # 危機管理課 switches every friend to the emergency menu
    python -m bench.peak_scenario notice TITLE     # a notice to all friends, sent now; waits until sent

Each prints one JSON object. Staff actions go through the same services as the console (audited),
as the 危機管理課 account of the demo city; the worker does the sending, as in production.
"""

from __future__ import annotations

import json
import sys
import time

import django

WAIT_SECONDS = 120


def _staff():
    from civicline.core.models import Staff

    return Staff.objects.get(username="kikikanri")


def _until(check, what: str) -> float:
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > WAIT_SECONDS:
            raise SystemExit(f"{what}: not done after {WAIT_SECONDS} s")
        time.sleep(0.2)
    return time.monotonic() - began


def emergency() -> dict:
    from civicline.core.audit import audit_context
    from civicline.richmenu import selectors, services
    from civicline.richmenu.models import EmergencySwitch

    # The demo's menus are published by the worker after seeding (they go to LINE with their images).
    _until(lambda: selectors.prepared_emergency_menus().exists(), "the demo's emergency menu")
    menu = selectors.prepared_emergency_menus().first()
    with audit_context(actor_label="bench.peak"):
        switch = services.emergency_switch_start(actor=_staff(), direction="on", menu_id=menu.pk)
    seconds = _until(
        lambda: EmergencySwitch.objects.filter(pk=switch.pk).exclude(status="running").exists(),
        "the emergency switch",
    )
    switch.refresh_from_db()
    return {"switch": switch.status, "friends": switch.friends_total, "seconds": round(seconds, 2)}


def notice(title: str) -> dict:
    from civicline.core.audit import audit_context
    from civicline.delivery import services
    from civicline.delivery.models import Delivery

    staff = _staff()
    data = services.DeliveryInput(
        title=title,
        audience=Delivery.Audience.ALL,
        segments=[],
        combine=Delivery.Combine.ANY,
        email_too=False,
        messages=[
            services.MessageInput(
                kind="text",
                text=f"【{title}】市内に避難指示が出ています。近くの避難所はメニューの「近くの避難所」から確認できます。",
            )
        ],
    )
    with audit_context(actor_label="bench.peak"):
        delivery = services.delivery_create(actor=staff, data=data)
        services.delivery_schedule(actor=staff, delivery=delivery, at=None)
    seconds = _until(
        lambda: Delivery.objects.filter(pk=delivery.pk, finished_at__isnull=False).exists(), "the notice"
    )
    delivery.refresh_from_db()
    return {"delivery": delivery.status, "seconds": round(seconds, 2)}


def main() -> None:
    django.setup()
    command, *args = sys.argv[1:]
    result = {"emergency": emergency, "notice": notice}[command](*args)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
