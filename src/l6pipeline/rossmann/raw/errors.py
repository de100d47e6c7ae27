"""The one error raised for bad raw Rossmann data, by the file reader and by the validation."""

from __future__ import annotations

from l6pipeline.core.errors import UserInputError


class RawDataError(UserInputError):
    """Raw input that must not go further: names the file, the column and offending values.

    ``problems`` holds one line per problem (the message joins them).
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]
