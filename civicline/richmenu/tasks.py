"""Worker jobs of the rich menu: the emergency switch, which may take a while for many friends."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from . import selectors, services


@db_task()
def emergency_switch_task(switch_id: int) -> None:
    services.emergency_switch_run(switch_id=switch_id)


@db_task(retries=3, retry_delay=30)
def language_links_task() -> None:
    """After a publish: residents of other languages linked to the new menu in theirs (issue 21)."""
    services.language_links_refresh()


@db_task(retries=3, retry_delay=10)
def resident_menu_task(friend_id: int) -> None:
    """A resident's language changed (受信設定, or their LINE app's at follow): their menu follows."""
    services.resident_menu_refresh(friend_id=friend_id)


def emergency_switch_sweep_task() -> None:
    """A switch whose worker stopped half-way carries on from where it stopped (it is resumable)."""
    for switch in selectors.stale_switches():
        services.emergency_switch_continue(switch=switch)


@db_task(retries=30, retry_delay=2)
def demo_menus_publish_task() -> None:
    """The demo's menus, published once the LINE emulator answers (it starts after the seed)."""
    from .demo import publish_seeded

    publish_seeded()
