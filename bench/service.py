"""Benchmark: the platform API under load, against Meta HMA 2.x's figures on this kind of machine.

Setup (as HMA was measured): 2 API worker processes, PostgreSQL, a bank of 1,000,000 PDQ
hashes. Load comes from wrk (Debian package `wrk`), a separate process on 127.0.0.1:
- POST /v1/lookup with one PDQ hash per request (1% of them listed), concurrency 1, 8, 32;
- POST /v1/media with a 1024x768 JPEG (200 benign pictures, a unique message id per request),
  concurrency 8, twice: "media" makes the bytes of every upload new (a unique trailer after the
  JPEG's end marker, which decoders ignore), so every upload is decoded, hashed, matched and
  recorded, as HMA does; "fwd" sends the 200 pictures again and again, as forwarded media
  arrives, and is answered from the content cache without decoding.
Each run lasts --seconds (30 by default). Reported: requests/s, p50, p99, errors, and the
server's memory (RSS of every API process).

HMA 2.x reference, measured on this kind of machine (2 gunicorn workers, PostgreSQL, 1,000,000
PDQ hashes, wrk on 127.0.0.1): lookups about 87 requests/s with p99 550 ms at concurrency 32;
JPEG uploads about 28 requests/s with p99 350 ms at concurrency 8.

    apt-get install wrk
    python bench/service.py [--database-url postgresql://postgres@127.0.0.1/bastion_bench] [--seconds 30]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.corpus import OUT

HMA = {"lookup": (87.0, 550.0), "media": (28.0, 350.0)}
BANK = "bench-1m"
ENTRIES = 1_000_000

LOOKUP_LUA = """
local hashes = {}
for line in io.lines("%(hashes)s") do hashes[#hashes + 1] = line end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(key)s"
request = function()
  local h = hashes[math.random(#hashes)]
  return wrk.format(nil, "/v1/lookup", nil, '{"items":[{"signals":{"pdq":"' .. h .. '"}}]}')
end
"""

MEDIA_LUA = """
local files = {}
for i = 1, %(n)d do
  local f = io.open(string.format("%(folder)s/%%05d.jpg", i - 1), "rb")
  files[i] = f:read("*all")
  f:close()
end
local counter = 0
local boundary = "bastionbenchboundary"
wrk.method = "POST"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.headers["Authorization"] = "Bearer %(key)s"
-- message ids unique to this run (its nonce, from wrk's command line) and thread: a repeated id
-- would be answered as a retry (idempotency) instead of being hashed and recorded
init = function(args) id = args[1] .. "-" .. tostring({}):sub(10) end
request = function()
  counter = counter + 1
  local body = "--" .. boundary .. "\\r\\n" ..
    'Content-Disposition: form-data; name="context"\\r\\n\\r\\n' ..
    '{"platform":"bench","message_id":"' .. id .. "-" .. counter .. '","chat_type":"public_channel","member_count":5000}\\r\\n' ..
    "--" .. boundary .. "\\r\\n" ..
    'Content-Disposition: form-data; name="file"; filename="p.jpg"\\r\\nContent-Type: image/jpeg\\r\\n\\r\\n' ..
    files[(counter %% #files) + 1] .. %(trailer)s .. "\\r\\n--" .. boundary .. "--\\r\\n"
  return wrk.format(nil, "/v1/media", nil, body)
end
"""

DONE_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
"""


def ensure_bank(url: str) -> list[str]:
    """The 1M-hash bank (built once per database) and 10,000 query hashes, 1% of them listed."""
    from bastion.banks.formats.base import Row
    from bastion.store import Store
    from bastion.store.banks import BankStore

    rng = random.Random(11)
    store = Store.open(url)
    banks = BankStore(store)
    listed = [f"{rng.getrandbits(256):064x}" for _ in range(100)]
    if not banks.exists(BANK) or banks.get(BANK).live_entries < ENTRIES:
        print(
            f"importing {ENTRIES:,} PDQ hashes into bank {BANK} (once per database) ...", flush=True
        )
        if not banks.exists(BANK):
            banks.create(BANK, "iwf")
        filler = random.Random(12)
        rows = (
            Row(i + 1, "pdq", listed[i] if i < 100 else f"{filler.getrandbits(256):064x}", "A")
            for i in range(ENTRIES)
        )
        banks.import_items(BANK, rows)
    store.close()
    return listed + [f"{rng.getrandbits(256):064x}" for _ in range(9_900)]


def rss_mb(pid: int) -> float:
    """RSS of a process and its children (uvicorn's workers), in MB."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def wrk(script: Path, url: str, connections: int, seconds: int) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(min(connections, 2)),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--latency",
            "-s",
            str(script),
            url,
            "--",
            uuid.uuid4().hex[:12],
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    requests, duration_us, p50, p99, errors, status_errors = map(int, match.groups())
    return {
        "rps": requests / (duration_us / 1e6),
        "p50": p50 / 1000,
        "p99": p99 / 1000,
        "errors": errors + status_errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BASTION_BENCH_DATABASE_URL",
            "postgresql+psycopg://postgres@127.0.0.1:5432/bastion_bench",
        ),
    )
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if subprocess.run(["which", "wrk"], capture_output=True).returncode != 0:
        sys.exit("wrk is needed: apt-get install wrk")
    if args.database_url.startswith("postgresql"):
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = make_url(args.database_url).database
        admin = create_engine(
            make_url(args.database_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as c:
            if not c.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar():
                c.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    queries = ensure_bank(args.database_url)

    from bastion import keys
    from bastion.store import Store
    from bench.corpus import jpeg_corpus

    store = Store.open(args.database_url)
    _, secret = keys.create_key(store, "platform", "bench", "bench")
    store.close()
    pictures = jpeg_corpus("hashing-1024x768", 200, (1024, 768), seed0=0)
    work = Path(tempfile.mkdtemp(prefix="bastion-bench-"))
    (work / "hashes.txt").write_text("\n".join(queries) + "\n")
    (work / "lookup.lua").write_text(
        LOOKUP_LUA % {"hashes": work / "hashes.txt", "key": secret} + DONE_LUA
    )
    for name, trailer in (("media", '"\\n" .. id .. "-" .. counter'), ("fwd", '""')):
        (work / f"{name}.lua").write_text(
            MEDIA_LUA
            % {"n": len(pictures), "folder": pictures[0].parent, "key": secret, "trailer": trailer}
            + DONE_LUA
        )

    port = 8799
    with socket.socket() as probe:  # another server there would answer in place of this one
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            sys.exit(f"port {port} on 127.0.0.1 is taken: stop what listens there first")
    env = {
        **os.environ,
        "BASTION_DATABASE_URL": args.database_url,
        "BASTION_HOME": str(OUT / "service-home"),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bastion",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        started = time.monotonic()
        while True:
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() - started > 600 or server.poll() is not None:
                sys.exit("the service did not start")
            time.sleep(0.5)
        print(f"service ready in {time.monotonic() - started:.1f} s (index of {ENTRIES:,} hashes)")
        # warm up: numba kernels compile in every worker, connection pools fill, and each
        # worker sees the 200 pictures once (what "fwd" measures is answers from its cache)
        wrk(work / "lookup.lua", url, 8, 3)
        wrk(work / "fwd.lua", url, 8, 10)
        rows = []
        for connections in (1, 8, 32):
            rows.append(
                (
                    "lookup",
                    connections,
                    wrk(work / "lookup.lua", url, connections, args.seconds),
                    rss_mb(server.pid),
                )
            )
        for call in ("media", "fwd"):
            rows.append(
                (call, 8, wrk(work / f"{call}.lua", url, 8, args.seconds), rss_mb(server.pid))
            )
    finally:
        server.terminate()
        server.wait(30)
    print()
    print(
        f"{'call':<8}{'conc':>5}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'RSS MB':>9}{'HMA req/s':>11}{'ratio':>8}"
    )
    for call, connections, r, rss in rows:
        hma = HMA[call][0] if (call, connections) in (("lookup", 32), ("media", 8)) else None
        ratio = f"{r['rps'] / hma:.1f}x" if hma else ""
        print(
            f"{call:<8}{connections:>5}{r['rps']:>9.1f}{r['p50']:>9.1f}{r['p99']:>9.1f}{r['errors']:>8}{rss:>9.0f}{hma or '':>11}{ratio:>8}"
        )
    lookup = next(r for c, n, r, _ in rows if c == "lookup" and n == 32)
    media = next(r for c, n, r, _ in rows if c == "media")
    forwarded = next(r for c, n, r, _ in rows if c == "fwd")
    print()
    print(
        f"RESULT lookups c=32: {lookup['rps']:.0f} req/s = {lookup['rps'] / HMA['lookup'][0]:.1f}x HMA (target >= 20x), "
        f"p99 {lookup['p99']:.1f} ms (target < 20 ms); uploads c=8: {media['rps']:.0f} req/s = "
        f"{media['rps'] / HMA['media'][0]:.1f}x HMA (target >= 4x), p99 {media['p99']:.0f} ms; "
        f"forwarded (cached) uploads c=8: {forwarded['rps']:.0f} req/s, p99 {forwarded['p99']:.0f} ms"
    )
    print(
        "HMA 2.x reference: lookups 87 req/s p99 550 ms (c=32); uploads 28 req/s p99 350 ms (c=8)"
    )
    json.dumps(rows)


if __name__ == "__main__":
    main()
