"""One API process's live state: the store, the matcher kept fresh, caches, jobs, metrics."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool

from bastion import keys
from bastion.hashing import MediaHashes
from bastion.index_snapshots import open_matcher
from bastion.keys import ApiKey
from bastion.matching import MatchResult, Query
from bastion.media import Limits
from bastion.service.auth import KeyCache
from bastion.service.jobs import JobRunner
from bastion.service.metrics import Metrics
from bastion.service.settings import Settings
from bastion.store import Store
from bastion.vault import Vault

log = logging.getLogger("bastion.service")


class ContentCache:
    """Hashes by content SHA-256: forwarded media (the norm on Telegram) is not decoded again."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, MediaHashes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sha256: str) -> MediaHashes | None:
        with self._lock:
            item = self._items.get(sha256)
            if item is not None:
                self._items.move_to_end(sha256)
            return item

    def put(self, sha256: str, hashes: MediaHashes) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[sha256] = hashes
            self._items.move_to_end(sha256)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = Store.open(settings.database_url)
        self.policy = settings.policy()
        self.disclosure_policy = settings.disclosure_policy()
        self.limits = Limits(
            max_file_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels
        )
        self.metrics = Metrics()
        self.key_cache = KeyCache(settings.key_cache_seconds)
        self.content_cache = ContentCache(settings.content_cache_size)
        self.jobs = JobRunner(self.store)
        self.vault = Vault.from_environment(self.store)
        self._matcher_lock = threading.RLock()
        self.matcher = open_matcher(self.store)
        self.last_refresh = time.monotonic()
        self.refresh_error: str | None = None
        self._key_touched: dict[int, float] = {}
        self._refresher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # background key re-reads
        self._reading: dict[str, asyncio.Future[ApiKey | None]] = {}  # key reads in flight
        self.metrics.index_entries.set(self.matcher.pdq_entries)

    # -- matching ----------------------------------------------------------------------------

    def match(self, queries: Sequence[Query]) -> list[MatchResult]:
        # No lock: the index serves searches while a refresh applies changes.
        return self.matcher.match_many(queries)

    def refresh(self) -> int:
        try:
            with self._matcher_lock:
                applied = self.matcher.refresh()
        except Exception as exc:  # keep serving the last good index; /readyz reports it
            self.refresh_error = f"{type(exc).__name__}: {exc}"
            log.warning("index refresh failed: %s", self.refresh_error)
            return 0
        self.refresh_error = None
        self.last_refresh = time.monotonic()
        self.metrics.index_entries.set(self.matcher.pdq_entries)
        return applied

    def index_age(self) -> float:
        return time.monotonic() - self.last_refresh

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.index_refresh_seconds)
            await run_in_threadpool(self.refresh)

    def start(self) -> None:
        self.jobs.recover()
        self._refresher = asyncio.get_running_loop().create_task(self._refresh_loop())

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
        for task in list(self._tasks):
            task.cancel()
        self.store.close()

    # -- keys --------------------------------------------------------------------------------

    def cached_key(self, secret: str) -> tuple[bool, ApiKey | None]:
        """(cached, key) from this process's key cache, without waiting on the store; starts
        the background re-read of a key in use once its entry is half-way to expiry."""
        cached, key, refresh = self.key_cache.get(secret)
        if refresh:
            task = asyncio.get_running_loop().create_task(self._refresh_key(secret))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return cached, key

    async def key_for(self, secret: str) -> ApiKey | None:
        """The key for `secret` (None: unknown), from the cache or else read in the thread pool:
        once, however many requests bring the same uncached key at the same moment (at start,
        or after a pause longer than the cache's lifetime)."""
        cached, key = self.cached_key(secret)
        if cached:
            return key
        reading = self._reading.get(secret)
        if reading is None:
            reading = asyncio.ensure_future(run_in_threadpool(self._read_key, secret))
            self._reading[secret] = reading
            reading.add_done_callback(lambda _: self._reading.pop(secret, None))
        # shielded: a request that goes away does not cancel the others' read
        return await asyncio.shield(reading)

    def _read_key(self, secret: str) -> ApiKey | None:
        key = keys.find_key(self.store, secret)
        self.key_cache.put(secret, key)
        if key is not None:
            self.note_key_use(key)
        return key

    async def _refresh_key(self, secret: str) -> None:
        try:
            await run_in_threadpool(self._read_key, secret)
        except Exception as exc:  # requests go on with the cached key until it expires
            self.key_cache.refresh_failed(secret)
            # the exception's text may quote the statement's parameters (the key's hash)
            log.warning(
                "API key re-read failed (%s); the cached key serves until it expires",
                type(exc).__name__,
            )

    def note_key_use(self, key: ApiKey) -> None:
        """Record last use at most once a minute per key (not a write per request)."""
        now = time.monotonic()
        if now - self._key_touched.get(key.id, -1e9) > 60:
            self._key_touched[key.id] = now
            keys.touch(self.store, key.id)
