"""``CometGemini``: a LlamaIndex ``FunctionCallingLLM`` over Gemini's native API (CometAPI, Google, emulator).

The class holds settings and drives the core client; every conversion is a pure function elsewhere
(``_messages``, ``_tools``, ``_request``, ``_stream``, ``_structured``). Sync methods use the core's sync
client and never start an event loop, so they work inside a running one (Jupyter, async servers).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncGenerator, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import httpx
import llama_index.core.instrumentation as instrument
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
    ToolCallBlock,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr, SecretStr
from llama_index.core.instrumentation.events.llm import (
    LLMStructuredPredictEndEvent,
    LLMStructuredPredictStartEvent,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.types import PydanticProgramMode
from pydantic import BaseModel

from cometgemini._catalog import ModelInfo
from cometgemini._catalog import model_info as _catalog_info
from cometgemini._client import CometGeminiClient, client_for
from cometgemini._continuation import DEFAULT_MAX_CONTINUATIONS, check_limit
from cometgemini._offload import DEFAULT_UPLOAD_THRESHOLD, FileMode, Offloader, check_file_mode
from cometgemini._settings import SETTINGS, call_settings, candidate_count, constructor_settings
from cometgemini._signatures import precompute_signatures
from cometgemini._tool_combination import apply_tool_combination, merge_tool_configs, parse_tool_config
from cometgemini._types import Content, GenerateContentRequest, GenerateContentResponse, ToolConfig, to_wire

from . import _batch, _structured
from ._closing import made, owning
from ._messages import message_from_response, raw_response, response_kwargs, to_contents
from ._request import FRAMEWORK_KWARGS, request_settings, thinking_config
from ._server_tools import STEPS_KEY, drop_block
from ._stream import ChatStream
from ._tools import tool_config_for, wire_tools

if TYPE_CHECKING:
    from llama_index.core.prompts import BasePromptTemplate
    from llama_index.core.tools.types import BaseTool

__all__ = ["DEFAULT_MODEL", "CometGemini"]

DEFAULT_MODEL = "gemini-3-flash-preview"
dispatcher = instrument.get_dispatcher(__name__)  # type: ignore[attr-defined]
_DOCS = {s.name: s.doc for s in SETTINGS}
_ESCAPES = ("generation_config", "additional_kwargs")


@functools.lru_cache(maxsize=64)
def model_info(model: str) -> ModelInfo:
    return _catalog_info(model)


@functools.cache
def _fields(cls: type[BaseModel]) -> frozenset[str]:
    return frozenset(cls.model_fields)
M = TypeVar("M", bound=BaseModel)


class CometGemini(FunctionCallingLLM):
    """Gemini through CometAPI's native route (or Google's, or the local emulator), for LlamaIndex.

    Responses: ``message.blocks`` holds ``ThinkingBlock``s (with ``include_thoughts``), ``TextBlock``s,
    ``ToolCallBlock``s, ``ImageBlock``s and ``CitationBlock``s (from Google Search grounding); thought
    signatures ride in ``message.additional_kwargs`` and go back on the parts they came on.
    ``additional_kwargs`` holds ``prompt_tokens``, ``completion_tokens`` (thoughts included),
    ``total_tokens``, ``thoughts_token_count``, ``cached_content_token_count``, ``finish_reason`` and
    ``grounding_metadata``; ``raw`` is the wire ``GenerateContentResponse`` (plus ``usage`` for
    ``TokenCountingHandler``). Streams add ``additional_kwargs["thinking_delta"]``.

    ``built_in_tools`` and your function tools go in one request on Gemini 3 models (with
    ``toolConfig.includeServerSideToolInvocations``, set for you); the built-in tools' steps come back in
    ``message.additional_kwargs["server_tool_steps"]`` and are sent back with the history, as Gemini requires.

    Example:
        ```python
        from llama_index.llms.cometgemini import CometGemini

        llm = CometGemini(model="gemini-3-flash-preview")  # key from COMETAPI_KEY
        print(llm.complete("Say hi").text)
        ```
    """

    model: str = Field(default=DEFAULT_MODEL, description="Gemini model id, e.g. 'gemini-3-flash-preview'.")
    api_key: SecretStr | None = Field(
        default=None, exclude=True, repr=False, description="API key; else the COMETAPI_KEY environment variable."
    )
    base_url: str | None = Field(
        default=None, description="Else COMETAPI_BASE_URL, else https://api.cometapi.com."
    )
    api_version: str = Field(default="v1beta", description="API version in the URL path.")
    auth: Literal["x-goog-api-key", "bearer"] = Field(
        default="x-goog-api-key", description="How the key is sent: x-goog-api-key header or Bearer token."
    )
    temperature: float | None = Field(default=None, description="Sampling temperature (server default if None).")
    top_p: float | None = Field(default=None, description="Nucleus sampling probability mass.")
    top_k: int | None = Field(default=None, description="Top-k sampling.")
    max_tokens: int | None = Field(default=None, description="maxOutputTokens (server default if None).")
    stop: list[str] | None = Field(default=None, description="Stop sequences.")
    seed: int | None = Field(default=None, description="Sampling seed.")
    presence_penalty: float | None = Field(default=None, description="Presence penalty (some models refuse it).")
    frequency_penalty: float | None = Field(default=None, description="Frequency penalty (some models refuse it).")
    media_resolution: str | None = Field(
        default=None, description="MEDIA_RESOLUTION_LOW, _MEDIUM or _HIGH for image/video input."
    )
    thinking_level: str | None = Field(
        default=None, description="Gemini 3: MINIMAL, LOW, MEDIUM or HIGH (the levels the model takes)."
    )
    thinking_budget: int | None = Field(
        default=None, description="Gemini 2.5: thinking tokens; 0 turns thinking off, -1 is dynamic."
    )
    include_thoughts: bool | None = Field(default=None, description="Return thought summaries as ThinkingBlocks.")
    safety_settings: dict[str, str] | list[dict[str, str]] | None = Field(
        default=None, description="{category: threshold} or a list of {category, threshold}."
    )
    response_modalities: list[str] | None = Field(default=None, description="e.g. ['TEXT', 'IMAGE'].")
    cached_content: str | None = Field(
        default=None, description="A cachedContents/... resource to reuse (see create_context_cache); what it holds "
        "(system instruction, tools) is left out of each request, other values for them are a ValueError."
    )
    max_continuations: int = Field(
        default=DEFAULT_MAX_CONTINUATIONS, description="CONTINUATION hops of a long answer to follow; 0 turns "
        "following off (the answer ends with finish_reason CONTINUATION and its continuation_token)."
    )
    candidate_count: int | None = Field(default=None, description=_DOCS["candidate_count"])
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
    generation_config: dict[str, Any] | None = Field(
        default=None,
        description="The escape hatch: fields of the API this class has no setting for, sent as given "
        "(unchecked) inside generationConfig, or at the top of the request for request-level keys (store, "
        "toolConfig, ...). Also accepted as additional_kwargs.",
    )
    built_in_tools: list[dict[str, Any]] | None = Field(
        default=None, description="Gemini tools sent on every call, e.g. [{'googleSearch': {}}]."
    )
    tool_config: dict[str, Any] | None = Field(
        default=None,
        description="Gemini's toolConfig for calls with tools (functionCallingConfig, retrievalConfig, "
        "includeServerSideToolInvocations); a call's tool_config and tool_choice are merged into it.",
    )
    timeout: float | None = Field(default=120.0, description="Seconds per request (None: no limit).")
    max_retries: int = Field(default=2, description="Retries after the first attempt; 0 disables.")
    default_headers: dict[str, str] | None = Field(default=None, description="Extra headers on every request.")
    allow_insecure_http: bool = Field(
        default=False, description="Allow http:// to a non-loopback host (the key travels in clear text)."
    )
    file_mode: FileMode = Field(
        default="inline",
        description="Local media: 'inline' (in the request), 'hybrid' (media over file_upload_threshold bytes go "
        "through the Files API first) or 'fileapi' (all media do). Uploads show a progress bar (tqdm if installed) "
        "and are reused while the file lives.",
    )
    file_upload_threshold: int = Field(
        default=DEFAULT_UPLOAD_THRESHOLD, description="Bytes above which file_mode='hybrid' uploads a media block."
    )

    _client: CometGeminiClient = PrivateAttr()
    _offloader: Offloader = PrivateAttr(default_factory=Offloader)
    _metadata: tuple[tuple[str, int | None], LLMMetadata] | None = PrivateAttr(default=None)

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        **kwargs: Any,
    ) -> None:
        if "additional_kwargs" in kwargs:  # the name other LlamaIndex LLMs give their escape hatch
            if kwargs.get("generation_config") is not None:
                raise ValueError("pass generation_config or additional_kwargs (the same thing), not both")
            kwargs["generation_config"] = kwargs.pop("additional_kwargs")
        kwargs = constructor_settings(kwargs, _fields(type(self)), lambda s: s.name, owner=type(self).__name__,
                                      escape="generation_config")
        if kwargs.get("tool_config") is not None:
            kwargs["tool_config"] = to_wire(parse_tool_config(kwargs["tool_config"]))  # a bad key fails here
        super().__init__(model=model, **kwargs)
        info = model_info(self.model)
        thinking_config(info, self.thinking_level, self.thinking_budget, self.include_thoughts)
        check_limit(self.max_continuations)
        check_file_mode(self.file_mode, self.file_upload_threshold)
        self._client = client_for(self, http_client, http_async_client)
        self.base_url = self._client.base_url

    @classmethod
    def class_name(cls) -> str:
        return "CometGemini"

    def close(self) -> None:
        """Close the connection pools this object opened (not the httpx clients you passed in)."""
        self._client.close()

    async def aclose(self) -> None:
        await self._client.aclose()

    def count_tokens(self, messages: Sequence[ChatMessage] | str, **kwargs: Any) -> int:
        """Tokens the model would read for ``messages`` (or a prompt), by Gemini's own ``countTokens``: system
        instruction and tools (``tools=``, and ``built_in_tools``) included, nothing generated or billed. One
        request, exact; nothing to count (``[]``, ``""``) is 0 without one, and system messages alone count as
        the system instruction they become."""
        return self._client.count_tokens(self.model, self._count_request(messages, kwargs)).total_tokens

    async def acount_tokens(self, messages: Sequence[ChatMessage] | str, **kwargs: Any) -> int:
        return (await self._client.acount_tokens(self.model, self._count_request(messages, kwargs))).total_tokens

    def _count_request(self, messages: Sequence[ChatMessage] | str, kwargs: dict[str, Any]) -> GenerateContentRequest:
        """What the request would hold that the model reads (no turn is made up: the count stays exact)."""
        listed = [_user(messages)] if isinstance(messages, str) else messages
        system, contents = to_contents(listed, function_response_parts=model_info(self.model).family == "3")
        tools = wire_tools([*(self.built_in_tools or ()), *(kwargs.get("tools") or ())])
        return GenerateContentRequest(contents=contents, system_instruction=system, tools=tools,
                                      cached_content=kwargs.get("cached_content", self.cached_content))

    @property
    def client(self) -> CometGeminiClient:
        """The core client (``embed``, raw ``generate``)."""
        return self._client

    @property
    def metadata(self) -> LLMMetadata:
        key = (self.model, self.max_tokens)
        cached = self._metadata  # read once: each read of a private attribute goes through pydantic's __getattr__
        if cached is None or cached[0] != key:
            info = model_info(self.model)
            cached = self._metadata = (key, LLMMetadata(
                context_window=info.context_window,
                num_output=self.max_tokens or info.output_limit,
                is_chat_model=True,
                is_function_calling_model=info.tool_calling,  # not the image and speech models
                model_name=self.model,
                system_role=MessageRole.SYSTEM,  # system messages become the systemInstruction
            ))
        return cached[1]

    # ------------------------------------------------------------------------------------ request building

    def _build_request(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> GenerateContentRequest:
        info = model_info(self.model)
        call, extra, other = call_settings(kwargs, owner="CometGemini", escape=_ESCAPES, passthrough=FRAMEWORK_KWARGS)
        fields = self.__dict__
        settings = {s.name: fields.get(s.name) for s in SETTINGS}
        settings.update(call)
        config, top = request_settings(settings, {**(self.generation_config or {}), **extra}, info)
        system, contents = to_contents(messages, function_response_parts=info.family == "3")
        if not contents:  # Gemini needs a turn: system text alone becomes one, nothing at all is an error
            if system is None:
                raise ValueError(
                    "nothing to send: the messages hold no text, media or tool result (an empty list, or only "
                    "empty messages). Add a user message with content."
                )
            contents, system = [Content(role="user", parts=system.parts)], None
        hatch_tools = top.pop("tools", None) or ()
        tools = wire_tools([*(self.built_in_tools or ()), *(other.get("tools") or ()), *hatch_tools])
        given = [top.pop(key) for key in ("toolConfig", "tool_config") if key in top]
        request = GenerateContentRequest(
            contents=contents,
            system_instruction=system,
            tools=tools,
            tool_config=self._tool_config(given, other) if tools else None,
            generation_config=config,
            **top,
        )
        apply_tool_combination(self.model, request)
        return request

    @staticmethod
    def _tool_config(given: list[Any], call: dict[str, Any]) -> ToolConfig | None:
        """The model's ``tool_config`` (or the escape hatch's ``toolConfig``), the call's, then ``tool_choice``:
        merged setting by setting."""
        choice = tool_config_for(call.get("tool_choice"), bool(call.get("tool_required")))
        return merge_tool_configs(*given, call.get("tool_config"), choice)

    def _stream_request(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> GenerateContentRequest:
        request = self._build_request(messages, kwargs)
        count = candidate_count(request.generation_config)
        if count > 1:
            raise ValueError(f"a stream carries one answer, but candidate_count={count} asks for {count}: use "
                             "chat/complete (every answer in additional_kwargs['candidates']), or candidate_count=1")
        return request

    def _files(self, request: GenerateContentRequest) -> GenerateContentRequest:
        """``request`` with the media ``file_mode`` picks uploaded (nothing happens in the default mode)."""
        if self.file_mode != "inline":
            self._offloader.offload(self._client.files, request.contents, self.file_mode, self.file_upload_threshold)
        return request

    async def _afiles(self, request: GenerateContentRequest) -> GenerateContentRequest:
        if self.file_mode != "inline":
            await self._offloader.aoffload(self._client.files, request.contents, self.file_mode,
                                           self.file_upload_threshold)
        return request

    @staticmethod
    def _chat_response(response: GenerateContentResponse) -> ChatResponse:
        kwargs = response_kwargs(response)
        if len(response.candidates) > 1:  # candidate_count: the first is the message, every one is here
            kwargs["candidates"] = [message_from_response(response, index=i) for i in range(len(response.candidates))]
        return ChatResponse(
            message=message_from_response(response), raw=raw_response(response, kwargs), additional_kwargs=kwargs
        )

    # ------------------------------------------------------------------------------------ chat

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        request = self._files(self._build_request(messages, kwargs))
        return self._chat_response(self._client.generate(self.model, request, max_continuations=self.max_continuations))

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        request = await self._afiles(self._build_request(messages, kwargs))
        return self._chat_response(
            await self._client.agenerate(self.model, request, max_continuations=self.max_continuations))

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        request = self._files(self._stream_request(messages, kwargs))  # bad settings raise here, not at next()

        def gen() -> ChatResponseGen:
            stream = ChatStream()
            for chunk in self._client.stream(self.model, request, max_continuations=self.max_continuations):
                yield stream.feed(chunk)

        return gen()

    def _astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        request = self._stream_request(messages, kwargs)

        async def gen() -> ChatResponseAsyncGen:
            stream = ChatStream()
            chunks = self._client.astream(self.model, await self._afiles(request),
                                          max_continuations=self.max_continuations)
            async with contextlib.aclosing(chunks):  # closing this closes the client's stream at once
                async for chunk in chunks:
                    yield stream.feed(chunk)

        return gen()

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._chat(messages, **kwargs)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return await self._achat(messages, **kwargs)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return self._stream_chat(messages, **kwargs)

    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        return await owning(self._reported_astream_chat(messages, **kwargs))

    @llm_chat_callback()
    async def _reported_astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        """``astream_chat`` inside LlamaIndex's callbacks; ``owning`` closes what it made (see ``_closing``)."""
        return made(self._astream_chat(messages, **kwargs))

    # ------------------------------------------------------------------------------------ Batch mode

    def submit_batch(self, inputs: Sequence[_batch.ChatInput] | Mapping[str, _batch.ChatInput], *,
                     display_name: str | None = None, **kwargs: Any) -> str:
        """Send ``inputs`` (each a prompt or a list of ``ChatMessage``; a ``{key: input}`` mapping keeps your
        keys) as one Gemini batch job, half the price of live calls, answered within 24 hours. ``kwargs`` are
        per-call settings for every input (``temperature=0``, ``tools=...``). Returns the job's name for
        ``collect_batch``."""
        requests = _batch.batch_requests(self, inputs, kwargs)
        for request in requests.values() if isinstance(requests, Mapping) else requests:
            self._files(request)
        return self._client.batches.create(self.model, requests, display_name=display_name).name

    async def asubmit_batch(self, inputs: Sequence[_batch.ChatInput] | Mapping[str, _batch.ChatInput], *,
                            display_name: str | None = None, **kwargs: Any) -> str:
        requests = _batch.batch_requests(self, inputs, kwargs)
        for request in requests.values() if isinstance(requests, Mapping) else requests:
            await self._afiles(request)
        return (await self._client.batches.acreate(self.model, requests, display_name=display_name)).name

    def collect_batch(self, name: str, *, wait: bool = True, poll_interval: float = 10.0,
                      timeout: float | None = None, return_exceptions: bool = False) -> list[ChatResponse | Exception]:
        """The ``ChatResponse`` of each input of batch ``name``, in input order, converted exactly as ``chat``
        converts an answer. ``wait`` polls until the job ends (``timeout`` seconds at most); a failed request
        raises its error, or stands in its place with ``return_exceptions=True``."""
        batches = self._client.batches
        job = batches.wait(name, poll_interval=poll_interval, timeout=timeout) if wait else batches.get(name)
        return _batch.collected(self, job, batches.results(job.name), return_exceptions)

    async def acollect_batch(self, name: str, *, wait: bool = True, poll_interval: float = 10.0,
                             timeout: float | None = None,
                             return_exceptions: bool = False) -> list[ChatResponse | Exception]:
        batches = self._client.batches
        job = await (batches.await_(name, poll_interval=poll_interval, timeout=timeout) if wait
                     else batches.aget(name))
        return _batch.collected(self, job, await batches.aresults(job.name), return_exceptions)

    # ------------------------------------------------------------------------------------ completion

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return _completion(self._chat([_user(prompt)], **kwargs))

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return _completion(await self._achat([_user(prompt)], **kwargs))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        chats = self._stream_chat([_user(prompt)], **kwargs)

        def gen() -> CompletionResponseGen:
            for chat in chats:
                yield _completion(chat)

        return gen()

    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        return await owning(self._reported_astream_complete(prompt, formatted, **kwargs))

    @llm_completion_callback()
    async def _reported_astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        chats = self._astream_chat([_user(prompt)], **kwargs)

        async def gen() -> CompletionResponseAsyncGen:
            async with contextlib.aclosing(chats):
                async for chat in chats:
                    yield _completion(chat)

        return made(gen())

    # ------------------------------------------------------------------------------------ tools

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        messages = list(chat_history or [])  # a copy: the caller's history is never mutated
        if user_msg is not None:
            messages.append(_user(user_msg) if isinstance(user_msg, str) else user_msg)
        tool_config_for(tool_choice, tool_required)  # a bad choice fails here, before the call
        return {"messages": messages, "tools": list(tools), "tool_choice": tool_choice,
                "tool_required": tool_required, **kwargs}

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        if not allow_parallel_tool_calls:
            _keep_first_call(response.message)
        return response

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        calls = [
            ToolSelection(tool_id=b.tool_call_id or "", tool_name=b.tool_name, tool_kwargs=_kwargs_dict(b))
            for b in response.message.blocks
            if isinstance(b, ToolCallBlock)
        ]
        if not calls and error_on_no_tool_call:
            raise ValueError(
                f"Expected at least one tool call, but got none "
                f"(finish_reason={response.additional_kwargs.get('finish_reason')})."
            )
        return calls

    # ------------------------------------------------------------------------------------ structured output

    def _native_structured(self, output_cls: Any) -> bool:
        return self.pydantic_program_mode == PydanticProgramMode.DEFAULT and (
            isinstance(output_cls, type) and issubclass(output_cls, BaseModel)
        )

    def _structured_request(
        self, output_cls: type[BaseModel], prompt: BasePromptTemplate, llm_kwargs: dict[str, Any] | None,
        prompt_args: dict[str, Any],
    ) -> tuple[list[ChatMessage], dict[str, Any], bool]:
        messages = self._get_messages(prompt, **prompt_args)
        if _structured.uses_json_mode(llm_kwargs):
            return messages, _structured.json_kwargs(output_cls, llm_kwargs), True
        return messages, _structured.forced_call_kwargs(output_cls, llm_kwargs or {}), False

    @dispatcher.span
    def structured_predict(
        self, output_cls: type[M], prompt: BasePromptTemplate, llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> M:
        if not self._native_structured(output_cls):
            result: M = super().structured_predict(output_cls, prompt, llm_kwargs, **prompt_args)
            return result
        dispatcher.event(LLMStructuredPredictStartEvent(output_cls=output_cls, template=prompt,
                                                        template_args=prompt_args))
        messages, kwargs, json_mode = self._structured_request(output_cls, prompt, llm_kwargs, prompt_args)
        response = self.chat(messages, **kwargs)
        result = (_structured.parse_json if json_mode else _structured.parse_call)(output_cls, response)
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

    @dispatcher.span
    async def astructured_predict(
        self, output_cls: type[M], prompt: BasePromptTemplate, llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> M:
        if not self._native_structured(output_cls):
            result: M = await super().astructured_predict(output_cls, prompt, llm_kwargs, **prompt_args)
            return result
        dispatcher.event(LLMStructuredPredictStartEvent(output_cls=output_cls, template=prompt,
                                                        template_args=prompt_args))
        messages, kwargs, json_mode = self._structured_request(output_cls, prompt, llm_kwargs, prompt_args)
        response = await self.achat(messages, **kwargs)
        result = (_structured.parse_json if json_mode else _structured.parse_call)(output_cls, response)
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

    def _structured_stream_call(
        self, output_cls: type[M], prompt: BasePromptTemplate, llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Generator[Any, None, None]:
        if not self._native_structured(output_cls):
            return super()._structured_stream_call(output_cls, prompt, llm_kwargs, **prompt_args)  # type: ignore[arg-type]
        messages, kwargs, json_mode = self._structured_request(output_cls, prompt, llm_kwargs, prompt_args)
        return _partial_objects(self.stream_chat(messages, **kwargs), output_cls, None if json_mode else self)

    async def _structured_astream_call(
        self, output_cls: type[M], prompt: BasePromptTemplate, llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[Any, None]:
        if not self._native_structured(output_cls):
            return await super()._structured_astream_call(output_cls, prompt, llm_kwargs, **prompt_args)  # type: ignore[arg-type]
        messages, kwargs, json_mode = self._structured_request(output_cls, prompt, llm_kwargs, prompt_args)
        stream = await self.astream_chat(messages, **kwargs)
        return _apartial_objects(stream, output_cls, None if json_mode else self)


# ---------------------------------------------------------------------------------------- helpers


def _user(text: str) -> ChatMessage:
    return ChatMessage(role=MessageRole.USER, content=text)


def _completion(chat: ChatResponse) -> CompletionResponse:
    return CompletionResponse(
        text=chat.message.content or "", raw=chat.raw, delta=chat.delta, additional_kwargs=chat.additional_kwargs
    )


def _kwargs_dict(block: ToolCallBlock) -> dict[str, Any]:
    args = block.tool_kwargs
    if isinstance(args, dict):
        return args
    import json

    try:
        parsed = json.loads(args) if args.strip() else {}
    except ValueError:
        return {"input": args}
    return parsed if isinstance(parsed, dict) else {"input": parsed}


def _keep_first_call(message: ChatMessage) -> None:
    seen = False
    kept = []
    steps = message.additional_kwargs.get(STEPS_KEY)
    for block in message.blocks:
        if isinstance(block, ToolCallBlock):
            if seen:
                steps = drop_block(steps, len(kept))  # server-side steps keep their place among the rest
                continue
            seen = True
        kept.append(block)
    message.blocks = kept
    if steps is not None:
        message.additional_kwargs[STEPS_KEY] = steps
    calls = message.additional_kwargs.get("tool_calls")
    if calls and len(calls) > 1:
        message.additional_kwargs["tool_calls"] = calls[:1]


def _partial_objects(
    stream: ChatResponseGen, output_cls: type[M], llm: CometGemini | None
) -> Generator[Any, None, None]:
    """Partial objects as the JSON (or the forced call's arguments, when ``llm`` is given) grows."""
    from llama_index.core.program.utils import process_streaming_objects

    current: Any = None
    for response in stream:
        current = process_streaming_objects(response, output_cls, cur_objects=current and [current], llm=llm)
        yield current


async def _apartial_objects(
    stream: ChatResponseAsyncGen, output_cls: type[M], llm: CometGemini | None
) -> AsyncGenerator[Any, None]:
    from llama_index.core.program.utils import process_streaming_objects

    current: Any = None
    async with contextlib.aclosing(stream):
        async for response in stream:
            current = process_streaming_objects(response, output_cls, cur_objects=current and [current], llm=llm)
            yield current



# LlamaIndex's instrumentation binds each span's arguments through inspect.signature on every call
precompute_signatures(CometGemini, "chat", "achat", "stream_chat", "astream_chat", "complete", "acomplete",
                      "stream_complete", "astream_complete", "_reported_astream_chat", "_reported_astream_complete")
