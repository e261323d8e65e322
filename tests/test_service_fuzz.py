"""Fuzz every operation of the published OpenAPI schema: no input yields a server error.

Schemathesis generates the requests from the live service's /openapi.json; each operation gets
its own Hypothesis run with an admin key (so requests reach the handlers, not just auth).
The examples are fixed in CI (derandomized) so a run is repeatable; set BASTION_FUZZ_RANDOM=1 to
explore new ones.
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.service_support import start_service


def test_no_input_causes_a_server_error(tmp_path) -> None:
    service = start_service(f"sqlite:///{tmp_path / 'fuzz.db'}", tmp_path)
    try:
        headers = {"Authorization": service.client("admin", "fuzzer").headers["Authorization"]}
        schema = schemathesis.openapi.from_url(service.url + "/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 17
        failures: list[str] = []
        for operation in operations:

            @given(operation.as_strategy())
            @settings(
                max_examples=20,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
                derandomize=not os.environ.get("BASTION_FUZZ_RANDOM"),
            )
            def run(case) -> None:
                case.call_and_validate(
                    base_url=service.url, headers=headers, checks=[not_a_server_error]
                )

            try:
                run()
            except Exception as exc:  # collect every operation's failure, not just the first
                failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:500]}")
        assert failures == []
    finally:
        service.stop()
