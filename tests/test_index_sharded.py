"""Sharded PDQ search equals unsharded search, in-process and across an HTTP shard."""

from __future__ import annotations

import numpy as np
import pytest

from bastion.index import LinearPdqIndex, MihPdqIndex, pdq_codes
from bastion.index.sharded import RemoteShard, ShardedPdqIndex, ShardServer, by_id


def data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return np.arange(1, n + 1, dtype=np.int64), rng.integers(0, 256, size=(n, 32), dtype=np.uint8)


def near(codes: np.ndarray, bits: list[int], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = codes.copy()
    for row, b in zip(out, bits, strict=True):
        for bit in rng.choice(256, size=b, replace=False):
            row[bit // 8] ^= 1 << (bit % 8)
    return out


@pytest.mark.parametrize("radius", [31, 63])
def test_sharded_results_equal_unsharded(radius: int) -> None:
    ids, codes = data(20_000, 1)
    whole = LinearPdqIndex()
    whole.add(ids, codes)
    sharded = ShardedPdqIndex([MihPdqIndex() for _ in range(3)])
    sharded.add(ids, codes)
    assert len(sharded) == len(whole)
    pick = np.random.default_rng(2).choice(len(ids), 300, replace=False)
    queries = near(
        codes[pick], [int(b) for b in np.random.default_rng(3).integers(0, radius + 4, 300)], 4
    )
    assert sharded.search(queries, radius).as_tuples() == whole.search(queries, radius).as_tuples()


def test_placement_spreads_and_removal_reaches_the_owner() -> None:
    ids, codes = data(9_000, 5)
    owners = np.bincount(by_id(ids, 3), minlength=3)
    assert owners.min() > 2_500
    sharded = ShardedPdqIndex([MihPdqIndex() for _ in range(3)])
    sharded.add(ids, codes)
    sharded.remove(ids[:100])
    assert not sharded.contains(ids[:100]).any() and sharded.contains(ids[100:200]).all()
    assert len(sharded.search(codes[:100], 0)) == 0


def test_a_remote_shard_over_http_answers_like_a_local_one() -> None:
    ids, codes = data(5_000, 7)
    servers = [ShardServer(MihPdqIndex()).start() for _ in range(2)]
    try:
        remote = ShardedPdqIndex([RemoteShard(s.url) for s in servers])
        remote.add(ids, codes)
        local = LinearPdqIndex()
        local.add(ids, codes)
        queries = near(codes[:200], [5, 20, 31, 40] * 50, 8)
        assert remote.search(queries, 31).as_tuples() == local.search(queries, 31).as_tuples()
        assert len(remote) == 5_000
        queries_hex = pdq_codes([bytes(codes[0]).hex()])
        assert remote.search(queries_hex, 0).ids.tolist() == [1]
    finally:
        for s in servers:
            s.stop()
