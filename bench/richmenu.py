"""Rich menu benchmark (RM-4, RM-5): drawing menu images, and the emergency switch for many friends.

    .venv/bin/python -m bench.richmenu [--friends 100000] [--linked 0.1]

Fresh databases under a temporary directory; the LINE emulator serves LINE's API from a thread, as
in the tests. Reported:

* drawing: every layout template and the demo city's menus, milliseconds per tab (median of 3,
  cold cache) and the JPEG's size against LINE's 1 MB limit;
* the emergency switch: ``--friends`` friends follow the account, ``--linked`` of them looking at
  the main menu's second tab (a per-user link, which would win over the default menu). Timed from
  the staff's click until LINE's default menu is the emergency menu, and until every friend has it
  (their per-user links removed, 500 per request); then the same for switching back. Checked on
  the emulator's side: no per-user link left, the default menu is the one expected.
"""

from __future__ import annotations

import argparse
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


def fill(friends: int, linked: float) -> int:
    """Friends on both sides; ``linked`` of them on the main menu's tab B. Returns the links made."""
    from django.utils import timezone

    from civicline.line.models import Friend
    from civicline.linesim.models import RichMenu, RichMenuLink, VirtualUser
    from civicline.richmenu import demo, selectors
    from civicline.richmenu.models import Menu

    now = timezone.now()
    for start in range(0, friends, CHUNK):
        ids = [f"U{i:032x}" for i in range(start, min(start + CHUNK, friends))]
        VirtualUser.objects.bulk_create(
            VirtualUser(user_id=u, display_name="住民", following=True) for u in ids
        )
        Friend.objects.bulk_create(Friend(user_id=u, first_seen=now, last_seen=now) for u in ids)
    main = Menu.objects.get(name=demo.MAIN_MENU)
    tab_b = RichMenu.objects.get(
        rich_menu_id=selectors.live_version(main).tabs.get(position=1).line_rich_menu_id
    )
    step = max(1, round(1 / linked)) if linked else 0
    if step:
        users = list(VirtualUser.objects.order_by("pk").values_list("pk", flat=True)[::step])
        RichMenuLink.objects.bulk_create(RichMenuLink(user_id=pk, rich_menu=tab_b) for pk in users)
    return RichMenuLink.objects.count()


def switch(admin: object, links: int) -> list[dict]:
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
        default = RichMenu.objects.get(is_default=True).rich_menu_id
        assert default == selectors.live_version(expected).tabs.get(position=0).line_rich_menu_id
        assert RichMenuLink.objects.count() == 0
        results.append(
            {
                "direction": done.get_direction_display(),
                "friends": done.friends_done,
                "links_removed": links if direction == "on" else 0,
                "requests": done.requests,
                "default_s": done.seconds_until_default,
                "everyone_s": done.seconds_until_everyone,
            }
        )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--friends", type=int, default=100_000)
    parser.add_argument("--linked", type=float, default=0.1, help="share of friends on another tab")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="civicline-bench-richmenu-") as var_dir:
        _setup(Path(var_dir))
        from django.conf import settings

        from civicline.line import client
        from civicline.linesim.server import start_server
        from civicline.richmenu.rendering import MAX_JPEG_BYTES

        server = start_server("127.0.0.1", 0, threads=4)
        settings.LINE_API_BASE_URL = settings.LINE_API_DATA_BASE_URL = server.base_url
        client.reset_rate_limits()
        try:
            admin = seed_demo()
            print("Drawing a tab (compose + JPEG), median of 3:")
            for name, ms, size in drawing():
                share = 100 * size / MAX_JPEG_BYTES
                print(f"  {name:<36} {ms:6.0f} ms {size / 1024:6.0f} KB ({share:.0f}% of LINE's 1 MB)")
            links = fill(options.friends, options.linked)
            print(f"\nEmergency switch, {options.friends:,} friends, {links:,} of them on another tab:")
            for row in switch(admin, links):
                per_request = 1000 * row["everyone_s"] / max(row["requests"], 1)
                print(
                    f"  {row['direction']:<12} default menu after {row['default_s']:.2f} s, "
                    f"every friend after {row['everyone_s']:.2f} s ({row['requests']} unlink requests, "
                    f"{per_request:.1f} ms each; {row['links_removed']:,} per-user links removed)"
                )
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
