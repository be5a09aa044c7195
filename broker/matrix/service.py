"""The rules of the matrix and can-i-deploy: validating a query, then answering it.

`find` returns the rows plus a `DeploymentStatusSummary`; the HTTP layer only shapes them into JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from broker.matrix.query import MatrixQuery, can_i_deploy_errors
from broker.matrix.repository import MatrixRepository, names_one_version
from broker.matrix.summary import DeploymentStatusSummary, QueryResults


@dataclass
class MatrixAnswer:
    results: QueryResults
    summary: DeploymentStatusSummary


class MatrixService:
    def __init__(self, session: Session) -> None:
        self.repository = MatrixRepository(session)

    def validate_matrix_query(self, query: MatrixQuery) -> list[str]:
        """The reference's `validate_selectors` + `validate_options`, in its order and words."""
        errors: list[str] = []
        for s in query.selectors:
            if s.pacticipant_name is None:
                errors.append("Please specify the pacticipant name")
            elif s.version and s.latest:
                errors.append(
                    f"A version number and latest flag cannot both be specified for {s.pacticipant_name}"
                )
        names = [s.pacticipant_name for s in query.selectors if s.pacticipant_name]
        ignored = [s.pacticipant_name for s in query.ignore_selectors if s.pacticipant_name]
        versions = [
            (s.pacticipant_name or "", s.version or "")
            for s in [*query.selectors, *query.ignore_selectors]
            if names_one_version(s)
        ]
        self.repository.look_up([*names, *ignored], query.environment, versions)
        existing = self.repository.existing_pacticipant_names(names)
        errors += [f"Pacticipant {name} not found" for name in names if name not in existing]
        if not query.selectors:
            errors.append("Please provide 1 or more version selectors.")
        for s in query.ignore_selectors:
            if s.pacticipant_name is None:
                errors.append("Please specify the pacticipant name to ignore")
            elif s.version and s.latest:
                errors.append(
                    "A version number and latest flag cannot both be specified for "
                    f"{s.pacticipant_name} to ignore"
                )
        # mainBranch=false still counts as a destination, as in the reference.
        destinations = [d for d in (query.tag, query.environment, query.main_branch) if d is not None]
        if len(destinations) > 1:
            errors.append("Cannot specify more than one of tag, environment and mainBranch.")
        if query.latest and query.environment:
            errors.append("Cannot specify both latest=true and an environment.")
        if query.environment and not self.repository.environment_exists(query.environment):
            errors.append(f"Environment with name '{query.environment}' does not exist")
        limit = query.limit_value()
        if limit is not None and limit < 1:
            errors.append("The limit must be 1 or greater.")
        return errors

    def validate_matrix_options(self, query: MatrixQuery) -> list[str]:
        """Only the options (for URLs that name the pacticipants in the path)."""
        return [
            e
            for e in self.validate_matrix_query(
                query.model_copy(update={"selectors": [], "ignore_selectors": []})
            )
            if e != "Please provide 1 or more version selectors."
        ]

    def environment_exists(self, name: str) -> bool:
        return self.repository.environment_exists(name)

    def main_branch(self, pacticipant: str) -> str | None:
        return self.repository.main_branch(pacticipant)

    def pacticipants_exist(self, *names: str) -> bool:
        return self.repository.existing_pacticipant_names(names) == set(names)

    def validate_can_i_deploy(self, params: dict[str, Any]) -> dict[str, list[str]]:
        errors = can_i_deploy_errors(params)
        name, environment = params.get("pacticipant"), params.get("environment")
        number = params.get("version")
        names = [name] if isinstance(name, str) else []
        self.repository.look_up(
            names,
            environment if isinstance(environment, str) else None,
            [(names[0], number)] if names and isinstance(number, str) else [],
        )
        if isinstance(name, str) and name.strip() and not self.repository.existing_pacticipant_names([name]):
            errors.setdefault("pacticipant", []).append(f"pacticipant with name '{name}' does not exist")
        if (
            isinstance(environment, str)
            and environment.strip()
            and not self.repository.environment_exists(environment)
        ):
            errors.setdefault("environment", []).append(
                f"environment with name '{environment}' does not exist"
            )
        return errors

    def find(self, query: MatrixQuery) -> MatrixAnswer:
        results = self.repository.find(query)
        return MatrixAnswer(results, DeploymentStatusSummary(results))
