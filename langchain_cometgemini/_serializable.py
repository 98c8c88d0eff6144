"""What ``ChatCometGemini`` and ``CometGeminiEmbeddings`` share as LangChain ``Serializable`` objects."""

from __future__ import annotations

from typing import Any

__all__ = ["KeyedSerializable"]


class KeyedSerializable:
    """Serializable through ``dumps``/``loads`` with the key kept out as the secret ``COMETAPI_KEY``, and
    picklable without the httpx clients it was handed or the connection pool it opened: a copy starts those
    afresh. ``_fresh_private`` names the private state a copy starts over with. Mix in before the LangChain
    base class."""

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": "COMETAPI_KEY"}

    def _fresh_private(self) -> dict[str, Any]:
        return {"_client": None}

    def __getstate__(self) -> dict[Any, Any]:
        state: dict[Any, Any] = super().__getstate__()  # type: ignore[misc]
        state["__dict__"] = {**state["__dict__"], "http_client": None, "http_async_client": None}
        state["__pydantic_private__"] = {**(state.get("__pydantic_private__") or {}), **self._fresh_private()}
        return state
