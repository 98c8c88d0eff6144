"""The pure helpers behind the settings table and the audio hand-out, table-driven."""

from __future__ import annotations

import base64
import io
import struct
import wave
from typing import Any

import pytest

from cometgemini._audio import pcm_params, playable_audio
from cometgemini._settings import lookup, safety_settings, split_extra, thinking_settings, wire_fields
from cometgemini._types import SafetySetting


@pytest.mark.parametrize(
    ("spelling", "name"),
    [("max_tokens", "max_tokens"), ("max_output_tokens", "max_tokens"), ("maxOutputTokens", "max_tokens"),
     ("n", "candidate_count"), ("candidateCount", "candidate_count"), ("reasoning_effort", "thinking_level"),
     ("thinkingBudget", "thinking_budget"), ("serviceTier", "service_tier"), ("speech_config", "speech_config"),
     ("stop_sequences", "stop"), ("enableEnhancedCivicAnswers", "enable_enhanced_civic_answers")],
)
def test_every_spelling_finds_its_setting(spelling: str, name: str) -> None:
    setting = lookup(spelling)
    assert setting is not None and setting.name == name


@pytest.mark.parametrize(
    "value",
    [{"HARASSMENT": "block_none"}, [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
     [SafetySetting(category="HARASSMENT", threshold="BLOCK_NONE")]],
)
def test_safety_settings_in_every_form(value: Any) -> None:
    assert safety_settings(value) == [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]


def test_safety_settings_without_a_threshold_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="needs a 'threshold'"):
        safety_settings([{"category": "HARASSMENT"}])


def test_wire_fields_and_split_extra() -> None:
    generation, request = wire_fields({"stop": "END", "service_tier": "FLEX", "thinking_level": "low",
                                       "temperature": None, "response_json_schema": {"type": "object"}})
    assert generation == {"stopSequences": ["END"], "responseJsonSchema": {"type": "object"},
                          "responseMimeType": "application/json"}  # thinking is the adapters' to check
    assert request == {"serviceTier": "flex"}
    assert split_extra({"store": True, "audioTimestamp": True, "toolConfig": {}}) == (
        {"audioTimestamp": True}, {"store": True, "toolConfig": {}})


def test_thinking_config_takes_only_thinking_fields() -> None:
    assert thinking_settings({"thinkingBudget": 0, "include_thoughts": True}) == {
        "thinking_budget": 0, "include_thoughts": True}
    with pytest.raises(ValueError, match="'temperature' is none of them"):
        thinking_settings({"temperature": 1})
    with pytest.raises(ValueError, match="must be a dict"):
        thinking_settings("high")


def test_raw_pcm_becomes_wav_and_other_audio_is_left_alone() -> None:
    pcm = struct.pack("<4h", 0, 1000, -1000, 0)
    mime, data = playable_audio("audio/L16;codec=pcm;rate=16000", base64.b64encode(pcm).decode())
    assert mime == "audio/wav"
    with wave.open(io.BytesIO(base64.b64decode(data))) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.readframes(4)) == (16000, 1, 2, pcm)
    assert playable_audio("audio/mpeg", "SUQz") == ("audio/mpeg", "SUQz")
    assert playable_audio("audio/pcm", "not base64!") == ("audio/pcm", "not base64!")  # passed on, not lost
    assert pcm_params("audio/L16;rate=48000;channels=2") == (48000, 2)
    assert pcm_params("audio/pcm") == (24000, 1)
