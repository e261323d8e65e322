"""Typed errors of bastion.guidelines. Each message names the input (file and field, or the
fact) and says what to do."""

from __future__ import annotations


class GuidelineDataError(ValueError):
    """A guideline data file that does not follow the schema (see docs/guidelines.md)."""

    def __init__(self, file: str, field: str, problem: str) -> None:
        self.file = file
        self.field = field
        self.problem = problem
        super().__init__(
            f"{file}: {field}: {problem} (fix the data file; its schema is in docs/guidelines.md)"
        )


class FactsError(ValueError):
    """Case facts that cannot be assessed: the message names the field and the fix."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"case facts: {field}: {problem}")


class UnknownFramework(LookupError):
    """A framework id that Bastion does not ship."""

    def __init__(self, framework_id: str, known: tuple[str, ...]) -> None:
        self.framework_id = framework_id
        super().__init__(
            f"no guideline framework {framework_id!r}; known frameworks: {', '.join(known)}"
        )
