"""LINE Login's public keys (a JWKS), kept in Django's cache so that verifying a LIFF ID token needs
no call to LINE.

LINE signs LIFF ID tokens ES256 and names the key in the token's ``kid``; its JWKS is public at
``https://api.line.me/oauth2/v2.1/certs`` (``LIFF_JWKS_URL``). The set is fetched outside requests,
with one bounded exception:

- at start-up: the web process starts a refresher thread (``jwks_refresher_start``, from
  ``civicline.wsgi``) that fills the cache, retrying until LINE answers, then keeps it fresh where no
  worker shares the cache; the worker refreshes when it starts (``tasks.py``);
- periodically, by the worker's ``liff_jwks_refresh_task`` (every ``REFRESH_MINUTES``): a key LINE has
  withdrawn stops being accepted then;
- on a request, only when a token names a ``kid`` the cached set lacks (LINE rotated its key, or no set
  was ever fetched): one bounded fetch (``FETCH_TIMEOUT``) at most once a minute for all processes; the
  requests arriving meanwhile wait for that fetch rather than start their own.

The cache entry (``line:jwks``) is shared by every process when the cache is Redis; each process parses
it once into a PyJWKSet.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWKSetError

logger = logging.getLogger(__name__)

ALGORITHM = "ES256"  # what LINE signs LIFF ID tokens with; nothing else is accepted
CERTS_PATH = "/oauth2/v2.1/certs"
CACHE_KEY = "line:jwks"
REFETCH_KEY = "line:jwks:refetch"
# A request's fetch holds a web thread: short, so that a LINE that does not answer costs little.
FETCH_TIMEOUT = 2.0  # seconds, for the connection and for the answer
# Tokens naming unknown keys (forged, or after a rotation) cause at most one fetch a minute in all.
REFETCH_INTERVAL = 60  # seconds
REFRESH_MINUTES = 10  # the worker's periodic refresh
# The web's refresher leaves fresh sets alone: with a shared cache the worker has refreshed them.
STALE_AFTER = REFRESH_MINUTES * 60 + 120  # seconds
REFRESHER_CHECK = 60  # seconds between the web refresher's looks at the cache
REFRESHER_RETRY = (5, 60)  # first and longest pause between failed start-up fetches, in seconds


class KeysUnavailable(Exception):
    """LINE's keys could not be fetched and none are known (or the one asked for may be missing)."""


class UnknownKey(Exception):
    """LINE's current keys do not include the token's ``kid`` (or a fetch was not allowed yet)."""


def jwks_url() -> str:
    """Where LINE publishes its keys: the setting, else the LINE API host's (real LINE or the emulator)."""
    return settings.LIFF_JWKS_URL or settings.LINE_API_BASE_URL + CERTS_PATH


def jwks_fetch() -> dict[str, Any]:
    """LINE's JWKS now, as the cache entry keeps it; raise KeysUnavailable if it cannot be had."""
    url = jwks_url()
    try:
        response = requests.get(url, timeout=(FETCH_TIMEOUT, FETCH_TIMEOUT))
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise KeysUnavailable(f"LINE's keys could not be fetched from {url}: {exc}") from exc
    if not isinstance(body, dict):
        raise KeysUnavailable(f"{url} answered something other than a JWKS")
    try:
        # Parsed here only to refuse an unusable answer: a set that never verifies must not replace one
        # that does.
        usable = [key for key in PyJWKSet.from_dict(body) if _usable(key)]
    except PyJWKSetError as exc:
        raise KeysUnavailable(f"{url} answered a JWKS without usable keys: {exc}") from exc
    if not usable:
        raise KeysUnavailable(f"{url} answered a JWKS without {ALGORITHM} keys")
    return {"keys": body["keys"], "url": url, "fetched_at": time.time()}


def jwks_refresh() -> dict[str, Any]:
    """Fetch LINE's keys and put them in the cache for every process; raise KeysUnavailable on failure.

    A failed fetch keeps the cached keys: LINE being unreachable must not stop sign-ins that the keys
    already known can verify.
    """
    entry = jwks_fetch()
    # No expiry: the set is replaced by the next successful fetch, never dropped for want of one.
    cache.set(CACHE_KEY, entry, timeout=None)
    logger.info("LINE's ID token keys refreshed: %s", ", ".join(_kids(entry)))
    return entry


def jwks_needs_refresh() -> bool:
    entry = _entry()
    return entry is None or time.time() - float(entry.get("fetched_at", 0)) > STALE_AFTER


def verification_key(kid: str) -> PyJWK:
    """The public key LINE names ``kid``; raise UnknownKey, or KeysUnavailable if LINE cannot be asked."""
    jwk_set = _cached_set()
    key = _find(jwk_set, kid)
    if key is not None:
        return key
    return _refetch_for(kid)


# --- the cached set -------------------------------------------------------------------------------

_parsed: tuple[tuple[str, float], PyJWKSet | None] | None = None  # this process's parse of the entry
_refetch_lock = threading.Lock()


def _entry() -> dict[str, Any] | None:
    entry = cache.get(CACHE_KEY)
    # A set fetched from another address (LIFF_JWKS_URL changed) is not LINE's set any more.
    if not isinstance(entry, dict) or entry.get("url") != jwks_url():
        return None
    return entry


