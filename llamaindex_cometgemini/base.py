"""``CometGemini``: a LlamaIndex ``FunctionCallingLLM`` over Gemini's native API (CometAPI, Google, emulator).

The class holds settings and drives the core client; every conversion is a pure function elsewhere
(``_messages``, ``_tools``, ``_request``, ``_stream``, ``_structured``). Sync methods use the core's sync
client and never start an event loop, so they work inside a running one (Jupyter, async servers).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Generator, Sequence
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
from cometgemini._signatures import precompute_signatures
from cometgemini._types import Content, GenerateContentRequest, GenerateContentResponse, GenerationConfig

from . import _structured
from ._messages import message_from_response, raw_response, response_kwargs, to_contents
from ._request import OVERRIDABLE, generation_config, safety_settings, thinking_config
from ._stream import ChatStream
from ._tools import tool_config_for, wire_tools

if TYPE_CHECKING:
    from llama_index.core.prompts import BasePromptTemplate
    from llama_index.core.tools.types import BaseTool

__all__ = ["DEFAULT_MODEL", "CometGemini"]

DEFAULT_MODEL = "gemini-3-flash-preview"
dispatcher = instrument.get_dispatcher(__name__)  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=64)
def model_info(model: str) -> ModelInfo:
    return _catalog_info(model)
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
    cached_content: str | None = Field(default=None, description="A cachedContents/... resource to reuse.")
    built_in_tools: list[dict[str, Any]] | None = Field(
        default=None, description="Gemini tools sent on every call, e.g. [{'googleSearch': {}}]."
    )
    timeout: float | None = Field(default=120.0, description="Seconds per request (None: no limit).")
    max_retries: int = Field(default=2, description="Retries after the first attempt; 0 disables.")
    default_headers: dict[str, str] | None = Field(default=None, description="Extra headers on every request.")
    allow_insecure_http: bool = Field(
        default=False, description="Allow http:// to a non-loopback host (the key travels in clear text)."
    )

    _client: CometGeminiClient = PrivateAttr()
    _metadata: tuple[tuple[str, int | None], LLMMetadata] | None = PrivateAttr(default=None)

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model=model, **kwargs)
        info = model_info(self.model)
        thinking_config(info, self.thinking_level, self.thinking_budget, self.include_thoughts)
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

    def _settings(self, overrides: dict[str, Any]) -> dict[str, Any]:
        settings = {name: getattr(self, name) for name in OVERRIDABLE}
        settings.update(overrides)
        return settings

    def _build_request(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> GenerateContentRequest:
        info = model_info(self.model)
        settings = self._settings({k: kwargs[k] for k in OVERRIDABLE.intersection(kwargs)})
        config = generation_config(settings, info)
        if kwargs.get("response_json_schema") is not None or kwargs.get("response_mime_type"):
            config = config.model_copy() if config is not None else GenerationConfig()
            config.response_json_schema = kwargs.get("response_json_schema")
            config.response_mime_type = kwargs.get("response_mime_type") or "application/json"
        system, contents = to_contents(messages, function_response_parts=info.family == "3")
        if not contents:  # Gemini needs a turn: system text alone becomes one, nothing at all is an error
            if system is None:
                raise ValueError(
                    "nothing to send: the messages hold no text, media or tool result (an empty list, or only "
                    "empty messages). Add a user message with content."
                )
            contents, system = [Content(role="user", parts=system.parts)], None
        tools = wire_tools([*(self.built_in_tools or ()), *(kwargs.get("tools") or ())])
        tool_config = kwargs.get("tool_config") or tool_config_for(
            kwargs.get("tool_choice"), bool(kwargs.get("tool_required"))
        )
        return GenerateContentRequest(
            contents=contents,
            system_instruction=system,
            tools=tools,
            tool_config=tool_config if tools else None,
            safety_settings=safety_settings(settings["safety_settings"]),
            generation_config=config,
            cached_content=settings["cached_content"],
        )

    @staticmethod
    def _chat_response(response: GenerateContentResponse) -> ChatResponse:
        kwargs = response_kwargs(response)
        return ChatResponse(
            message=message_from_response(response), raw=raw_response(response, kwargs), additional_kwargs=kwargs
        )

    # ------------------------------------------------------------------------------------ chat

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        request = self._build_request(messages, kwargs)
        return self._chat_response(self._client.generate(self.model, request))

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        request = self._build_request(messages, kwargs)
        return self._chat_response(await self._client.agenerate(self.model, request))

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        request = self._build_request(messages, kwargs)  # bad settings raise here, not at the first next()

        def gen() -> ChatResponseGen:
            stream = ChatStream()
            for chunk in self._client.stream(self.model, request):
                yield stream.feed(chunk)

        return gen()

    def _astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        request = self._build_request(messages, kwargs)

        async def gen() -> ChatResponseAsyncGen:
            stream = ChatStream()
            async for chunk in self._client.astream(self.model, request):
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

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        return self._astream_chat(messages, **kwargs)

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

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        chats = self._astream_chat([_user(prompt)], **kwargs)

        async def gen() -> CompletionResponseAsyncGen:
            async for chat in chats:
                yield _completion(chat)

        return gen()

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
        return {
            "messages": messages,
            "tools": list(tools),
            "tool_config": tool_config_for(tool_choice, tool_required) if tools else None,
            **kwargs,
        }

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
    for block in message.blocks:
        if isinstance(block, ToolCallBlock):
            if seen:
                continue
            seen = True
        kept.append(block)
    message.blocks = kept
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
    async for response in stream:
        current = process_streaming_objects(response, output_cls, cur_objects=current and [current], llm=llm)
        yield current



# LlamaIndex's instrumentation binds each span's arguments through inspect.signature on every call
precompute_signatures(CometGemini, "chat", "achat", "stream_chat", "astream_chat", "complete", "acomplete",
                      "stream_complete", "astream_complete")
