"""Named errors and warnings of the framework.

Every error says what is wrong, where (file, row, column) and what to do, so
that the command line can print it as it is, without a traceback.
"""

from __future__ import annotations


class OutcomesError(Exception):
    """Base class: an error the command line reports as a message and an exit code."""

    exit_code = 2


class StructuralError(OutcomesError):
    """An input cannot be read as a table at all: missing, unreadable, empty, wrong shape.

    Exit code 2. Nothing is validated row by row until every table can be read.
    """

    exit_code = 2

    def __init__(self, file: str, problem: str, fix: str) -> None:
        self.problems = [f"{file}: {problem}. {fix}"]
        super().__init__(self.problems[0])

    @classmethod
    def many(cls, problems: list[str]) -> StructuralError:
        """One error listing several structural problems, so all can be fixed in one go."""
        error = cls.__new__(cls)
        error.problems = list(problems)
        Exception.__init__(
            error,
            "\n".join(problems)
            if len(problems) == 1
            else f"{len(problems)} structural problems:\n" + "\n".join(f"  - {p}" for p in problems),
        )
        return error


class DataContractError(OutcomesError):
    """Rows broke the data contract and a step that needs clean data cannot go on."""

    exit_code = 1


class ConfigurationError(OutcomesError):
    """A configuration value or environment variable is missing or wrong."""

    exit_code = 2


class SuppressionWarning(UserWarning):
    """A published figure was suppressed for disclosure control."""
