"""Sharding the PDQ index across processes or machines, with exact answers.

A radius search cannot be routed by the query's bits (a neighbour may differ anywhere), so
entries are *placed* on shards by their id (or by bank: any deterministic placement works) and
every query fans out to all shards at once; each shard answers exactly for its entries, and the
merge concatenates and sorts (query, distance, id), which is the unsharded answer exactly.

A shard is anything with `search(codes, radius) -> Hits`: a `MihPdqIndex` in this process, or a
`RemoteShard` speaking to a `ShardServer` in another process or machine over HTTP (numpy arrays
as raw bytes; no per-hit JSON). Fan-out runs on threads: local shards search in parallel (their
kernels release the GIL), remote ones overlap their round trips.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import numpy as np

from bastion.index.base import PDQ_BYTES, Hits


class Shard(Protocol):
    def search(self, queries: np.ndarray, radius: int) -> Hits: ...


def by_id(ids: np.ndarray, shards: int) -> np.ndarray:
    """Default placement: a multiplicative hash of the entry id, spread evenly."""
    mixed = (np.asarray(ids, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)
    return (mixed % np.uint64(shards)).astype(np.int64)


class ShardedPdqIndex:
    """Routes adds and removes to the owning shard; fans searches out to all; merges exactly."""

    def __init__(
        self, shards: Sequence, place: Callable[[np.ndarray, int], np.ndarray] = by_id
    ) -> None:
        if not shards:
            raise ValueError("a sharded index needs at least one shard")
        self.shards = list(shards)
        self.place = place
        self._pool = ThreadPoolExecutor(max_workers=len(self.shards), thread_name_prefix="shard")

    def __len__(self) -> int:
        return sum(len(s) for s in self.shards)

    def _split(self, ids: np.ndarray) -> list[np.ndarray]:
        owner = self.place(ids, len(self.shards))
        return [np.nonzero(owner == k)[0] for k in range(len(self.shards))]

    def add(self, ids: np.ndarray, codes: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        codes = np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, PDQ_BYTES)
        for shard, rows in zip(self.shards, self._split(ids), strict=True):
            if rows.size:
                shard.add(ids[rows], codes[rows])

    def remove(self, ids: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        for shard, rows in zip(self.shards, self._split(ids), strict=True):
            if rows.size:
                shard.remove(ids[rows])

    def contains(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        found = np.zeros(ids.shape[0], dtype=bool)
        for shard, rows in zip(self.shards, self._split(ids), strict=True):
            if rows.size:
                found[rows] = shard.contains(ids[rows])
        return found

    def search(self, queries: np.ndarray, radius: int) -> Hits:
        answers = list(self._pool.map(lambda shard: shard.search(queries, radius), self.shards))
        if not any(len(a) for a in answers):
            return Hits.empty()
        return Hits.sorted_from(
            np.concatenate([a.query for a in answers]),
            np.concatenate([a.ids for a in answers]),
            np.concatenate([a.distance for a in answers]),
        )

    def save(self, path) -> None:
        raise NotImplementedError("save each shard where it lives")

    def close(self) -> None:
        self._pool.shutdown(wait=False)


def _to_bytes(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _from_bytes(data: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as found:
        return {k: found[k] for k in found.files}


class RemoteShard:
    """A shard served by `ShardServer` in another process or on another machine."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        import httpx

        self.url = url.rstrip("/")
        self._client = httpx.Client(timeout=timeout)

    def _post(self, path: str, **arrays: np.ndarray) -> dict[str, np.ndarray]:
        response = self._client.post(
            self.url + path,
            content=_to_bytes(**arrays),
            headers={"Content-Type": "application/x-npz"},
        )
        response.raise_for_status()
        return _from_bytes(response.content)

    def search(self, queries: np.ndarray, radius: int) -> Hits:
        out = self._post(
            "/search",
            queries=np.ascontiguousarray(queries, dtype=np.uint8),
            radius=np.array([radius]),
        )
        return Hits(out["query"], out["ids"], out["distance"])

    def add(self, ids: np.ndarray, codes: np.ndarray) -> None:
        self._post(
            "/add",
            ids=np.asarray(ids, dtype=np.int64),
            codes=np.ascontiguousarray(codes, dtype=np.uint8),
        )

    def remove(self, ids: np.ndarray) -> None:
        self._post("/remove", ids=np.asarray(ids, dtype=np.int64))

    def contains(self, ids: np.ndarray) -> np.ndarray:
        return self._post("/contains", ids=np.asarray(ids, dtype=np.int64))["found"]

    def __len__(self) -> int:
        return int(self._post("/size")["size"][0])


class ShardServer:
    """Serve one index over HTTP on 127.0.0.1 (or an internal address): POST /search, /add,
    /remove, /contains, /size with numpy .npz bodies."""

    def __init__(self, index, host: str = "127.0.0.1", port: int = 0) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        served = index

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = (
                    _from_bytes(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                    if self.headers.get("Content-Length") != "0"
                    else {}
                )
                try:
                    if self.path == "/search":
                        hits = served.search(body["queries"], int(body["radius"][0]))
                        out = {"query": hits.query, "ids": hits.ids, "distance": hits.distance}
                    elif self.path == "/add":
                        served.add(body["ids"], body["codes"])
                        out = {}
                    elif self.path == "/remove":
                        served.remove(body["ids"])
                        out = {}
                    elif self.path == "/contains":
                        out = {"found": served.contains(body["ids"])}
                    elif self.path == "/size":
                        out = {"size": np.array([len(served)])}
                    else:
                        self.send_error(404)
                        return
                except (KeyError, ValueError) as exc:
                    self.send_error(400, str(exc)[:200])
                    return
                payload = _to_bytes(**out)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-npz")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> ShardServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
