"""Every setting of a ``generateContent`` call, in one table (``SETTINGS``) that both adapters read.

A row says what a setting is called (``name``: a field of ``CometGemini``; ``ChatCometGemini`` calls
``candidate_count`` ``n``, as LangChain does), what else it may be called (``aliases``, and its wire name in
camelCase or snake_case: ``max_output_tokens``, ``maxOutputTokens`` and ``max_tokens`` are one setting), where
it goes in the request, the Python type it takes and what it does. The README's settings table is this table.

Where a setting goes (``where``):

* ``generation``: a field of ``generationConfig`` (``temperature`` → ``generationConfig.temperature``);
* ``thinking``: a field of ``generationConfig.thinkingConfig``. The adapters check these against the model
  family before sending (``thinking_level`` is for Gemini 3, ``thinking_budget`` for 2.5);
* ``request``: a top-level field of the request (``service_tier`` → ``serviceTier``).

Google's ``thinking_config={...}`` is taken too, and read as the three thinking settings.

Resolution, the same in both adapters: settings given at construction, overridden by the ones given to one
call. A name that is not in the table is an ``UnknownSettingError`` that names the closest known spelling,
raised before anything is sent. Fields of the API that the table does not hold go through each adapter's one
escape hatch (``model_kwargs`` / ``generation_config``), unchecked: ``split_extra`` sends its request-level
keys at the top of the request and every other key inside ``generationConfig``.

The column ``annotation`` is what a call's value is checked against (``check``); the adapters' own fields
declare the same types, so a construction value is checked by pydantic with the same result.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError

__all__ = [
    "REQUEST_KEYS",
    "SETTINGS",
    "Setting",
    "UnknownSettingError",
    "call_settings",
    "candidate_count",
    "constructor_settings",
    "lookup",
    "safety_settings",
    "split_extra",
    "thinking_settings",
    "wire_fields",
]

Where = Literal["generation", "thinking", "request"]
JsonDict = dict[str, Any]


@dataclass(frozen=True)
class Setting:
    name: str
    """The canonical snake_case name: the field of ``CometGemini`` (and of ``ChatCometGemini`` but for ``n``)."""
    wire: str
    """The camelCase name in the request."""
    where: Where
    annotation: Any
    doc: str
    aliases: tuple[str, ...] = ()
    langchain: str | None = None
    """``ChatCometGemini``'s field name, where LangChain's convention differs (``n``)."""
    normalize: Callable[[Any], Any] | None = None
    """Turns a checked value into its wire form (``"low"`` → ``"MEDIA_RESOLUTION_LOW"``)."""

    @property
    def langchain_name(self) -> str:
        return self.langchain or self.name

    @property
    def spellings(self) -> tuple[str, ...]:
        names = (self.name, *self.aliases, self.wire, _snake(self.wire), self.langchain_name)
        return tuple(dict.fromkeys(names))


class UnknownSettingError(ValueError, TypeError):
    """A keyword that is no setting of ``generateContent``: raised before anything is sent. Both a
    ``ValueError`` (a bad setting) and a ``TypeError`` (what Python raises for an unexpected keyword)."""


# ------------------------------------------------------------------------------------------- normalizers

_CAMEL = re.compile(r"_([a-z0-9])")
_UPPER = re.compile(r"(?<=[a-z0-9])([A-Z])")


def _snake(name: str) -> str:
    return _UPPER.sub(r"_\1", name).lower()


def _camel(name: str) -> str:
    return _CAMEL.sub(lambda m: m.group(1).upper(), name)


def camel_keys(value: Any) -> Any:
    """A config object with every key in camelCase, as CometAPI wants it (these hold no schema or user
    names, so re-casing keys is safe); pydantic models are dumped first."""
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True, exclude_none=True, mode="json")
    if isinstance(value, Mapping):
        return {_camel(str(k)): camel_keys(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [camel_keys(v) for v in value]
    return value


def _stop(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _modalities(value: Any) -> list[str]:
    return [str(m).upper() for m in value]


def _media_resolution(value: Any) -> str:
    level = str(getattr(value, "value", value)).upper()
    return level if level.startswith("MEDIA_RESOLUTION_") else f"MEDIA_RESOLUTION_{level}"


def _speech(value: Any) -> JsonDict:
    """A voice name alone (``"Kore"``) or Gemini's ``speechConfig`` in either casing."""
    if isinstance(value, str):
        return {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": value}}}
    return dict(camel_keys(value))


def _service_tier(value: Any) -> str:
    return str(getattr(value, "value", value)).lower()


def safety_settings(value: Any) -> list[JsonDict] | None:
    """``{category: threshold}`` or a list of ``{"category", "threshold"}`` (dicts or objects); short category
    names such as ``HARASSMENT`` are completed to ``HARM_CATEGORY_HARASSMENT``."""
    if not value:
        return None
    if isinstance(value, Mapping):
        pairs = list(value.items())
    else:
        pairs = [(_get(item, "category"), _get(item, "threshold")) for item in value]
    out = []
    for category, threshold in pairs:
        name = _enum_name(category)
        out.append({"category": name if name.startswith("HARM_CATEGORY_") else f"HARM_CATEGORY_{name}",
                    "threshold": _enum_name(threshold)})
    return out


def _get(item: Any, key: str) -> Any:
    value = item.get(key) if isinstance(item, Mapping) else getattr(item, key, None)
    if value is None:
        raise ValueError(f"each safety setting needs a {key!r}: got {item!r}")
    return value


def _enum_name(value: Any) -> str:
    return str(getattr(value, "name", value)).upper()


# ------------------------------------------------------------------------------------------- the table

_STR_LIST = list[str]

SETTINGS: tuple[Setting, ...] = (
    Setting("temperature", "temperature", "generation", float,
            "Sampling temperature, 0.0 to 2.0 (the model's default when unset)."),
    Setting("top_p", "topP", "generation", float, "Nucleus sampling: the probability mass to sample from."),
    Setting("top_k", "topK", "generation", int, "Sample from the k most likely tokens."),
    Setting("max_tokens", "maxOutputTokens", "generation", int, "Most tokens to generate.",
            aliases=("max_output_tokens",)),
    Setting("stop", "stopSequences", "generation", str | _STR_LIST,
            "Stop sequences (up to 5): the answer ends before the first one.", aliases=("stop_sequences",),
            normalize=_stop),
    Setting("candidate_count", "candidateCount", "generation", int,
            "How many answers to generate (1 to 8). LangChain: n generations per prompt; LlamaIndex: the "
            "first is the message, all are in additional_kwargs['candidates']. Not with streaming.",
            aliases=("n",), langchain="n"),
    Setting("seed", "seed", "generation", int, "Sampling seed, for more repeatable answers."),
    Setting("presence_penalty", "presencePenalty", "generation", float,
            "Penalize tokens already used at all (some models refuse penalties)."),
    Setting("frequency_penalty", "frequencyPenalty", "generation", float,
            "Penalize tokens by how often they were used (some models refuse penalties)."),
    Setting("response_logprobs", "responseLogprobs", "generation", bool,
            "Return the log probabilities of the chosen tokens (logprobs_result)."),
    Setting("logprobs", "logprobs", "generation", int,
            "With response_logprobs: how many top alternatives to return per step (0 to 20)."),
    Setting("response_mime_type", "responseMimeType", "generation", str,
            "text/plain, application/json or text/x.enum (application/json when a schema is given)."),
    Setting("response_schema", "responseSchema", "generation", JsonDict,
            "Answer schema in Google's OpenAPI subset; prefer response_json_schema."),
    Setting("response_json_schema", "responseJsonSchema", "generation", JsonDict,
            "Answer schema as plain JSON Schema (structured output)."),
    Setting("response_modalities", "responseModalities", "generation", _STR_LIST,
            "What the answer may hold: TEXT, IMAGE (image models), AUDIO (text-to-speech models).",
            normalize=_modalities),
    Setting("media_resolution", "mediaResolution", "generation", str,
            "low, medium or high (MEDIA_RESOLUTION_...): tokens spent per input image or video frame.",
            normalize=_media_resolution),
    Setting("speech_config", "speechConfig", "generation", str | JsonDict,
            "Text-to-speech voice: a prebuilt voice name ('Kore'), or Gemini's speechConfig (voice_config, "
            "multi_speaker_voice_config, language_code).", normalize=_speech),
    Setting("image_config", "imageConfig", "generation", JsonDict,
            "Image output: {'aspect_ratio': '16:9', 'image_size': '2K'}.", normalize=camel_keys),
    Setting("audio_transcription_config", "audioTranscriptionConfig", "generation", JsonDict,
            "Transcription of audio input, e.g. {'language_codes': ['en-US']}.", normalize=camel_keys),
    Setting("enable_enhanced_civic_answers", "enableEnhancedCivicAnswers", "generation", bool,
            "Enhanced answers to civic (election) questions, where the model offers them."),
    Setting("thinking_level", "thinkingLevel", "thinking", str,
            "Gemini 3: minimal, low, medium or high (the levels the model takes).",
            aliases=("reasoning_effort",)),
    Setting("thinking_budget", "thinkingBudget", "thinking", int,
            "Gemini 2.5: thinking tokens; 0 turns thinking off where allowed, -1 lets the model decide."),
    Setting("include_thoughts", "includeThoughts", "thinking", bool,
            "Return thought summaries (LangChain thinking/reasoning blocks, LlamaIndex ThinkingBlocks)."),
    Setting("safety_settings", "safetySettings", "request", dict[str, str] | list[Any],
            "{category: threshold}, e.g. {'HARASSMENT': 'BLOCK_NONE'}, or Gemini's list of "
            "{category, threshold}.", normalize=safety_settings),
    Setting("cached_content", "cachedContent", "request", str,
            "A context cache holding the start of the prompt: 'cachedContents/{id}'."),
    Setting("service_tier", "serviceTier", "request", str,
            "flex, standard or priority: the price and latency tier.", normalize=_service_tier),
    Setting("labels", "labels", "request", dict[str, str],
            "Billing labels {key: value}. Vertex AI takes them; Google's Gemini Developer API refuses them."),
    Setting("tool_config", "toolConfig", "request", Any,
            "Gemini's toolConfig as is (function_calling_config, retrieval_config); tool_choice builds the "
            "common cases.", normalize=camel_keys),
)

_THINKING_CONFIG = frozenset({"thinking_config", "thinkingConfig"})
REQUEST_KEYS = frozenset({"tools", "toolConfig", "tool_config", "systemInstruction", "system_instruction",
                          "cachedContent", "cached_content", "serviceTier", "service_tier", "labels",
                          "safetySettings", "safety_settings", "store"})
"""Escape-hatch keys that belong at the top of the request, not inside ``generationConfig``."""


@functools.cache
def _index() -> dict[str, Setting]:
    return {spelling: s for s in SETTINGS for spelling in s.spellings}


def lookup(key: str) -> Setting | None:
    """The setting ``key`` spells (its name, an alias, or its wire name in either casing), or None."""
    return _index().get(key)


@functools.cache
def _adapter(setting: Setting) -> TypeAdapter[Any]:
    return TypeAdapter(setting.annotation)


def _unknown(key: str, owner: str, escape: str, extra: Iterable[str] = ()) -> UnknownSettingError:
    names = [*_index(), *_THINKING_CONFIG, *extra]
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6) or difflib.get_close_matches(
        _snake(key), names, n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return UnknownSettingError(
        f"{key!r} is not a setting of {owner}.{hint} The settings are listed in the README (\"Every setting\"); "
        f"a field of the API this package does not know yet can be sent through {escape}={{...}}."
    )


def check(setting: Setting, value: Any, key: str | None = None) -> Any:
    """``value`` checked against the setting's type (``None`` passes: it means "not set")."""
    if value is None:
        return None
    try:
        return _adapter(setting).validate_python(value)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"] if exc.errors() else str(exc)
        raise ValueError(f"{key or setting.name}={value!r} is not valid: {problem}") from None


def thinking_settings(value: Any) -> dict[str, Any]:
    """Google's ``thinking_config`` (any casing, or a ``ThinkingConfig``) as the three thinking settings."""
    if isinstance(value, BaseModel):
        value = value.model_dump(exclude_none=True)
    if not isinstance(value, Mapping):
        raise ValueError(f"thinking_config must be a dict such as {{'thinking_budget': 0}}, got {value!r}")
    out: dict[str, Any] = {}
    for key, item in value.items():
        setting = lookup(str(key))
        if setting is None or setting.where != "thinking":
            raise ValueError(f"thinking_config takes thinking_level, thinking_budget and include_thoughts; "
                             f"{key!r} is none of them")
        out[setting.name] = check(setting, item, f"thinking_config[{key!r}]")
    return out


def call_settings(kwargs: Mapping[str, Any], *, owner: str, escape: str | Sequence[str],
                  passthrough: Set[str] = frozenset()) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """One call's keyword arguments as ``(settings by canonical name, escape-hatch fields, other arguments)``.

    ``passthrough`` names the framework's own arguments (``tools``, ``tool_choice``, ...), returned untouched
    in the third dict. Values are checked against the table's types; anything unknown raises."""
    escapes = (escape,) if isinstance(escape, str) else tuple(escape)
    settings: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    other: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key in passthrough:
            other[key] = value
        elif key in escapes:
            extra.update(value or {})
        elif key in _THINKING_CONFIG:
            settings.update(thinking_settings(value) if value is not None else {})
        elif (setting := lookup(key)) is not None:
            settings[setting.name] = check(setting, value, key)
        else:
            raise _unknown(key, owner, escapes[0], passthrough)
    return settings, extra, other


def constructor_settings(kwargs: dict[str, Any], fields: Set[str], field_name: Callable[[Setting], str], *,
                         owner: str, escape: str) -> dict[str, Any]:
    """The constructor's keyword arguments with every spelling of a setting renamed to its field
    (``imageConfig`` → ``image_config``, ``thinking_config`` → the three thinking fields). A setting the class
    has no field for goes into the escape hatch under its wire name; anything unknown raises."""
    out: dict[str, Any] = {}
    if kwargs.get(escape) is not None:
        out[escape] = dict(kwargs[escape])
    for key, value in kwargs.items():
        if key == escape:
            continue
        if key in fields:
            _put(out, key, value, key)
        elif key in _THINKING_CONFIG:
            for name, item in thinking_settings(value or {}).items():
                _put(out, name, item, key)
        elif (setting := lookup(key)) is not None:
            name = field_name(setting)
            if name in fields:
                _put(out, name, value, key)
            else:
                wire = setting.normalize(check(setting, value, key)) if setting.normalize else value
                out.setdefault(escape, {})[setting.wire] = wire
        else:
            raise _unknown(key, owner, escape, fields)
    return out


def _put(out: dict[str, Any], name: str, value: Any, given_as: str) -> None:
    if name in out and out[name] is not value:
        raise ValueError(f"{name!r} was given twice (once as {given_as!r}); give it once")
    out[name] = value


def wire_fields(settings: Mapping[str, Any]) -> tuple[JsonDict, JsonDict]:
    """``(generationConfig fields, top-level request fields)``, wire-named and normalized, for the settings
    that are set (thinking settings are left to the adapters, which check them against the model first)."""
    generation: JsonDict = {}
    request: JsonDict = {}
    for setting in SETTINGS:
        value = settings.get(setting.name)
        if value is None or setting.where == "thinking":
            continue
        if setting.normalize is not None:
            value = setting.normalize(value)
            if value is None:
                continue
        (request if setting.where == "request" else generation)[setting.wire] = value
    if ("responseJsonSchema" in generation or "responseSchema" in generation) and (
            "responseMimeType" not in generation):
        generation["responseMimeType"] = "application/json"
    return generation, request


def split_extra(extra: Mapping[str, Any]) -> tuple[JsonDict, JsonDict]:
    """An escape hatch's fields as ``(generationConfig fields, top-level request fields)``, sent as given."""
    generation = {k: v for k, v in extra.items() if k not in REQUEST_KEYS}
    request = {k: v for k, v in extra.items() if k in REQUEST_KEYS}
    return generation, request


def candidate_count(generation: Any) -> int:
    """How many candidates a request's ``generationConfig`` (a model or a dict) asks for."""
    if generation is None:
        return 1
    count = (generation.get("candidateCount", generation.get("candidate_count")) if isinstance(generation, Mapping)
             else getattr(generation, "candidate_count", None))
    if count is None and isinstance(generation, BaseModel) and generation.model_extra:
        count = generation.model_extra.get("candidateCount")
    return int(count or 1)
