"""Where hashing batches run: a local process pool, or a Dask cluster.

Both give futures; the pipeline keeps a window of them and writes results in submission order,
so the journal is written in order whichever executor finished first. With Dask, a worker that
dies mid-batch loses nothing: the scheduler reruns its tasks elsewhere (and a result written
twice is impossible, since the pipeline writes each batch once, when its future resolves).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor
from concurrent.futures import wait as wait_local
from typing import Any, Protocol


class ExecutorError(Exception):
    pass


class Executor(Protocol):
    workers: int

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any: ...

    def wait_any(self, futures: list[Any]) -> None: ...

    def close(self) -> None: ...


def worker_context():
    """Workers start from a clean fork server with the hashing modules preloaded: quick to
    start (unlike spawn), and no database handles inherited (unlike a plain fork). A script
    that scans must therefore guard its entry point with `if __name__ == "__main__":`."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["bastion.scan.workers"])
        return context
    return multiprocessing.get_context("spawn")


class LocalExecutor:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=worker_context())

    def submit(self, fn, *args):
        return self._pool.submit(fn, *args)

    def wait_any(self, futures) -> None:
        wait_local(futures, return_when=FIRST_COMPLETED)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """`spec` is a scheduler address (tcp://host:8786) or `local:N` for a local cluster of N
    single-threaded worker processes."""

    def __init__(self, spec: str) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ExecutorError("Dask is not installed: pip install 'bastion[dask]'") from None
        self._cluster = None
        try:
            if spec.startswith("local:"):
                n = int(spec.split(":", 1)[1])
                if n < 1:
                    raise ValueError
                self._cluster = LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    host="127.0.0.1",
                )
                self.client = Client(self._cluster)
            else:
                self.client = Client(spec, timeout="20s")
        except ValueError:
            raise ExecutorError(
                f"--dask {spec!r}: use a scheduler address (tcp://host:8786) or local:N"
            ) from None
        except OSError as exc:
            raise ExecutorError(f"cannot reach the Dask scheduler at {spec}: {exc}") from None
        info = self.client.scheduler_info()
        self.workers = max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))

    def submit(self, fn, *args):
        return self.client.submit(fn, *args, pure=False)

    def wait_any(self, futures) -> None:
        from distributed import wait

        wait(futures, return_when="FIRST_COMPLETED")

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(dask: str | None, workers: int) -> Executor:
    return DaskExecutor(dask) if dask else LocalExecutor(workers)
