"""Signatures computed once, for frameworks that ask for them on every call."""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["precompute_signatures"]


def precompute_signatures(cls: type, *names: str) -> None:
    """Store each method's signature on it as ``__signature__`` (PEP 362), on every layer of its decorators.

    LangChain calls ``inspect.signature(self._agenerate)`` on every call to see whether it takes
    ``run_manager``, and LlamaIndex's instrumentation binds every span's arguments through
    ``inspect.signature``: ~20-30 us a call, rebuilt each time. With ``__signature__`` set, ``inspect`` reads it.
    The signature is the function's own, so nothing it reports changes.
    """
    for name in names:
        layer: Any = cls.__dict__[name]
        signature = inspect.signature(layer)
        while layer is not None:
            layer.__signature__ = signature
            layer = getattr(layer, "__wrapped__", None)
