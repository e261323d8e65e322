"""A real Bastion API process on 127.0.0.1 for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bastion import keys
from bastion.store import Store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Service:
    url: str
    database_url: str
    home: Path
    processes: list[subprocess.Popen]

    def client(self, role: str = "admin", name: str | None = None) -> httpx.Client:
        store = Store.open(self.database_url)
        _, secret = keys.create_key(store, role, name or f"test-{role}", "tests")
        store.close()
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {secret}"}, timeout=60
        )

    def anonymous(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)

    def stop(self) -> None:
        for p in self.processes:
            p.terminate()
        for p in self.processes:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def start_service(
    database_url: str, home: Path, workers: int = 1, extra_env: dict[str, str] | None = None
) -> Service:
    port = free_port()
    env = {
        **os.environ,
        "BASTION_DATABASE_URL": database_url,
        "BASTION_HOME": str(home),
        "BASTION_INDEX_REFRESH_SECONDS": "0.2",
        "BASTION_KEY_CACHE_SECONDS": "1",
        **(extra_env or {}),
    }
    log = open(home / f"serve-{port}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "bastion", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bastion serve exited: {(home / f'serve-{port}.log').read_text()}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return Service(url, database_url, home, [process])
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(
        f"bastion serve did not become ready: {(home / f'serve-{port}.log').read_text()}"
    )
