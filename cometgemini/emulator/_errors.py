"""Error envelopes: Google's (``{"error":{code,message,status}}``) and CometAPI's (401 on a bad key)."""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "STATUS_NAMES",
    "ApiError",
    "comet_auth_body",
    "google_auth_error",
    "google_error",
    "not_found_message",
    "pretty",
]

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


class ApiError(Exception):
    """An error answered in Google's envelope with HTTP status ``code``."""

    def __init__(self, code: int, message: str, status: str | None = None,
                 details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_NAMES.get(code, "UNKNOWN")
        self.details = details

    def body(self) -> dict[str, Any]:
        return google_error(self.code, self.message, self.status, self.details)


def google_error(code: int, message: str, status: str | None = None,
                 details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message,
                             "status": status or STATUS_NAMES.get(code, "UNKNOWN")}
    if details:
        error["details"] = details
    return {"error": error}


def comet_auth_body(request_id: str) -> dict[str, Any]:
    return {"error": {"message": f"invalid token (request id: {request_id})", "type": "comet_api_error",
                      "param": "", "code": ""}}


def google_auth_error(has_key: bool) -> ApiError:
    """What Google answers a bad key (400 API_KEY_INVALID) or no key at all (403), as recorded."""
    if not has_key:
        return ApiError(403, "Method doesn't allow unregistered callers (callers without established identity). "
                             "Please use API Key or other form of API consumer identity to call this API.")
    message = "API key not valid. Please pass a valid API key."
    details: list[dict[str, Any]] = [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
         "metadata": {"service": "generativelanguage.googleapis.com"}},
        {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": message},
    ]
    return ApiError(400, message, details=details)


def not_found_message(model: str, method: str) -> str:
    # Recorded wording: generateContent names ``ModelService.ListModels``, the other methods ``ListModels``.
    lister = "ModelService.ListModels" if method == "generateContent" else "ListModels"
    return (f"models/{model} is not found for API version v1beta, or is not supported for {method}. "
            f"Call {lister} to see the list of available models and their supported methods.")


_ENCODE_STR: Any = getattr(json.encoder, "c_encode_basestring", None) or json.encoder.py_encode_basestring
_SCALARS: dict[Any, str] = {True: "true", False: "false", None: "null"}


def _pretty(obj: Any, pad: str, out: list[str]) -> None:
    # json.dumps(indent=2) falls back to the pure-Python encoder; this is about 3x faster.
    if isinstance(obj, str):
        out.append(_ENCODE_STR(obj))
    elif isinstance(obj, dict):
        if not obj:
            out.append("{}")
            return
        inner = pad + "  "
        sep = "{" + inner
        for key, value in obj.items():
            out.append(sep + _ENCODE_STR(key) + ": ")
            _pretty(value, inner, out)
            sep = "," + inner
        out.append(pad + "}")
    elif isinstance(obj, list):
        if not obj:
            out.append("[]")
            return
        inner = pad + "  "
        sep = "[" + inner
        for value in obj:
            out.append(sep)
            _pretty(value, inner, out)
            sep = "," + inner
        out.append(pad + "]")
    elif obj is True or obj is False or obj is None:
        out.append(_SCALARS[obj])
    else:
        out.append(repr(obj) if isinstance(obj, float) else str(int(obj)))


def pretty(obj: Any) -> bytes:
    """Google's layout of a JSON body: 2-space indentation, UTF-8 (same bytes as ``json.dumps(indent=2)``)."""
    out: list[str] = []
    _pretty(obj, "\n", out)
    return "".join(out).encode()
