"""``ChatCometGemini``: a LangChain chat model over Gemini's native API (via CometAPI, Google or the emulator).

The class holds settings and wiring only. Message and tool conversions are pure functions in
``_messages`` and ``_tools``; the HTTP work is ``cometgemini.CometGeminiClient``, created on first use and
shared by every call (connection pooling), never serialized, and rebuilt after unpickling.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams, LanguageModelInput, ModelProfile
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils import from_env, secret_from_env
from langchain_core.utils.utils import _build_model_kwargs
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator

from cometgemini._catalog import ModelInfo, model_info
from cometgemini._client import CometGeminiClient, client_for
from cometgemini._config import config_for
from cometgemini._schema import json_schema_of, to_json_schema
from cometgemini._signatures import precompute_signatures
from cometgemini._types import GenerateContentRequest, GenerationConfig, ThinkingConfig

from . import _blocks, _tokens
from ._errors import lc_errors
from ._messages import PROVIDER, StreamConverter, chat_result, to_contents
from ._profile import profile_for
from ._serializable import KeyedSerializable
from ._structured import structured_runnable
from ._tools import convert_tools, declared_names, ensure_wire_tools, tool_config

__all__ = ["ChatCometGemini"]

_blocks.register()
_CLIENT_LOCK = threading.Lock()

# LangChain setting -> GenerationConfig field
_GENERATION = {
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "max_tokens": "max_output_tokens",
    "stop": "stop_sequences",
    "seed": "seed",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
    "response_modalities": "response_modalities",
    "media_resolution": "media_resolution",
    "response_mime_type": "response_mime_type",
    "response_json_schema": "response_json_schema",
    "response_schema": "response_schema",
    "response_logprobs": "response_logprobs",
    "logprobs": "logprobs",
}
_ALIASES = {"model_name": "model", "max_output_tokens": "max_tokens", "stop_sequences": "stop",
            "reasoning_effort": "thinking_level"}
_OTHER_CALL_SETTINGS = frozenset({"model", "thinking_level", "thinking_budget", "include_thoughts", "response_format",
                                  "safety_settings", "cached_content", "tools", "tool_choice", "tool_config"})
_CONNECTION_FIELDS = frozenset({"api_key", "base_url", "api_version", "auth", "timeout", "max_retries",
                                "default_headers", "http_client", "http_async_client", "allow_insecure_http"})
_REQUEST_KEYS = frozenset({"tools", "toolConfig", "tool_config", "systemInstruction", "cachedContent",
                           "serviceTier", "service_tier", "labels", "store"})


@functools.cache
def _identifying_names(cls: type[BaseModel]) -> tuple[str, ...]:
    """The settings that are fields of ``cls`` (a name that is not one would go through pydantic's slow
    ``__getattr__`` and raise, on every call: LangChain reads ``_identifying_params`` per invoke)."""
    names = (*_GENERATION, "thinking_level", "thinking_budget", "include_thoughts")
    return tuple(name for name in names if name in cls.model_fields)


def _safety_settings(value: Any) -> list[dict[str, str]] | None:
    """``{category: threshold}`` or a list of ``{"category", "threshold"}``; short names are completed."""
    if not value:
        return None
    pairs = value.items() if isinstance(value, Mapping) else [(s["category"], s["threshold"]) for s in value]
    out = []
    for category, threshold in pairs:
        name = str(getattr(category, "name", category)).upper()
        if not name.startswith("HARM_CATEGORY_"):
            name = f"HARM_CATEGORY_{name}"
        out.append({"category": name, "threshold": str(getattr(threshold, "name", threshold)).upper()})
    return out


def _thinking(info: ModelInfo, level: Any, budget: Any, include: Any) -> ThinkingConfig | None:
    """The ``thinkingConfig`` for these settings, or a clear ``ValueError`` before anything is sent."""
    if level is None and budget is None and include is None:
        return None
    if level is not None and budget is not None:
        raise ValueError("set thinking_level (Gemini 3) or thinking_budget (Gemini 2.5), not both")
    if info.thinking == "none":
        raise ValueError(f"{info.model} does not think: drop thinking_level, thinking_budget and include_thoughts")
    if level is not None:
        level = str(level).upper()
        if info.thinking == "budget":
            raise ValueError(f"{info.model} takes thinking_budget (tokens), not thinking_level/reasoning_effort")
        if info.thinking == "level" and level not in info.thinking_levels:
            raise ValueError(f"{info.model} takes thinking_level in {list(info.thinking_levels)}, got {level!r}")
    if budget is not None:
        if info.thinking == "level":
            raise ValueError(f"{info.model} takes thinking_level {list(info.thinking_levels)}, not thinking_budget")
        if info.thinking == "budget" and budget != -1:
            low = info.min_thinking_budget if budget else 0
            if (budget == 0 and not info.can_disable_thinking) or not (
                budget == 0 or low <= budget <= info.max_thinking_budget
            ):
                raise ValueError(
                    f"{info.model} takes thinking_budget -1 (dynamic)"
                    f"{'' if not info.can_disable_thinking else ', 0 (off)'} or "
                    f"{info.min_thinking_budget}..{info.max_thinking_budget}, got {budget}"
                )
    return ThinkingConfig(thinking_level=level, thinking_budget=budget, include_thoughts=include)


def _response_format(value: Any) -> dict[str, Any]:
    """OpenAI's ``response_format`` (as ``create_agent``'s ProviderStrategy binds it) as Gemini settings."""
    if isinstance(value, type):
        return {"response_mime_type": "application/json", "response_json_schema": json_schema_of(value)}
    if isinstance(value, Mapping) and value.get("type") == "json_schema":
        schema = (value.get("json_schema") or {}).get("schema") or {}
        return {"response_mime_type": "application/json", "response_json_schema": to_json_schema(schema)}
    if isinstance(value, Mapping) and value.get("type") == "json_object":
        return {"response_mime_type": "application/json"}
    if isinstance(value, Mapping) and value.get("type") == "text":
        return {}
    raise ValueError(f"unsupported response_format {value!r}: use a JSON Schema response_format or a type")


class ChatCometGemini(KeyedSerializable, BaseChatModel):
    """Gemini chat models through Gemini's native REST API (CometAPI by default, Google, or the emulator).

    Example:
        ```python
        from langchain_cometgemini import ChatCometGemini

        llm = ChatCometGemini(model="gemini-3-flash-preview")  # key from COMETAPI_KEY
        llm.invoke("Hello!")
        ```

    Every generation setting below can also be given per call (``llm.invoke(msgs, temperature=0)``, or
    ``llm.bind(model="gemini-2.5-flash")``).
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    model: str = Field(default="gemini-3-flash-preview", alias="model_name")
    """Model id, such as ``gemini-3-flash-preview`` or ``gemini-2.5-flash``."""
    api_key: SecretStr | None = Field(default_factory=secret_from_env("COMETAPI_KEY", default=None))
    """The key; else ``COMETAPI_KEY``. Optional only for a loopback emulator."""
    base_url: str | None = Field(default_factory=from_env("COMETAPI_BASE_URL", default=None))
    """Else ``COMETAPI_BASE_URL``, else ``https://api.cometapi.com``."""
    api_version: str = "v1beta"
    auth: Literal["x-goog-api-key", "bearer"] = "x-goog-api-key"
    """How the key is sent: ``x-goog-api-key`` header or ``Authorization: Bearer``."""
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int | None = Field(default=None, alias="max_output_tokens")
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    thinking_budget: int | None = None
    """Gemini 2.5: thinking tokens (0 off where allowed, -1 dynamic)."""
    thinking_level: str | None = Field(default=None, alias="reasoning_effort")
    """Gemini 3: ``minimal``, ``low``, ``medium`` or ``high`` (as the model allows)."""
    include_thoughts: bool | None = None
    """Return thought summaries as ``thinking`` / ``reasoning`` blocks."""
    safety_settings: dict[str, str] | list[dict[str, str]] | None = None
    """``{"HARASSMENT": "BLOCK_NONE", ...}`` or Gemini's list form."""
    response_modalities: list[str] | None = None
    """e.g. ``["TEXT", "IMAGE"]`` for image models."""
    media_resolution: str | None = None
    cached_content: str | None = None
    """``cachedContents/{id}``."""
    timeout: float | None = Field(default=120.0, alias="request_timeout")
    max_retries: int = 2
    """Retries after the first attempt; 0 disables."""
    default_headers: dict[str, str] | None = None
    streaming: bool = False
    """Use the streaming endpoint for ``invoke`` too."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Other ``generationConfig`` fields (or top-level request fields such as ``serviceTier``)."""
    allow_insecure_http: bool = False
    http_client: Any = Field(default=None, exclude=True)
    """Your own ``httpx.Client`` (proxies, ``MockTransport``). Not serialized."""
    http_async_client: Any = Field(default=None, exclude=True)
    """Your own ``httpx.AsyncClient``. Not serialized."""

    _client: CometGeminiClient | None = PrivateAttr(default=None)

    # ------------------------------------------------------------------ construction and serialization

    @model_validator(mode="before")
    @classmethod
    def _extra_to_model_kwargs(cls, values: Any) -> Any:
        if isinstance(values, dict):
            names = {f.alias or n for n, f in cls.model_fields.items()} | set(cls.model_fields)
            values = _build_model_kwargs(values, names)
        return values

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Checked here, not in a pydantic validator: pydantic's ValidationError would print the whole input,
        # the start of the api_key included. A plain ValueError names only the mistake.
        config_for(self)
        _thinking(model_info(self.model), self.thinking_level, self.thinking_budget, self.include_thoughts)

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_cometgemini", "chat_models"]

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> ChatCometGemini:
        """A copy; it opens its own connection pool if ``update`` changes how it connects."""
        copy = super().model_copy(update=update, deep=deep)
        if update and set(update) & _CONNECTION_FIELDS:
            copy._client = None
        if update and {"model", "model_name"} & set(update) and "profile" not in update:
            copy.profile = profile_for(copy.model)  # another model, another profile
        return copy

    def _resolve_model_profile(self) -> ModelProfile | None:
        """The model's capabilities and limits, from the catalog (see ``_profile``)."""
        return profile_for(self.model)

    @property
    def _llm_type(self) -> str:
        return "cometgemini-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        params = {"model": self.model, "base_url": self.base_url}
        for name in _identifying_names(type(self)):
            value = getattr(self, name)
            if value is not None:
                params[name] = value
        return params

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(ls_provider=PROVIDER, ls_model_name=kwargs.get("model", self.model),
                                 ls_model_type="chat")
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", kwargs.get("max_output_tokens", self.max_tokens))
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        if stop or self.stop:
            params["ls_stop"] = stop or self.stop
        return params

    # ------------------------------------------------------------------ the request

    @property
    def client(self) -> CometGeminiClient:
        """The shared core client (created on first use)."""
        client = self._client
        if client is None:
            with _CLIENT_LOCK:
                if self._client is None:
                    self._client = client_for(self, self.http_client, self.http_async_client)
                client = self._client
        return client

    def _settings(self, stop: list[str] | None, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        fields = self.__dict__
        settings: dict[str, Any] = {name: fields.get(name) for name in _GENERATION}
        settings.update(model=self.model, thinking_level=self.thinking_level, thinking_budget=self.thinking_budget,
                        include_thoughts=self.include_thoughts, safety_settings=self.safety_settings,
                        cached_content=self.cached_content)
        for key, value in kwargs.items():
            name = _ALIASES.get(key, key)
            if name not in _GENERATION and name not in _OTHER_CALL_SETTINGS:
                raise TypeError(f"unknown argument {key!r} for ChatCometGemini")
            settings[name] = value
        if stop is not None:
            settings["stop"] = stop
        if settings.get("response_format") is not None:
            settings.update(_response_format(settings.pop("response_format")))
        return settings

    def _prepare(self, messages: list[BaseMessage], stop: list[str] | None,
                 kwargs: Mapping[str, Any]) -> tuple[str, GenerateContentRequest]:
        """The model id and the wire request for one call (built once, sent as is)."""
        settings = self._settings(stop, kwargs)
        model = str(settings["model"])
        info = model_info(model)
        generation = {field: settings[name] for name, field in _GENERATION.items() if settings.get(name) is not None}
        if "media_resolution" in generation:
            level = str(generation["media_resolution"]).upper()
            generation["media_resolution"] = level if level.startswith("MEDIA_RESOLUTION_") else (
                f"MEDIA_RESOLUTION_{level}")
        if "response_modalities" in generation:
            generation["response_modalities"] = [str(m).upper() for m in generation["response_modalities"]]
        extra_request = {k: v for k, v in self.model_kwargs.items() if k in _REQUEST_KEYS}
        generation.update({k: v for k, v in self.model_kwargs.items() if k not in _REQUEST_KEYS})
        thinking = _thinking(info, settings.get("thinking_level"), settings.get("thinking_budget"),
                             settings.get("include_thoughts"))
        if thinking is not None:
            generation["thinking_config"] = thinking
        system, contents = to_contents(messages, placeholder_signatures=info.thinking == "level")
        if not contents:
            raise ValueError(
                "nothing to send: the conversation has no user or model turn with content "
                "(only system messages, or empty text). Add a HumanMessage."
            )
        tools = ensure_wire_tools(settings.get("tools"))
        config = tool_config(settings.get("tool_choice"), declared_names(tools)) or settings.get("tool_config")
        mode = ((config or {}).get("functionCallingConfig") or {}).get("mode")
        if mode == "ANY" and settings.get("response_mime_type") == "application/json":
            raise ValueError(
                "Gemini refuses a forced tool call (tool_choice 'any' or a name) together with a JSON response "
                "type; use with_structured_output(..., method='function_calling') or tool_choice='auto'"
            )
        request = GenerateContentRequest(
            contents=contents, system_instruction=system, tools=tools, tool_config=config,
            safety_settings=_safety_settings(settings.get("safety_settings")),
            generation_config=GenerationConfig(**generation) if generation else None,
            cached_content=settings.get("cached_content"), **extra_request,
        )
        return model, request

    # ------------------------------------------------------------------ the four entry points

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        model, request = self._prepare(messages, stop, kwargs)
        with lc_errors():
            response = self.client.generate(model, request)
        return chat_result(response, model)

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        model, request = self._prepare(messages, stop, kwargs)
        with lc_errors():
            response = await self.client.agenerate(model, request)
        return chat_result(response, model)

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        model, request = self._prepare(messages, stop, kwargs)
        converter = StreamConverter(model)
        with lc_errors():
            for event in self.client.stream(model, request):
                yield converter.convert(event)

    async def _astream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                       run_manager: AsyncCallbackManagerForLLMRun | None = None,
                       **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        model, request = self._prepare(messages, stop, kwargs)
        converter = StreamConverter(model)
        with lc_errors():
            async for event in self.client.astream(model, request):
                yield converter.convert(event)

    # ------------------------------------------------------------------ tools, structured output, tokens

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | bool | list[str] | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind functions, ``BaseTool``s, pydantic models, TypedDicts, OpenAI/Anthropic tool dicts and the
        built-ins (``{"google_search": {}}``, ``{"url_context": {}}``, ``{"code_execution": {}}``,
        ``{"google_maps": {}}``). ``tool_choice``: ``"auto"``, ``"any"``/``"required"``/``True``, ``"none"``,
        ``"validated"``, a name, a list of names, or the OpenAI dict form."""
        kwargs.pop("strict", None)  # Gemini always checks calls against parametersJsonSchema; kept for compatibility
        wire_tools = convert_tools(tools)
        if tool_choice is not None:
            tool_config(tool_choice, declared_names(wire_tools))  # fail now, not at call time
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=wire_tools, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Literal["json_schema", "function_calling", "json_mode"] = "json_schema",
        include_raw: bool = False,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Answers as ``schema`` (pydantic model, TypedDict or JSON Schema): ``json_schema`` (default) uses
        ``responseJsonSchema``; ``function_calling`` forces a call of one function; ``json_mode`` asks for
        JSON only. A blocked answer raises ``ModelRefusalError``."""
        if kwargs.pop("strict", None) is not None:
            pass  # Gemini always follows responseJsonSchema; accepted for interface compatibility
        if kwargs:
            raise ValueError(f"unexpected arguments {sorted(kwargs)}")
        return structured_runnable(self, schema, method, include_raw)

    def get_num_tokens_from_messages(self, messages: list[BaseMessage], tools: Sequence[Any] | None = None, *,
                                     exact: bool = False) -> int:
        """Tokens of ``messages`` (and ``tools``), by Gemini's own ``countTokens``. By default the sum of each
        message's count, each distinct message counted once and then remembered: what
        ``trim_messages(token_counter=llm)`` uses, cheap over a long conversation. ``exact=True``: the whole
        request as it would be sent (system instruction, tools, ``cached_content``), in one request. ``[]``
        or empty text is 0, without a request."""
        with lc_errors():
            return (_tokens.count_exact if exact else _tokens.count_per_message)(self, messages, tools)

    async def aget_num_tokens_from_messages(self, messages: list[BaseMessage], tools: Sequence[Any] | None = None,
                                            *, exact: bool = False) -> int:
        with lc_errors():
            return await (_tokens.acount_exact if exact else _tokens.acount_per_message)(self, messages, tools)

    def get_num_tokens(self, text: str) -> int:
        """Tokens of ``text`` as a user message (0 for ``""``), remembered as ``get_num_tokens_from_messages``."""
        return self.get_num_tokens_from_messages([HumanMessage(text)])

    def close(self) -> None:
        """Close the connection pool (it reopens on the next call)."""
        if self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


precompute_signatures(ChatCometGemini, "_generate", "_agenerate")  # LangChain inspects these on every call
