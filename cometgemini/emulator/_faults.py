"""Fault injection: ``x-emulator-fault`` header (per request) and ``EmulatorConfig.fault`` (server wide).

Spec syntax: ``KIND[:ARG][*N]``. ``*N`` fails only the first N requests carrying the same spec and the same
``x-emulator-fault-key`` header, then lets requests through.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from ._errors import ApiError, google_auth_error, not_found_message

__all__ = ["KINDS", "Fault", "FaultState", "error_for", "parse_fault"]

KINDS = frozenset({
    "429", "429-daily", "500", "503", "400", "401", "403", "404", "html", "nonjson", "slow", "drop",
    "malformed", "error-event", "empty", "max-tokens",
})
HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
             b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n")
_QUOTA_MESSAGE = ("You exceeded your current quota, please check your plan and billing details. For more "
                  "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.")


@dataclass(frozen=True)
class Fault:
    kind: str
    arg: float | None = None


def parse_fault(spec: str) -> tuple[Fault, int | None]:
    """``"503*2"`` -> (Fault("503"), 2); ``"429:0.2s"`` -> (Fault("429", 0.2), None)."""
    spec = spec.strip()
    times: int | None = None
    if "*" in spec:
        spec, _, count = spec.rpartition("*")
        times = int(count)
    kind, _, arg = spec.partition(":")
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise ValueError(f"unknown emulator fault {kind!r}; known: {', '.join(sorted(KINDS))}")
    value = float(arg.strip().rstrip("s")) if arg.strip() else None
    return Fault(kind, value), times


class FaultState:
    """Counters of ``*N`` faults and the seeded RNG of ``fault_rate``."""

    def __init__(self, server_fault: str | None, rate: float, seed: int) -> None:
        self.server = parse_fault(server_fault) if server_fault else None
        self.rate = rate
        self.rng = random.Random(seed)
        self.counts: dict[tuple[str, str], int] = {}

    def _counted(self, spec: str, key: str, times: int | None) -> bool:
        if times is None:
            return True
        seen = self.counts.get((spec, key), 0)
        self.counts[(spec, key)] = seen + 1
        return seen < times

    def pick(self, header: str | None, key: str) -> Fault | None:
        """The fault to inject into this request, if any (raises ValueError on a bad header)."""
        if header:
            fault, times = parse_fault(header)
            return fault if self._counted(header, key, times) else None
        if self.server is None:
            return None
        fault, times = self.server
        if self.rate < 1.0 and self.rng.random() >= self.rate:
            return None
        return fault if self._counted("\x00server", "", times) else None


def _seconds(value: float) -> str:
    return f"{value:g}s"


def _quota(model: str, daily: bool, delay: float | None) -> ApiError:
    quota_id = ("GenerateRequestsPerDayPerProjectPerModel-FreeTier" if daily
                else "GenerateContentInputTokensPerModelPerMinute-FreeTier")
    metric = ("generativelanguage.googleapis.com/generate_content_free_tier_requests" if daily
              else "generativelanguage.googleapis.com/generate_content_free_tier_input_token_count")
    details: list[dict[str, Any]] = [
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
         "violations": [{"quotaMetric": metric, "quotaId": quota_id,
                         "quotaDimensions": {"location": "global", "model": model},
                         "quotaValue": "250" if daily else "250000"}]},
        {"@type": "type.googleapis.com/google.rpc.Help",
         "links": [{"description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo",
         "retryDelay": _seconds(delay if delay is not None else (43200.0 if daily else 26.0))},
    ]
    return ApiError(429, _QUOTA_MESSAGE, "RESOURCE_EXHAUSTED", details)


def error_for(fault: Fault, model: str, method: str) -> ApiError | None:
    """The Google error a fault answers with, or None for faults that are not plain errors."""
    kind = fault.kind
    if kind in ("429", "429-daily"):
        return _quota(model or "gemini-2.5-flash", kind == "429-daily", fault.arg)
    if kind == "500":
        return ApiError(500, "An internal error has occurred. Please retry or report in "
                             "https://developers.generativeai.google/guide/troubleshooting")
    if kind == "503":
        return ApiError(503, "The model is overloaded. Please try again later.")
    if kind == "400":
        return ApiError(400, "Request contains an invalid argument.")
    if kind == "403":
        return google_auth_error(has_key=False)
    if kind == "404":
        return ApiError(404, not_found_message(model or "unknown-model", method or "generateContent"))
    return None