def _cached_set() -> PyJWKSet | None:
    global _parsed
    entry = _entry()
    if entry is None:
        return None
    version = (str(entry["url"]), float(entry.get("fetched_at", 0)))
    parsed = _parsed
    if parsed is None or parsed[0] != version:
        try:
            jwk_set: PyJWKSet | None = PyJWKSet.from_dict(entry)
        except PyJWKSetError:
            jwk_set = None
        parsed = _parsed = (version, jwk_set)
    return parsed[1]


def _usable(key: PyJWK) -> bool:
    return key.algorithm_name == ALGORITHM and key.public_key_use in (None, "sig")


def _find(jwk_set: PyJWKSet | None, kid: str) -> PyJWK | None:
    if jwk_set is None:
        return None
    return next((key for key in jwk_set if key.key_id == kid and _usable(key)), None)


def _kids(entry: dict[str, Any]) -> list[str]:
    return [str(key.get("kid")) for key in entry.get("keys", []) if isinstance(key, dict)]


def reset() -> None:
    """Forget the cached set and the once-a-minute limit (tests: each emulator has keys of its own)."""
    global _parsed
    cache.delete_many([CACHE_KEY, REFETCH_KEY])
    _parsed = None


# --- fetching again for an unknown kid -------------------------------------------------------------


def _refetch_for(kid: str) -> PyJWK:
    # One thread per process asks at a time; the others wait and find the key it fetched.
    if not _refetch_lock.acquire(timeout=3 * FETCH_TIMEOUT):
        raise KeysUnavailable("another request's fetch of LINE's keys did not end in time")
    try:
        jwk_set = _cached_set()
        key = _find(jwk_set, kid)
        if key is not None:
            return key
        started = time.time()
        # One fetch a minute across processes (an atomic add, with Redis too): forged tokens naming
        # random kids cannot make us hammer LINE.
        if not cache.add(REFETCH_KEY, {"started": started, "done": False}, timeout=REFETCH_INTERVAL):
            return _after_recent_fetch(kid)
        try:
            entry = jwks_refresh()
        finally:
            remaining = REFETCH_INTERVAL - (time.time() - started)
            if remaining > 0:
                cache.set(REFETCH_KEY, {"started": started, "done": True}, timeout=remaining)
        key = _find(_cached_set(), kid)
        if key is None:
            raise UnknownKey(f"LINE's keys ({', '.join(_kids(entry))}) do not include {kid}")
        return key
    finally:
        _refetch_lock.release()


def _after_recent_fetch(kid: str) -> PyJWK:
    """A fetch was made (or is being made, maybe by another process) within the minute: use its result."""
    deadline = time.time() + 2 * FETCH_TIMEOUT + 0.5
    flag = cache.get(REFETCH_KEY)
    while isinstance(flag, dict) and not flag.get("done") and time.time() < deadline:
        time.sleep(0.05)
        key = _find(_cached_set(), kid)
        if key is not None:
            return key
        flag = cache.get(REFETCH_KEY)
    jwk_set = _cached_set()
    key = _find(jwk_set, kid)
    if key is not None:
        return key
    if jwk_set is None:
        raise KeysUnavailable("LINE's keys are not known yet, and were asked for less than a minute ago")
    raise UnknownKey(f"{kid} is not among LINE's keys, fetched less than a minute ago")


# --- the web process's refresher --------------------------------------------------------------------

_refresher: threading.Thread | None = None
_refresher_lock = threading.Lock()
_refresher_stop = threading.Event()


def jwks_refresher_start() -> bool:
    """Start, once per process, the thread that fills the cache at start-up and keeps it fresh.

    Called when the web application loads (``civicline.wsgi``), so that the first residents' sign-ins
    find the keys there. False when this process verifies no tokens locally.
    """
    global _refresher
    if settings.LIFF_TOKEN_VERIFICATION != "local" or not settings.LIFF_CHANNEL_ID:
        return False
    with _refresher_lock:
        if _refresher is not None and _refresher.is_alive():
            return False
        _refresher_stop.clear()
        _refresher = threading.Thread(target=_refresher_loop, name="line-jwks-refresher", daemon=True)
        _refresher.start()
    return True


def jwks_refresher_stop(timeout: float = 5) -> None:
    """End the refresher thread (tests; the process's exit ends it anyway)."""
    global _refresher
    with _refresher_lock:
        thread, _refresher = _refresher, None
        _refresher_stop.set()
    if thread is not None:
        thread.join(timeout)


def _refresher_loop() -> None:
    failures = 0
    while not _refresher_stop.is_set():
        pause = REFRESHER_CHECK
        try:
            if jwks_needs_refresh():
                jwks_refresh()
            failures = 0
        except KeysUnavailable as exc:
            failures += 1
            first, longest = REFRESHER_RETRY
            pause = min(first * 2 ** (failures - 1), longest)
            log = logger.warning if failures == 1 or failures % 10 == 0 else logger.info
            log("LINE's ID token keys unavailable (attempt %d, next in %ds): %s", failures, pause, exc)
        except Exception:  # the thread must outlive any surprise; the next look may succeed
            logger.exception("refreshing LINE's ID token keys failed")
        _refresher_stop.wait(pause)
