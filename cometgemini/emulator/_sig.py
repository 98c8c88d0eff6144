"""Thought signatures and call ids the emulator issues, and how it checks the ones sent back.

A signature is standard base64 of ``b"\\x12\\x2a" + HMAC-SHA256(secret, what)[:30]`` where ``what`` is the
function call (``name`` plus its args as sorted compact JSON), the text of the part it sits on, or a built-in
tool's ``toolCall`` / ``toolResponse`` (as sorted compact JSON). When an answer holds server-side steps
(``toolCall`` parts), its call and text signatures also cover the ids of those steps, in order: a turn sent
back without its steps, or with them reordered, no longer matches. A signature sent back can thus be
classified as ``valid`` (issued by us for this very part), ``foreign`` (any
other base64: a real Google signature or a tampered one) or ``placeholder``
(``skip_thought_signature_validator``). Text that is not base64 at all is an error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from typing import Any, Literal

__all__ = ["PLACEHOLDER", "call_id", "check_signature", "sign_call", "sign_step", "sign_text", "step_ids"]

PLACEHOLDER = "skip_thought_signature_validator"
_MAGIC = b"\x12\x2a"
_B64 = re.compile(r"^[A-Za-z0-9+/_-]*={0,2}$")
_ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
SignatureKind = Literal["valid", "foreign", "placeholder", "invalid"]


def _digest(secret: str, what: str) -> bytes:
    return hmac.new(secret.encode(), what.encode(), hashlib.sha256).digest()[:30]


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _call_text(name: str, args: Any) -> str:
    return "call:" + name + ":" + _compact(args or {})


def _with_steps(what: str, steps: tuple[str, ...]) -> str:
    return what + "|steps:" + ",".join(steps) if steps else what


def _sign(secret: str, what: str) -> str:
    return base64.b64encode(_MAGIC + _digest(secret, what)).decode()


def sign_call(secret: str, name: str, args: Any, steps: tuple[str, ...] = ()) -> str:
    return _sign(secret, _with_steps(_call_text(name, args), steps))


def sign_text(secret: str, text: str, steps: tuple[str, ...] = ()) -> str:
    return _sign(secret, _with_steps("text:" + text, steps))


def _step_text(part: dict[str, Any]) -> str | None:
    for kind in ("toolCall", "toolResponse"):
        if isinstance(part.get(kind), dict):
            return kind + ":" + _compact(part[kind])
    return None


def sign_step(secret: str, part: dict[str, Any]) -> str:
    """The signature of a ``toolCall`` or ``toolResponse`` part (camelCase, as the emulator sends it)."""
    what = _step_text(part)
    assert what is not None, "not a server-side step"
    return _sign(secret, what)


def step_ids(parts: list[dict[str, Any]]) -> tuple[str, ...]:
    """The ids of the server-side steps (``toolCall`` parts) among ``parts``, in order."""
    return tuple(str(p["toolCall"].get("id")) for p in parts if isinstance(p.get("toolCall"), dict))


def _decode(sig: str) -> bytes | None:
    if not _B64.match(sig):
        return None
    body = sig.rstrip("=").replace("-", "+").replace("_", "/")
    if len(body) % 4 == 1:
        return None
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def check_signature(secret: str, sig: Any, part: dict[str, Any], steps: tuple[str, ...] = ()) -> SignatureKind:
    """Classify the ``thoughtSignature`` of ``part`` (standard or URL-safe base64 accepted); ``steps`` are the
    ids of the server-side steps in the same content."""
    if sig == PLACEHOLDER:
        return "placeholder"
    if not isinstance(sig, str):
        return "invalid"
    raw = _decode(sig)
    if raw is None:
        return "invalid"
    call = part.get("functionCall")
    step = _step_text(part)
    if isinstance(call, dict):
        what = _with_steps(_call_text(str(call.get("name", "")), call.get("args")), steps)
    elif isinstance(part.get("text"), str):
        what = _with_steps("text:" + part["text"], steps)
    elif step is not None:
        what = step
    elif isinstance(part.get("executableCode"), dict):  # signed like a text part over its code
        what = "text:" + str(part["executableCode"].get("code", ""))
    else:
        return "foreign"
    return "valid" if hmac.compare_digest(raw, _MAGIC + _digest(secret, what)) else "foreign"


def call_id(seed: str) -> str:
    """A short deterministic call id such as ``g98os1Jf``."""
    value = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    chars = []
    for _ in range(8):
        value, rem = divmod(value, len(_ID_CHARS))
        chars.append(_ID_CHARS[rem])
    return "".join(chars)
