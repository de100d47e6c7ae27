"""The one base class of a user's mistakes, printed as one paragraph without a traceback
(docs/architecture.md#errors)."""

from __future__ import annotations


class UserInputError(ValueError):
    """Input the user must fix (a raw file, a parameter); the message says how."""
