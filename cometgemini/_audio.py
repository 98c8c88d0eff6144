"""Audio the model speaks, made playable: Gemini's raw PCM wrapped in a WAV header.

Text-to-speech models answer with ``inlineData`` of type ``audio/L16;codec=pcm;rate=24000``: headerless 16-bit
signed little-endian samples (mono unless a ``channels`` parameter says otherwise). Browsers, notebooks and
audio libraries cannot open that, so the adapters hand it out as ``audio/wav``: the same samples behind a
44-byte RIFF header. Every other audio type is returned unchanged.
"""

from __future__ import annotations

import base64
import binascii
import struct

__all__ = ["is_raw_pcm", "pcm_params", "playable_audio", "wav_bytes"]

_RAW_PCM = ("audio/l16", "audio/pcm", "audio/x-pcm", "audio/raw")
_DEFAULT_RATE = 24_000


def is_raw_pcm(mime_type: str) -> bool:
    """True for headerless PCM (``audio/L16``, ``audio/pcm``), whatever its parameters."""
    return mime_type.split(";", 1)[0].strip().lower() in _RAW_PCM


def pcm_params(mime_type: str) -> tuple[int, int]:
    """``(sample rate, channels)`` from the type's parameters (``rate=24000``); 24 kHz mono by default."""
    rate, channels = _DEFAULT_RATE, 1
    for param in mime_type.split(";")[1:]:
        key, _, value = param.partition("=")
        key = key.strip().lower()
        if key == "rate" and value.strip().isdigit():
            rate = int(value)
        elif key == "channels" and value.strip().isdigit():
            channels = int(value)
    return rate, channels


def wav_bytes(pcm: bytes, rate: int = _DEFAULT_RATE, channels: int = 1) -> bytes:
    """16-bit PCM samples as a complete WAV file."""
    block = channels * 2
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(pcm), b"WAVE", b"fmt ", 16, 1, channels, rate,
                         rate * block, block, 16, b"data", len(pcm))
    return header + pcm


def playable_audio(mime_type: str, data: str) -> tuple[str, str]:
    """``(mime type, base64 data)`` a player can open: raw PCM becomes ``audio/wav``, the rest is unchanged
    (so is PCM whose base64 does not decode: it is passed on as it came rather than lost)."""
    if not is_raw_pcm(mime_type):
        return mime_type, data
    try:
        pcm = base64.b64decode(data + "=" * (-len(data) % 4), altchars=b"-_" if "-" in data or "_" in data else None)
    except (binascii.Error, ValueError):
        return mime_type, data
    rate, channels = pcm_params(mime_type)
    return "audio/wav", base64.b64encode(wav_bytes(pcm, rate, channels)).decode("ascii")
