"""Fuzz the desk's endpoints with the roles that reach their handlers (the service-wide fuzz
test uses an admin key, which the desk refuses): no input yields a server error."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from bastion import audit
from bastion.legal import signing
from bastion.store import Store
from tests.service_support import start_service


def test_no_input_to_the_desk_causes_a_server_error(tmp_path) -> None:
    key = tmp_path / "signing.pem"
    signing.generate(key)
    service = start_service(
        f"sqlite:///{tmp_path / 'fuzz.db'}",
        tmp_path,
        extra_env={"BASTION_LEGAL_SIGNING_KEY": str(key)},
    )
    try:
        role_for = {"/v1/legal": "legal", "/v1/accounts": "platform"}
        headers = {
            prefix: {"Authorization": service.client(role, f"fuzz-{role}").headers["Authorization"]}
            for prefix, role in role_for.items()
        }
        schema = schemathesis.openapi.from_url(service.url + "/openapi.json")
        operations = [
            op.ok()
            for op in schema.get_all_operations()
            if op.ok().path.startswith(tuple(role_for))
        ]
        assert len(operations) >= 14
        failures: list[str] = []

        def auth_for(path: str) -> dict[str, str]:
            return headers[next(p for p in role_for if path.startswith(p))]

        for operation in operations:

            @given(operation.as_strategy())
            @settings(
                max_examples=10,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
                derandomize=True,
            )
            def run(case) -> None:
                case.call_and_validate(
                    base_url=service.url, headers=auth_for(case.path), checks=[not_a_server_error]
                )

            try:
                run()
            except Exception as exc:
                failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
        assert failures == []
        store = Store.open(service.database_url)
        reached = {r.action for r in audit.tail(store, 5000)}
        store.close()
        assert "legal.list" in reached  # the legal key reached the handlers
    finally:
        service.stop()
