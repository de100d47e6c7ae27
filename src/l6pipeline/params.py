"""Turning Kedro parameter dicts into typed settings (no Kedro import here)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def known_params(params: Mapping[str, Any] | None, known: Iterable[str], what: str) -> dict:
    """``params`` as a dict, or a ``ValueError`` naming every unknown key: typos fail loudly
    instead of silently leaving a default in place."""
    params = dict(params or {})
    unknown = set(params) - set(known)
    if unknown:
        raise ValueError(f"unknown {what} parameters: {sorted(unknown)}")
    return params
