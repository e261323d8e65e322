"""Scans on a Dask cluster: the same results as a local scan, and a worker killed mid-run
loses nothing."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from bastion.cases.summary import references, summarise
from bastion.scan.pipeline import ScanOptions, create_case, run_case, scan
from tests.scan_fixtures import many_photos_export
from tests.test_scan import list_files, photos

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as c:
        yield c


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dask") / "export"
    many_photos_export(folder, photos=120)
    return folder


def comparable(store, name: str) -> list[tuple]:
    from bastion.scan.pipeline import case_id

    return [
        (r.ref, r.state, r.sha256, r.pdq, tuple(m["entry_id"] for m in r.matches))
        for r in references(store, case_id(store, name))
    ]


def test_a_dask_scan_equals_a_local_scan(store, export, cluster) -> None:
    list_files(store, photos(export)[::9])
    scan(store, export, "local", ScanOptions(workers=2), "t")
    scan(store, export, "dask", ScanOptions(dask=cluster.scheduler_address), "t")
    assert summarise(store, "dask").accounted
    local, dask = comparable(store, "local"), comparable(store, "dask")
    assert [x[1:] for x in dask] == [x[1:] for x in local]


def test_a_worker_killed_mid_scan_loses_nothing(store, export, cluster) -> None:
    from distributed import Client

    list_files(store, photos(export)[::9])
    scan(store, export, "reference", ScanOptions(workers=1), "t")
    killed = threading.Event()
    batches = 0

    def kill_one_worker_after_two_batches() -> None:
        nonlocal batches
        batches += 1
        if batches == 2 and not killed.is_set():
            with Client(cluster.scheduler_address) as client:
                pids = client.run(os.getpid)
            os.kill(next(iter(pids.values())), signal.SIGKILL)
            killed.set()

    cid = create_case(
        store, "killed", export, ScanOptions(dask=cluster.scheduler_address, batch_files=4), "t"
    )
    run_case(
        store,
        cid,
        ScanOptions(dask=cluster.scheduler_address, batch_files=4),
        after_batch=kill_one_worker_after_two_batches,
    )
    assert killed.is_set()
    assert summarise(store, "killed").accounted
    assert [x[1:] for x in comparable(store, "killed")] == [
        x[1:] for x in comparable(store, "reference")
    ]


def test_a_bad_scheduler_address_is_a_clear_error(store, export) -> None:
    from bastion.scan.executors import DaskExecutor, ExecutorError

    with pytest.raises(ExecutorError, match="local:N"):
        DaskExecutor("local:zero")


def test_the_cli_scans_on_a_local_dask_cluster(tmp_path) -> None:
    import subprocess
    import sys

    from bastion.synthetic import photo_like_jpeg

    folder = tmp_path / "pics"
    folder.mkdir()
    for i in range(4):
        (folder / f"{i}.jpg").write_bytes(photo_like_jpeg(300 + i, 160, 120))
    env = {**os.environ, "BASTION_HOME": str(tmp_path / "home"), "COLUMNS": "150"}
    subprocess.run(
        [sys.executable, "-m", "bastion", "banks", "create", "b", "--source", "local"],
        env=env,
        check=True,
        capture_output=True,
    )
    r = subprocess.run(
        [sys.executable, "-m", "bastion", "scan", str(folder), "--case", "d", "--dask", "local:1"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert "all accounted for" in r.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "bastion", "scan", str(folder), "--case", "e", "--dask", "local:x"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "local:N" in bad.stderr and "Traceback" not in bad.stderr
