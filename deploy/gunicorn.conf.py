"""gunicorn for civicline's web processes (deploy/Dockerfile, bench/peak.py).

Threaded workers: a request mostly waits on PostgreSQL, Redis or LINE, so threads serve many at
once within one process's memory. Metrics from all workers are summed through prometheus_client's
multiprocess directory: set here (the workers inherit it, other commands never see it), emptied
when the server starts and removed when it stops.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(tempfile.gettempdir()) / f"civicline-prometheus-{os.getpid()}")
)

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1)))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Resident pages may use all threads but two, the shelter map all but one: under overload the rest
# get a 「混み合っています」 page at once, and LINE's webhook always finds a free thread.
os.environ.setdefault("RESIDENT_PAGE_CONCURRENCY", str(max(1, threads - 2)))
os.environ.setdefault("SHELTER_PAGE_CONCURRENCY", str(max(1, threads - 1)))
# A thread back from PostgreSQL or Redis waits for the GIL behind the threads rendering pages; with
# Python's default 5 ms turns, a webhook's few round trips queued behind a disaster peak's page
# renders. 1 ms turns let short requests through first (inherited by the forked workers).
sys.setswitchinterval(float(os.environ.get("GUNICORN_GIL_SWITCH_MS", "1")) / 1000)
# A webhook must be answered within seconds; a stuck request is killed rather than queueing others.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Let in-flight requests finish on restarts and upgrades (SIGTERM), then stop.
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak never grows into an outage — but rarely, and never all
# at once: at a disaster's peak a worker serves a hundred requests a second, and 5,000 ± 500 restarted
# every worker each minute within seconds of one another (equal loads), stalling every request for
# ten seconds while new workers started (bench.peak). Half the count as jitter keeps restarts apart.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 2
# The app logs one JSON line per event with its request id; gunicorn's own access log would repeat it.
accesslog = None
errorlog = "-"


def on_starting(server):
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    Path(directory).mkdir(parents=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
