"""Rich menu benchmark (RM-4, RM-5): drawing menu images, and the emergency switch for many friends.

    .venv/bin/python -m bench.richmenu [--friends 100000] [--linked 0.1] [--english 0.05]

Fresh databases under a temporary directory; the LINE emulator serves LINE's API from a thread, as
in the tests. Reported:

* drawing: every layout template and the demo city's menus, milliseconds per tab (median of 3,
  cold cache) and the JPEG's size against LINE's 1 MB limit;
* the emergency switch: ``--friends`` friends follow the account, ``--linked`` of them looking at
  the main menu's second tab (a per-user link, which would win over the default menu). Timed from
  the staff's click until LINE's default menu is the emergency menu, until LINE has accepted the
  batch that unlinks every per-user menu (civicline's own part: ``switch_s``), and until LINE
  reports every friend done; then the same for switching back (within the hour, so past LINE's
  3 batches an hour: 500 friends a request, many in flight). Checked on the emulator's side: no
  per-user link left but English readers' (issue 21: ``--english`` of the friends read English and
  are linked to the English copy of the menu shown, first after the publish, then by the switch
  before everyone else's links go), the default menu is the one expected.

``--json`` skips the drawing and prints {"friends", "switch_s", …} for the switch to the emergency menu.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

CHUNK = 5000


def _setup(var_dir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ["CIVICLINE_VAR_DIR"] = str(var_dir)
    os.environ["MEDIA_ROOT"] = str(var_dir / "media")
    os.environ["HUEY_IMMEDIATE"] = "1"  # the switch's worker task runs in this process
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("migrate", database="linesim", verbosity=0)


def drawing() -> list[tuple[str, float, int]]:
    from django.core.cache import cache

    from civicline.richmenu import content, demo, icons, layouts, rendering
    from civicline.richmenu.models import Menu

    rows = []
    keys = list(icons.ICONS)
    for template in layouts.TEMPLATES.values():
        tiles = [
            rendering.TileSpec(f"項目の名前{i + 1}", "#1565c0", keys[i]) for i in range(template.tile_count)
        ]
        spec = rendering.TabSpec(
            size=template.size, layout=template.key, tiles=tiles, tab_titles=("予約", "暮らし")
        )
        times, data = [], b""
        for _ in range(3):
            t0 = time.perf_counter()
            data = rendering.jpeg(rendering.compose(spec))
            times.append(time.perf_counter() - t0)
        rows.append((template.key, statistics.median(times) * 1000, len(data)))
    for menu in Menu.objects.filter(name__in=demo.MENUS):
        draft = content.content_of(menu)
        for index, tab in enumerate(draft.tabs):
            cache.clear()
            t0 = time.perf_counter()
            data = content.tab_jpeg(draft, index)
            rows.append((f"demo: {menu.name} / {tab.title}", (time.perf_counter() - t0) * 1000, len(data)))
    return rows


def seed_demo() -> object:
    """The demo city's menus, published by the system administrator (the worker runs in-process)."""
    from civicline.core.models import Department, Staff
    from civicline.richmenu import demo

    department = Department.objects.create(code="digital", name="デジタル戦略課")
    admin = Staff.objects.create(username="admin", department=department, role=Staff.Role.SYSTEM_ADMIN)
    demo.seed()
    return admin


