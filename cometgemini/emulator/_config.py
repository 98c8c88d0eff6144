"""Server-wide settings of the emulator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["EmulatorConfig"]


@dataclass
class EmulatorConfig:
    """Settings of one emulator instance.

    ``api_key=None`` turns auth off: any key, or none, is accepted. With a key set, a request without it (or
    with another one) gets CometAPI's 401 envelope, or with ``auth_errors="google"`` what Google answers:
    400 ``API_KEY_INVALID`` for a wrong key, 403 ``PERMISSION_DENIED`` for none.
    ``fault`` is a fault spec in the ``x-emulator-fault`` header syntax (see README); it applies to a
    ``fault_rate`` fraction of requests, drawn from a ``random.Random(fault_seed)``.
    """

    api_key: str | None = None
    latency_ms: float = 0
    replay_dir: str | None = None
    fault: str | None = None
    fault_rate: float = 1.0
    fault_seed: int = 0
    max_recorded: int = 1000
    """How many received requests are kept (oldest dropped first)."""
    strict_signatures: bool = False
    """Also reject thought signatures that the emulator did not issue, or that no longer match their part."""
    max_stream_events: int = 2000
    """Longer answers are streamed with several words per event."""
    secret: str = "cometgemini-emulator"
    """Key of the digest inside issued thought signatures."""
    any_model: bool = False
    """Serve any ``gemini-*`` id, not only the catalog's (``KNOWN_MODELS``); off, an unknown id is 404 as on
    Google's server."""
    cache_min_tokens: int | None = None
    """Smallest context cache accepted; ``None``: Google's minimum for the model (1,024 tokens, 4,096 on Pro)."""
    clock: Callable[[], float] | None = None
    """Seconds since the epoch, for cache expiry; ``None``: ``time.time``. Tests pass their own to expire
    caches without sleeping."""
    file_processing_seconds: float = 1.0
    """An uploaded video or audio file stays ``PROCESSING`` this long, then is ``ACTIVE`` (other files at once)."""
    batch_pending_seconds: float = 0.5
    """A batch stays ``BATCH_STATE_PENDING`` this long after it is created..."""
    batch_running_seconds: float = 1.0
    """...then ``BATCH_STATE_RUNNING`` this long, then ``BATCH_STATE_SUCCEEDED`` with its results."""
    auth_errors: Literal["cometapi", "google"] = "cometapi"
    """Whose answer a missing or wrong key gets: CometAPI's (401) or Google's (400 / 403)."""
