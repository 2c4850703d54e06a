"""Calls to other services (LINE, mail, web pages) made while a web request waits (X-14).

A web thread that waits on a slow LINE is a thread no resident can use: at a disaster's peak a few
slow answers would take every thread. So a call made on a request thread is bounded three ways:

* a short timeout (``OUTBOUND_ON_REQUEST_TIMEOUT``) instead of the worker's patient one;
* no waiting in-process for a retry: what must be retried goes to the worker;
* at most ``OUTBOUND_ON_REQUEST_CONCURRENCY`` such calls at once per process: a call that finds
  every slot taken does not wait for one (the caller hands the work to the worker, or says
  "try again shortly").

In the worker (or a command) none of this applies: there, waiting is the job.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

_on_request: contextvars.ContextVar[bool] = contextvars.ContextVar("on_web_request", default=False)
_slots_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


@contextmanager
def web_request() -> Iterator[None]:
    """Mark the code inside as answering a web request (the request-id middleware does)."""
    token = _on_request.set(True)
    try:
        yield
    finally:
        _on_request.reset(token)


def off_request_enter() -> contextvars.Token:
    """Work that runs in the worker's way even if started from a request (a task run inline)."""
    return _on_request.set(False)


def off_request_exit(token: contextvars.Token) -> None:
    _on_request.reset(token)


def on_web_request() -> bool:
    return _on_request.get()


def timeout(patient: tuple[float, float]) -> tuple[float, float]:
    """The (connect, read) timeout for a call: ``patient`` off requests, the short one on them."""
    if not on_web_request():
        return patient
    short = tuple(settings.OUTBOUND_ON_REQUEST_TIMEOUT)
    return (min(patient[0], short[0]), min(patient[1], short[1]))


class NoSlot(Exception):
    """Every outbound slot of this process is taken by other requests; do not wait for one."""


def _semaphore() -> threading.BoundedSemaphore:
    size = settings.OUTBOUND_ON_REQUEST_CONCURRENCY
    with _slots_lock:
        if size not in _slots:
            _slots[size] = threading.BoundedSemaphore(size)
        return _slots[size]


@contextmanager
def slot() -> Iterator[None]:
    """Hold one of the process's outbound slots for a call on a request thread (free elsewhere)."""
    if not on_web_request():
        yield
        return
    semaphore = _semaphore()
    if not semaphore.acquire(blocking=False):
        raise NoSlot
    try:
        yield
    finally:
        semaphore.release()
