"""Several API processes over one database: a bank change reaches every process quickly."""

from __future__ import annotations

import time

import pytest

from tests.service_support import start_service


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    from bastion.store import Store
    from tests.conftest import _truncate_all

    url = request.getfixturevalue("postgres_url")
    _truncate_all(Store.open(url))
    return url


def test_a_bank_change_made_through_one_process_is_seen_by_another_within_5_seconds(
    database_url, tmp_path
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = start_service(
        database_url, tmp_path / "a", extra_env={"BASTION_INDEX_REFRESH_SECONDS": "1"}
    )
    b = start_service(
        database_url, tmp_path / "b", extra_env={"BASTION_INDEX_REFRESH_SECONDS": "1"}
    )
    try:
        admin_a, platform_b = a.client("admin"), b.client("platform")
        pdq = "a5" * 32
        lookup = {"items": [{"signals": {"pdq": pdq}}]}
        assert platform_b.post("/v1/lookup", json=lookup).json()["results"][0]["verdict"] == "allow"
        assert admin_a.post("/v1/banks", json={"name": "iwf", "source": "iwf"}).status_code == 201
        changed = time.monotonic()
        admin_a.post(
            "/v1/banks/iwf/entries",
            json={"entries": [{"signal_type": "pdq", "value": pdq, "category": "B"}]},
        )
        while True:
            verdict = platform_b.post("/v1/lookup", json=lookup).json()["results"][0]
            if verdict["matches"]:
                break
            assert time.monotonic() - changed < 5, "process B did not see the new entry within 5 s"
            time.sleep(0.05)
        assert verdict["matches"][0]["category"] == "B"
    finally:
        a.stop()
        b.stop()
