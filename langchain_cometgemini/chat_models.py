"""``ChatCometGemini``: a LangChain chat model over Gemini's native API (via CometAPI, Google or the emulator).

The class holds settings and wiring only. Message and tool conversions are pure functions in
``_messages`` and ``_tools``; the HTTP work is ``cometgemini.CometGeminiClient``, created on first use and
shared by every call (connection pooling), never serialized, and rebuilt after unpickling.
"""

from __future__ import annotations

import contextlib
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
from cometgemini._continuation import DEFAULT_MAX_CONTINUATIONS, check_limit
from cometgemini._offload import DEFAULT_UPLOAD_THRESHOLD, FileMode, Offloader, check_file_mode
from cometgemini._schema import json_schema_of, to_json_schema
from cometgemini._settings import (
    SETTINGS,
    call_settings,
    candidate_count,
    constructor_settings,
    split_extra,
    wire_fields,
)
from cometgemini._signatures import precompute_signatures
from cometgemini._tool_combination import apply_tool_combination, forced_mode, merge_tool_configs, parse_tool_config
from cometgemini._types import GenerateContentRequest, GenerationConfig, ThinkingConfig, ToolConfig, to_wire

from . import _batch, _blocks, _tokens
from ._errors import lc_errors
from ._messages import PROVIDER, StreamConverter, chat_result, expects_blocks, to_contents
from ._profile import profile_for
from ._serializable import KeyedSerializable
from ._structured import ToolBinding, structured_output
from ._tools import convert_tools, declared_names, ensure_wire_tools, tool_config

__all__ = ["ChatCometGemini"]

_blocks.register()
_CLIENT_LOCK = threading.Lock()

_CALL_ARGUMENTS = frozenset({"model", "model_name", "tools", "tool_choice", "response_format", "stream"})
"""Per-call arguments that are not ``generateContent`` settings (``stream`` is LangChain's own)."""
_CONNECTION_FIELDS = frozenset({"api_key", "base_url", "api_version", "auth", "timeout", "max_retries",
                                "default_headers", "http_client", "http_async_client", "allow_insecure_http"})
_TOOL_CONFIG_KEYS = ("toolConfig", "tool_config")
_DOCS = {s.name: s.doc for s in SETTINGS}


@functools.cache
def _field_names(cls: type[BaseModel]) -> frozenset[str]:
    """Every name a field of ``cls`` may be given by (field names and aliases)."""
    return frozenset({f.alias or n for n, f in cls.model_fields.items()} | set(cls.model_fields))


@functools.cache
def _identifying_names(cls: type[BaseModel]) -> tuple[str, ...]:
    """The generation settings that are fields of ``cls`` (a name that is not one would go through pydantic's
    slow ``__getattr__`` and raise, on every call: LangChain reads ``_identifying_params`` per invoke)."""
    names = (s.langchain_name for s in SETTINGS if s.where != "request")
    return tuple(name for name in names if name in cls.model_fields)


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


