"""Benchmark: beyond one process.

1. The scan benchmark's export scanned by the local process pool and by a Dask LocalCluster of
   2 worker processes, same data, same machine: expect parity or a small loss (the overhead of
   Dask's scheduler and of shipping results), reported as it is.
2. Lookup throughput of the service with 1, 2 and 4 API processes over PostgreSQL (wrk,
   concurrency 32), as bench/service.py measures it.

    python bench/scale.py [--files 4000] [--seconds 20] [--skip-service]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.corpus import OUT
from bench.scan import generate
from bench.service import DONE_LUA, LOOKUP_LUA, ensure_bank, rss_mb, wrk


def scan_once(export: Path, name: str, dask: str | None) -> float:
    from bastion.banks.formats.base import Row
    from bastion.hashing import hash_file
    from bastion.scan.pipeline import ScanOptions, scan
    from bastion.store import Store
    from bastion.store.banks import BankStore

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BASTION_HOME"] = tmp
        store = Store.open(f"sqlite:///{tmp}/scale.db")
        banks = BankStore(store)
        banks.create("b", "iwf")
        listed = sorted((export / "chats" / "chat_1" / "photos").glob("*.jpg"))[::100]
        banks.import_items(
            "b", [Row(i + 1, "md5", hash_file(p).digests.md5, "A") for i, p in enumerate(listed)]
        )
        started = time.perf_counter()
        scan(store, export, name, ScanOptions(workers=2, dask=dask), "bench")
        return time.perf_counter() - started


def service_rps(
    url_db: str, processes: int, seconds: int, work: Path
) -> tuple[float, float, float]:
    port = 8790 + processes
    env = {**os.environ, "BASTION_DATABASE_URL": url_db, "BASTION_HOME": str(OUT / "service-home")}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bastion",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(processes),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("the service did not start")
            time.sleep(0.5)
        wrk(work / "lookup.lua", url, 8, 3)
        r = wrk(work / "lookup.lua", url, 32, seconds)
        return r["rps"], r["p99"], rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=4000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BASTION_BENCH_DATABASE_URL",
            "postgresql+psycopg://postgres@127.0.0.1:5432/bastion_bench",
        ),
    )
    parser.add_argument("--skip-service", action="store_true")
    args = parser.parse_args()

    export = OUT / f"scan-export-v2-{args.files}"
    if not (export / "result.json").is_file():
        print(f"generating {args.files:,} benign photos (cached) ...", flush=True)
        generate(export, args.files)
    local = scan_once(export, "local", None)
    dask = scan_once(export, "dask", "local:2")
    print()
    print(f"scan of {args.files:,} files      seconds   files/s")
    print(f"local process pool (2)    {local:>9.1f} {args.files / local:>9.1f}")
    print(f"Dask LocalCluster (2)     {dask:>9.1f} {args.files / dask:>9.1f}")
    print(f"RESULT Dask / local time: {dask / local:.2f} (cluster start-up included)")

    if args.skip_service:
        return
    from bastion import keys
    from bastion.store import Store

    queries = ensure_bank(args.database_url)
    store = Store.open(args.database_url)
    _, secret = keys.create_key(store, "platform", "scale-bench", "bench")
    store.close()
    work = Path(tempfile.mkdtemp(prefix="bastion-scale-"))
    (work / "hashes.txt").write_text("\n".join(queries) + "\n")
    (work / "lookup.lua").write_text(
        LOOKUP_LUA % {"hashes": work / "hashes.txt", "key": secret} + DONE_LUA
    )
    print()
    print("API processes   lookups/s (c=32)   p99 ms   RSS MB")
    for n in (1, 2, 4):
        rps, p99, rss = service_rps(args.database_url, n, args.seconds, work)
        print(f"{n:>13} {rps:>18.0f} {p99:>8.1f} {rss:>8.0f}")
    print("(2 cores: more API processes than cores share the same CPUs with wrk and PostgreSQL)")


if __name__ == "__main__":
    main()