def fill(friends: int, linked: float, english: float) -> int:
    """Friends on both sides, made by SQL; ``linked`` of them on the main menu's tab B, ``english`` of
    them reading English (linked to the English menu as a publish leaves them). Returns the links."""
    from django.db import connection, connections

    from bench.delivery import HASH, _fill_emulator, _Modulo
    from civicline.core.crypto import seal
    from civicline.linesim.models import RichMenu
    from civicline.richmenu import demo, selectors, services
    from civicline.richmenu.models import Menu

    empty = seal("")
    english_step = max(1, round(1 / english)) if english else friends + 2
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _Modulo(cursor).execute(
                "INSERT INTO line_friend (user_id, display_name, picture_url, language, state, first_seen, "
                "last_seen, preferred_language) SELECT 'U' || lpad(to_hex(i - 1), 32, '0'), %s, %s, "
                f"CASE WHEN i % {english_step} = 1 THEN 'en' ELSE 'ja' END, "
                f"CASE WHEN (i::bigint * {HASH}) % 100 < 5 THEN 'blocked' ELSE 'following' END, "
                "now(), now(), '' "
                "FROM generate_series(1, %s) i",
                [empty, empty, friends],
            )
            cursor.execute("ANALYZE line_friend")
        else:
            for start in range(1, friends + 1, CHUNK * 4):
                cursor.executemany(
                    "INSERT INTO line_friend (user_id, display_name, picture_url, language, state, "
                    "first_seen, last_seen, preferred_language) VALUES (%s, %s, %s, %s, %s, datetime('now'), "
                    "datetime('now'), '')",
                    [
                        (
                            f"U{i - 1:032x}",
                            empty,
                            empty,
                            "en" if i % english_step == 1 else "ja",
                            "blocked" if (i * HASH) % 100 < 5 else "following",
                        )
                        for i in range(start, min(start + CHUNK * 4, friends + 1))
                    ],
                )
    _fill_emulator(friends)
    main = Menu.objects.get(name=demo.MAIN_MENU)
    tab_b = RichMenu.objects.get(rich_menu_id=selectors.live_version(main).japanese_tabs[1].line_rich_menu_id)
    step = max(1, round(1 / linked)) if linked else 0
    with connections["linesim"].cursor() as cursor:
        if step:
            cursor.execute(
                "INSERT INTO linesim_richmenulink (user_id, rich_menu_id, linked_at) "
                "SELECT id, %s, datetime('now') FROM linesim_virtualuser WHERE following AND id %% %s = 0",
                [tab_b.pk, step],
            )
    # What the worker does after a publish: English readers linked to the English menu, in bulk.
    started = time.perf_counter()
    requests = services.language_links_refresh()
    seconds = time.perf_counter() - started
    print(f"English readers linked after the publish: {seconds:.2f} s, {requests} requests", file=sys.stderr)
    with connections["linesim"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM linesim_richmenulink")
        return cursor.fetchone()[0]


def switch(admin: object, links: int) -> list[dict]:
    from civicline.line.models import Friend
    from civicline.linesim.models import RichMenu, RichMenuLink
    from civicline.richmenu import demo, selectors, services
    from civicline.richmenu.models import EmergencySwitch, Menu

    main, emergency = Menu.objects.get(name=demo.MAIN_MENU), Menu.objects.get(name=demo.EMERGENCY_MENU)
    results = []
    for direction, menu, expected in (("on", emergency, emergency), ("off", None, main)):
        started = services.emergency_switch_start(
            actor=admin, direction=direction, menu_id=menu.pk if menu else None
        )
        done = EmergencySwitch.objects.get(pk=started.pk)
        assert done.status == EmergencySwitch.Status.DONE, done.error
        version = selectors.live_version(expected)
        default = RichMenu.objects.get(is_default=True).rich_menu_id
        assert default == version.japanese_tabs[0].line_rich_menu_id
        english = version.tabs_in("en")[0].line_rich_menu_id
        readers = Friend.objects.filter(state=Friend.State.FOLLOWING, language="en").count()
        assert (
            RichMenuLink.objects.count()
            == RichMenuLink.objects.filter(rich_menu__rich_menu_id=english).count()
        )
        assert RichMenuLink.objects.count() == readers, (RichMenuLink.objects.count(), readers)
        results.append(
            {
                "direction": done.get_direction_display(),
                "method": done.method,
                "friends": done.friends_done,
                "links_removed": links if direction == "on" else 0,
                "requests": done.requests,
                "default_s": round(done.seconds_until_default, 2),
                "switch_s": round(done.seconds_of_civicline, 2),
                "everyone_s": round(done.seconds_until_everyone, 2),
            }
        )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--friends", type=int, default=100_000)
    parser.add_argument("--linked", type=float, default=0.1, help="share of friends on another tab")
    parser.add_argument("--english", type=float, default=0.05, help="share of friends reading English")
    parser.add_argument("--latency-ms", type=int, default=50, help="the emulator's response time")
    parser.add_argument("--json", action="store_true", help="only the switch; its figures as JSON")
    options = parser.parse_args()
    database = os.environ.get("DATABASE_URL", "")
    if database.startswith(("postgres://", "postgresql://")):
        from bench.delivery import _fresh_postgres

        os.environ["DATABASE_URL"] = _fresh_postgres(database)
    with tempfile.TemporaryDirectory(prefix="civicline-bench-richmenu-") as var_dir:
        _setup(Path(var_dir))
        from django.conf import settings

        from bench.delivery import Emulator
        from civicline.line import client
        from civicline.richmenu.rendering import MAX_JPEG_BYTES

        emulator = Emulator(latency_ms=options.latency_ms, processes=2, threads=64)
        settings.LINE_API_BASE_URL = settings.LINE_API_DATA_BASE_URL = emulator.base_url
        client.reset_rate_limits()
        try:
            admin = seed_demo()
            if not options.json:
                print("Drawing a tab (compose + JPEG), median of 3:")
                for name, ms, size in drawing():
                    share = 100 * size / MAX_JPEG_BYTES
                    print(f"  {name:<36} {ms:6.0f} ms {size / 1024:6.0f} KB ({share:.0f}% of LINE's 1 MB)")
            links = fill(options.friends, options.linked, options.english)
            rows = switch(admin, links)
        finally:
            emulator.stop()
    if options.json:
        following = rows[0].pop("friends")
        on = {**rows[0], "following": following}
        print(json.dumps({"friends": options.friends, **on, "back": rows[1]}, ensure_ascii=False))
        return 0
    print(
        f"\nEmergency switch, {options.friends:,} friends, {links:,} of them on another tab, "
        f"LINE answering in {options.latency_ms} ms:"
    )
    for row in rows:
        print(
            f"  {row['direction']:<12} default menu after {row['default_s']:.2f} s, LINE took the rest after "
            f"{row['switch_s']:.2f} s ({row['method']}, {row['requests']} requests), every friend after "
            f"{row['everyone_s']:.2f} s ({row['links_removed']:,} per-user links removed)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
