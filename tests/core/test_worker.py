"""The worker (Huey): queued, scheduled and periodic tasks, in SQLite storage by default."""

import datetime as dt

from huey import SqliteHuey, crontab
from huey.contrib.djhuey import HUEY


def test_production_settings_queue_in_sqlite_unless_redis_is_configured():
    from django.conf import settings

    assert settings.HUEY["huey_class"] in {"huey.SqliteHuey", "huey.RedisHuey"}
    assert (settings.HUEY["huey_class"] == "huey.RedisHuey") == bool(settings.REDIS_URL)


def test_queued_and_scheduled_tasks_survive_in_sqlite_until_a_worker_runs_them(tmp_path):
    queue = SqliteHuey(filename=str(tmp_path / "huey.sqlite3"))
    done = []

    @queue.task()
    def remember(value):
        done.append(value)

    remember("now")
    remember.schedule(("later",), delay=3600)
    assert queue.pending_count() == 2

    # A worker started later (another process in production) finds both: it runs the due one
    # and keeps the other in its schedule until its time.
    now_task, later_task = queue.dequeue(), queue.dequeue()
    queue.execute(now_task)
    assert done == ["now"]
    queue.add_schedule(later_task)
    assert queue.scheduled_count() == 1
    in_two_hours = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=2)
    for task in queue.read_schedule(in_two_hours):
        queue.execute(task, timestamp=in_two_hours)
    assert done == ["now", "later"]


def test_periodic_sweeps_are_registered_with_the_projects_queue():
    every_minute = dt.datetime(2026, 11, 25, 10, 0)
    due = {task.name for task in HUEY.read_periodic(every_minute)}
    assert "webhook_events_sweep_task" in due
    assert crontab(minute="*")(every_minute)