def _merged_tool_config(hatch: Sequence[Any], given: Any, tool_choice: Any, tools: list[dict[str, Any]] | None,
                        mime_type: Any) -> ToolConfig | None:
    """``model_kwargs``' toolConfig, then the ``tool_config`` setting, then ``tool_choice``: merged setting by
    setting (a later source wins a setting it gives; the rest are kept)."""
    config = merge_tool_configs(*hatch, given, tool_config(tool_choice, declared_names(tools)))
    if forced_mode(config) == "ANY" and mime_type == "application/json":
        raise ValueError(
            "Gemini refuses a forced tool call (tool_choice 'any' or a name) together with a JSON response "
            "type; use with_structured_output(..., method='function_calling') or tool_choice='auto'"
        )
    return config


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
    """``cachedContents/{id}`` (see ``create_context_cache``). What the cache holds (system instruction, tools,
    tool config) is left out of each request; a call that sets other values for them is a ``ValueError``."""
    max_continuations: int = DEFAULT_MAX_CONTINUATIONS
    """How many ``CONTINUATION`` hops of a long answer to follow (0: off, the answer ends with
    ``finish_reason`` ``CONTINUATION`` and its ``continuation_token`` in ``response_metadata``)."""
    n: int | None = Field(default=None, alias="candidate_count", description=_DOCS["candidate_count"])
    response_logprobs: bool | None = Field(default=None, description=_DOCS["response_logprobs"])
    logprobs: int | None = Field(default=None, description=_DOCS["logprobs"])
    response_mime_type: str | None = Field(default=None, description=_DOCS["response_mime_type"])
    response_schema: dict[str, Any] | None = Field(default=None, description=_DOCS["response_schema"])
    response_json_schema: dict[str, Any] | None = Field(default=None, description=_DOCS["response_json_schema"])
    speech_config: str | dict[str, Any] | None = Field(default=None, description=_DOCS["speech_config"])
    image_config: dict[str, Any] | None = Field(default=None, description=_DOCS["image_config"])
    audio_transcription_config: dict[str, Any] | None = Field(
        default=None, description=_DOCS["audio_transcription_config"])
    enable_enhanced_civic_answers: bool | None = Field(
        default=None, description=_DOCS["enable_enhanced_civic_answers"])
    service_tier: str | None = Field(default=None, description=_DOCS["service_tier"])
    labels: dict[str, str] | None = Field(default=None, description=_DOCS["labels"])
    tool_config: dict[str, Any] | None = Field(default=None, description=_DOCS["tool_config"])
    timeout: float | None = Field(default=120.0, alias="request_timeout")
    max_retries: int = 2
    """Retries after the first attempt; 0 disables."""
    default_headers: dict[str, str] | None = None
    streaming: bool = False
    """Use the streaming endpoint for ``invoke`` too."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """The escape hatch: fields of the API this class has no setting for, sent as given (unchecked) inside
    ``generationConfig``, or at the top of the request for request-level keys (``store``, ``toolConfig``...)."""
    allow_insecure_http: bool = False
    file_mode: FileMode = "inline"
    """Local media in messages: ``"inline"`` (sent in the request), ``"hybrid"`` (media larger than
    ``file_upload_threshold`` go through the Files API first) or ``"fileapi"`` (all media do). Uploads show a
    progress bar (tqdm, if installed) and are reused while the file lives."""
    file_upload_threshold: int = DEFAULT_UPLOAD_THRESHOLD
    """Bytes above which ``file_mode="hybrid"`` uploads a media part (Google's inline limit is ~20 MB)."""
    http_client: Any = Field(default=None, exclude=True)
    """Your own ``httpx.Client`` (proxies, ``MockTransport``). Not serialized."""
    http_async_client: Any = Field(default=None, exclude=True)
    """Your own ``httpx.AsyncClient``. Not serialized."""

    _client: CometGeminiClient | None = PrivateAttr(default=None)
    _offloader: Offloader = PrivateAttr(default_factory=Offloader)

    # ------------------------------------------------------------------ construction and serialization

    @model_validator(mode="before")
    @classmethod
    def _extra_to_model_kwargs(cls, values: Any) -> Any:
        if isinstance(values, dict):
            values = _build_model_kwargs(values, set(_field_names(cls)))
        return values

    def __init__(self, **kwargs: Any) -> None:
        # Checked here, not in a pydantic validator: pydantic's ValidationError would print the whole input,
        # the start of the api_key included. A plain ValueError names only the mistake.
        kwargs = constructor_settings(kwargs, _field_names(type(self)), lambda s: s.langchain_name,
                                      owner=type(self).__name__, escape="model_kwargs")
        super().__init__(**kwargs)
        config_for(self)
        check_limit(self.max_continuations)
        check_file_mode(self.file_mode, self.file_upload_threshold)
        _thinking(model_info(self.model), self.thinking_level, self.thinking_budget, self.include_thoughts)
        if self.streaming and (self.n or 1) > 1:
            raise ValueError(f"streaming=True gives one answer, n={self.n} asks for {self.n}: drop one of them")

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

    def _settings(self, stop: list[str] | None, kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """This call's settings by canonical name (fields, then the call's own), and its escape-hatch fields."""
        fields = self.__dict__
        settings: dict[str, Any] = {s.name: fields.get(s.langchain_name) for s in SETTINGS}
        call, extra, other = call_settings(kwargs, owner="ChatCometGemini", escape="model_kwargs",
                                           passthrough=_CALL_ARGUMENTS)
        settings.update(call)
        settings["model"] = other.get("model") or other.get("model_name") or self.model
        settings["tools"], settings["tool_choice"] = other.get("tools"), other.get("tool_choice")
        if stop is not None:
            settings["stop"] = stop
        if other.get("response_format") is not None:
            settings.update(_response_format(other["response_format"]))
        return settings, {**self.model_kwargs, **extra}

    def _prepare(self, messages: list[BaseMessage], stop: list[str] | None,
                 kwargs: Mapping[str, Any]) -> tuple[str, GenerateContentRequest]:
        """The model id and the wire request for one call (built once, sent as is)."""
        settings, extra = self._settings(stop, kwargs)
        model = str(settings["model"])
        info = model_info(model)
        generation, top = wire_fields(settings)
        extra_generation, extra_top = split_extra(extra)
        generation.update(extra_generation)
        hatch_configs = [extra_top.pop(k) for k in _TOOL_CONFIG_KEYS if k in extra_top]
        top.update(extra_top)
        thinking = _thinking(info, settings.get("thinking_level"), settings.get("thinking_budget"),
                             settings.get("include_thoughts"))
        if thinking is not None:
            generation["thinkingConfig"] = thinking
        system, contents = to_contents(messages, placeholder_signatures=info.thinking == "level")
        if not contents:
            raise ValueError(
                "nothing to send: the conversation has no user or model turn with content "
                "(only system messages, or empty text). Add a HumanMessage."
            )
        hatch_tools = top.pop("tools", None)
        tools = ensure_wire_tools(settings.get("tools") or hatch_tools)
        config = _merged_tool_config(hatch_configs, top.pop("toolConfig", None), settings.get("tool_choice"), tools,
                                     generation.get("responseMimeType"))
        request = GenerateContentRequest(
            contents=contents, system_instruction=system, tools=tools, tool_config=config,
            generation_config=GenerationConfig(**generation) if generation else None, **top,
        )
        apply_tool_combination(model, request)
        return model, request

    def _stream_request(self, messages: list[BaseMessage], stop: list[str] | None,
                        kwargs: Mapping[str, Any]) -> tuple[str, GenerateContentRequest]:
        model, request = self._prepare(messages, stop, kwargs)
        count = candidate_count(request.generation_config)
        if count > 1:
            raise ValueError(f"a stream carries one answer, but n={count} asks for {count}: use invoke/generate "
                             "(one generation per answer), or stream with n=1")
        return model, request

    def _files(self, request: GenerateContentRequest) -> GenerateContentRequest:
        """``request`` with the media ``file_mode`` picks uploaded (nothing happens in the default mode)."""
        if self.file_mode != "inline":
            with lc_errors():
                self._offloader.offload(self.client.files, request.contents, self.file_mode,
                                        self.file_upload_threshold)
        return request

    async def _afiles(self, request: GenerateContentRequest) -> GenerateContentRequest:
        if self.file_mode != "inline":
            with lc_errors():
                await self._offloader.aoffload(self.client.files, request.contents, self.file_mode,
                                               self.file_upload_threshold)
        return request

    # ------------------------------------------------------------------ the four entry points

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        model, request = self._prepare(messages, stop, kwargs)
        request = self._files(request)
        with lc_errors():
            response = self.client.generate(model, request, max_continuations=self.max_continuations)
        return chat_result(response, model, expects_blocks(request))

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        model, request = self._prepare(messages, stop, kwargs)
        request = await self._afiles(request)
        with lc_errors():
            response = await self.client.agenerate(model, request, max_continuations=self.max_continuations)
        return chat_result(response, model, expects_blocks(request))

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        model, request = self._stream_request(messages, stop, kwargs)
        request = self._files(request)
        converter = StreamConverter(model, expects_blocks(request))
        with lc_errors():
            for event in self.client.stream(model, request, max_continuations=self.max_continuations):
                yield converter.convert(event)

    async def _astream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                       run_manager: AsyncCallbackManagerForLLMRun | None = None,
                       **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        model, request = self._stream_request(messages, stop, kwargs)
        request = await self._afiles(request)
        converter = StreamConverter(model, expects_blocks(request))
        # aclosing: closing this stream closes the client's at once (its connection with it), not a loop
        # iteration later through the finalizer hook of a dropped generator
        events = self.client.astream(model, request, max_continuations=self.max_continuations)
        with lc_errors():
            async with contextlib.aclosing(events):
                async for event in events:
                    yield converter.convert(event)

    # ------------------------------------------------------------------ Batch mode

    def submit_batch(self, inputs: Sequence[LanguageModelInput] | Mapping[str, LanguageModelInput], *,
                     display_name: str | None = None, stop: list[str] | None = None, **kwargs: Any) -> str:
        """Send ``inputs`` (each what ``invoke`` takes; a ``{key: input}`` mapping keeps your keys) as one
        Gemini batch job, half the price of live calls, answered within 24 hours. ``kwargs`` are per-call
        settings for every input (``temperature=0``, ``tools=...``). Returns the job's name
        (``batches/...``) for ``collect_batch``. ``batch`` / ``abatch`` stay live calls."""
        model, requests, keys = _batch.batch_requests(self, inputs, stop, kwargs)
        requests = [self._files(r) for r in requests]
        with lc_errors():
            return self.client.batches.create(model, _batch.as_batch(requests, keys), display_name=display_name).name

    async def asubmit_batch(self, inputs: Sequence[LanguageModelInput] | Mapping[str, LanguageModelInput], *,
                            display_name: str | None = None, stop: list[str] | None = None, **kwargs: Any) -> str:
        model, requests, keys = _batch.batch_requests(self, inputs, stop, kwargs)
        requests = [await self._afiles(r) for r in requests]
        with lc_errors():
            job = await self.client.batches.acreate(model, _batch.as_batch(requests, keys), display_name=display_name)
        return job.name

    def collect_batch(self, name: str, *, wait: bool = True, poll_interval: float = 10.0,
                      timeout: float | None = None, return_exceptions: bool = False) -> list[Any]:
        """The ``AIMessage`` of each input of batch ``name``, in input order, converted exactly as ``invoke``
        converts an answer. ``wait`` polls until the job ends (``timeout`` seconds at most); a failed request
        raises its error, or stands in its place with ``return_exceptions=True``."""
        with lc_errors():
            batches = self.client.batches
            job = batches.wait(name, poll_interval=poll_interval, timeout=timeout) if wait else batches.get(name)
            results = batches.results(job.name)
        return _batch.collected(job, results, return_exceptions)

    async def acollect_batch(self, name: str, *, wait: bool = True, poll_interval: float = 10.0,
                             timeout: float | None = None, return_exceptions: bool = False) -> list[Any]:
        with lc_errors():
            batches = self.client.batches
            job = await (batches.await_(name, poll_interval=poll_interval, timeout=timeout) if wait
                         else batches.aget(name))
            results = await batches.aresults(job.name)
        return _batch.collected(job, results, return_exceptions)

    # ------------------------------------------------------------------ tools, structured output, tokens

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | bool | list[str] | dict[str, Any] | None = None,
        tool_config: dict[str, Any] | ToolConfig | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind functions, ``BaseTool``s, pydantic models, TypedDicts, OpenAI/Anthropic tool dicts and the
        built-ins (``{"google_search": {}}``, ``{"url_context": {}}``, ``{"code_execution": {}}``,
        ``{"google_maps": {}}``). ``tool_choice``: ``"auto"``, ``"any"``/``"required"``/``True``, ``"none"``,
        ``"validated"``, a name, a list of names, or the OpenAI dict form. ``tool_config``: Gemini's
        ``toolConfig`` (``retrievalConfig``, ``includeServerSideToolInvocations``, ...), merged with
        ``tool_choice``.

        Built-in tools and functions together work on Gemini 3 models: the request then carries
        ``includeServerSideToolInvocations`` (set for you), the answer's server-side steps come back as
        ``server_tool_call`` / ``server_tool_result`` content blocks, and ``tool_calls`` hold only your
        functions. The result keeps its tools through ``with_structured_output``."""
        kwargs.pop("strict", None)  # Gemini always checks calls against parametersJsonSchema; kept for compatibility
        wire_tools = convert_tools(tools)
        if tool_choice is not None:
            _tool_choice_config(tool_choice, wire_tools)  # fail now, not at call time
            kwargs["tool_choice"] = tool_choice
        if tool_config is not None:
            kwargs["tool_config"] = to_wire(parse_tool_config(tool_config))
        return ToolBinding(bound=self, kwargs={"tools": wire_tools, **kwargs}, config={})

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Literal["json_schema", "function_calling", "json_mode"] = "json_schema",
        include_raw: bool = False,
        tools: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Answers as ``schema`` (pydantic model, TypedDict or JSON Schema): ``json_schema`` (default) uses
        ``responseJsonSchema``; ``function_calling`` forces a call of one function; ``json_mode`` asks for
        JSON only. A blocked answer raises ``ModelRefusalError``. ``tools`` (e.g. ``[{"google_search": {}}]``)
        go in the same request, as do the tools of a model from ``bind_tools``."""
        bound = {"tools": convert_tools(tools)} if tools else {}
        return structured_output(self, schema, method, include_raw, bound, kwargs)

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


def _tool_choice_config(tool_choice: Any, wire_tools: list[dict[str, Any]]) -> dict[str, Any] | None:
    return tool_config(tool_choice, declared_names(wire_tools))


precompute_signatures(ChatCometGemini, "_generate", "_agenerate")  # LangChain inspects these on every call
