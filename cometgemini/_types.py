"""The Gemini native wire protocol (v1beta) as pydantic models.

Python names are snake_case; on the wire every field is lowerCamelCase (``to_wire`` dumps ``by_alias`` and
without ``None``). Requests and responses both accept either casing when parsed, as Google's proto-JSON does.

Rules that keep us correct on the wire:

* Enums are plain ``str``: Google adds values without notice (``serviceTier``, new finish reasons), and a
  response must never fail to parse because of one.
* Unknown fields are kept (``extra="allow"``), so a response re-serialized or a history part sent back
  carries what we did not model, unchanged.
* Bytes fields (``thoughtSignature``, ``inlineData.data``) stay the base64 *text* they arrived as. Decoding
  and re-encoding would turn URL-safe base64 into standard base64 and break byte-for-byte echoes.
* Schemas (``parameters``, ``parametersJsonSchema``, ``responseSchema`` ...) are plain dicts: their keys are
  JSON Schema keywords and property names, never re-cased.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

__all__ = [
    "BatchEmbedContentsResponse",
    "Blob",
    "Candidate",
    "CitationMetadata",
    "CitationSource",
    "CodeExecutionResult",
    "Content",
    "ContentEmbedding",
    "CountTokensResponse",
    "EmbedContentRequest",
    "ExecutableCode",
    "FileData",
    "FunctionCall",
    "FunctionCallingConfig",
    "FunctionDeclaration",
    "FunctionResponse",
    "GenerateContentRequest",
    "GenerateContentResponse",
    "GenerationConfig",
    "GroundingChunk",
    "GroundingMetadata",
    "GroundingSupport",
    "ModalityTokenCount",
    "Model",
    "Part",
    "PromptFeedback",
    "SafetyRating",
    "SafetySetting",
    "Segment",
    "ThinkingConfig",
    "Tool",
    "ToolCall",
    "ToolConfig",
    "ToolResponse",
    "UrlContextMetadata",
    "UsageMetadata",
    "VideoMetadata",
    "WireModel",
    "is_base64_text",
    "to_wire",
]

JsonDict = dict[str, Any]
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")


class WireModel(BaseModel):
    """Base of every wire object: camelCase aliases, both casings accepted, unknown fields kept."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        ser_json_bytes="base64",
    )


def is_base64_text(text: str) -> bool:
    """True for standard or URL-safe base64 (padding optional): what bytes fields such as
    ``thoughtSignature`` must hold. The server answers anything else with 400 INVALID_ARGUMENT."""
    return bool(_BASE64.fullmatch(text)) and len(text.rstrip("=")) % 4 != 1


def to_wire(model: BaseModel) -> JsonDict:
    """The JSON-ready dict of a wire object: camelCase keys, ``None`` fields left out."""
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")


# --------------------------------------------------------------------------------------------- parts


class Blob(WireModel):
    mime_type: str
    data: str
    """Base64 text (standard or URL-safe), kept exactly as given."""


class FileData(WireModel):
    file_uri: str
    mime_type: str | None = None


class FunctionCall(WireModel):
    name: str
    args: JsonDict = Field(default_factory=dict)
    id: str | None = None


class FunctionResponse(WireModel):
    name: str
    response: JsonDict = Field(default_factory=dict)
    id: str | None = None
    parts: list[Part] | None = None
    will_continue: bool | None = None
    scheduling: str | None = None


class ExecutableCode(WireModel):
    language: str = "PYTHON"
    code: str = ""
    id: str | None = None
    """Set when ``includeServerSideToolInvocations`` is on; the matching result carries the same id."""


class CodeExecutionResult(WireModel):
    outcome: str = "OUTCOME_OK"
    output: str | None = None
    id: str | None = None


class ToolCall(WireModel):
    """A server-side step the model took with a built-in tool (``includeServerSideToolInvocations``)."""

    id: str | None = None
    tool_type: str | None = None
    """``GOOGLE_SEARCH_WEB``, ``GOOGLE_SEARCH_IMAGE``, ``URL_CONTEXT``, ``GOOGLE_MAPS``, ``FILE_SEARCH``,
    ``MEDIA_PROCESSING`` ... (plain ``str``: new values appear without notice)."""
    args: JsonDict = Field(default_factory=dict)
    """Search: ``{"queries": [...]}``."""


class ToolResponse(WireModel):
    """What a built-in tool returned for the ``ToolCall`` with the same ``id``."""

    id: str | None = None
    tool_type: str | None = None
    response: JsonDict = Field(default_factory=dict)
    """Search: ``{"search_suggestions": "<html>"}``."""


class VideoMetadata(WireModel):
    start_offset: str | None = None
    end_offset: str | None = None
    fps: float | None = None


class Part(WireModel):
    """One part of a turn: exactly one data field plus optional metadata."""

    text: str | None = None
    inline_data: Blob | None = None
    file_data: FileData | None = None
    function_call: FunctionCall | None = None
    function_response: FunctionResponse | None = None
    executable_code: ExecutableCode | None = None
    code_execution_result: CodeExecutionResult | None = None
    tool_call: ToolCall | None = None
    tool_response: ToolResponse | None = None
    thought: bool | None = None
    thought_signature: str | None = None
    """Opaque base64 text; sent back unchanged on the same part."""
    video_metadata: VideoMetadata | None = None
    media_resolution: Any = None
    part_metadata: JsonDict | None = None


class Content(WireModel):
    role: str | None = None
    parts: list[Part] = Field(default_factory=list)


# --------------------------------------------------------------------------------------------- tools


class FunctionDeclaration(WireModel):
    name: str
    description: str | None = None
    parameters: JsonDict | None = None
    """Google's OpenAPI-subset schema (upper-case types). Send this or ``parameters_json_schema``."""
    parameters_json_schema: JsonDict | None = None
    response: JsonDict | None = None
    response_json_schema: JsonDict | None = None
    behavior: str | None = None


class Tool(WireModel):
    """One entry of ``tools``; each key present enables that tool."""

    function_declarations: list[FunctionDeclaration] | None = None
    google_search: JsonDict | None = None
    google_search_retrieval: JsonDict | None = None
    code_execution: JsonDict | None = None
    url_context: JsonDict | None = None
    google_maps: JsonDict | None = None
    file_search: JsonDict | None = None
    computer_use: JsonDict | None = None


class FunctionCallingConfig(WireModel):
    mode: str | None = None
    """``AUTO``, ``ANY``, ``NONE`` or ``VALIDATED``."""
    allowed_function_names: list[str] | None = None


class ToolConfig(WireModel):
    function_calling_config: FunctionCallingConfig | None = None
    retrieval_config: JsonDict | None = None
    include_server_side_tool_invocations: bool | None = None
    """Gemini 3: needed to send built-in tools and function declarations in one request; the answer then
    holds the built-in tools' steps as ``toolCall`` / ``toolResponse`` parts, to be sent back unchanged."""


class SafetySetting(WireModel):
    category: str
    threshold: str


class ThinkingConfig(WireModel):
    include_thoughts: bool | None = None
    thinking_budget: int | None = None
    """2.5 models: 0 turns thinking off, -1 lets the model decide."""
    thinking_level: str | None = None
    """Gemini 3 models: ``MINIMAL``, ``LOW``, ``MEDIUM``, ``HIGH``."""


class GenerationConfig(WireModel):
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    candidate_count: int | None = None
    max_output_tokens: int | None = None
    stop_sequences: list[str] | None = None
    response_mime_type: str | None = None
    response_schema: JsonDict | None = None
    response_json_schema: Any = None
    response_modalities: list[str] | None = None
    thinking_config: ThinkingConfig | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    response_logprobs: bool | None = None
    logprobs: int | None = None
    media_resolution: str | None = None
    enable_enhanced_civic_answers: bool | None = None
    speech_config: JsonDict | None = None
    image_config: JsonDict | None = None
    audio_transcription_config: JsonDict | None = None


class GenerateContentRequest(WireModel):
    contents: list[Content] = Field(default_factory=list)
    system_instruction: Content | None = None
    tools: list[Tool] | None = None
    tool_config: ToolConfig | None = None
    safety_settings: list[SafetySetting] | None = None
    generation_config: GenerationConfig | None = None
    cached_content: str | None = None
    service_tier: str | None = None
    continuation_token: str | None = None
    """Continues an answer that ended with ``finishReason: "CONTINUATION"`` (the client follows these itself)."""


# --------------------------------------------------------------------------------------------- responses


class SafetyRating(WireModel):
    category: str | None = None
    probability: str | None = None
    blocked: bool | None = None


class CitationSource(WireModel):
    start_index: int | None = None
    end_index: int | None = None
    uri: str | None = None
    title: str | None = None
    license: str | None = None


class CitationMetadata(WireModel):
    citation_sources: list[CitationSource] = Field(default_factory=list)


class Segment(WireModel):
    part_index: int | None = None
    start_index: int | None = None
    end_index: int | None = None
    text: str | None = None


class GroundingSupport(WireModel):
    segment: Segment | None = None
    grounding_chunk_indices: list[int] = Field(default_factory=list)
    confidence_scores: list[float] | None = None


class GroundingChunk(WireModel):
    web: JsonDict | None = None
    """``{"uri": ..., "title": ...}`` for Google Search and URL context."""
    maps: JsonDict | None = None
    retrieved_context: JsonDict | None = None


class GroundingMetadata(WireModel):
    grounding_chunks: list[GroundingChunk] | None = None
    grounding_supports: list[GroundingSupport] | None = None
    web_search_queries: list[str] | None = None
    search_entry_point: JsonDict | None = None
    retrieval_metadata: JsonDict | None = None
    google_maps_widget_context_token: str | None = None


class UrlContextMetadata(WireModel):
    url_metadata: list[JsonDict] = Field(default_factory=list)


class Candidate(WireModel):
    content: Content = Field(default_factory=Content)
    finish_reason: str | None = None
    finish_message: str | None = None
    index: int = 0
    safety_ratings: list[SafetyRating] | None = None
    citation_metadata: CitationMetadata | None = None
    grounding_metadata: GroundingMetadata | None = None
    url_context_metadata: UrlContextMetadata | None = None
    avg_logprobs: float | None = None
    logprobs_result: JsonDict | None = None
    token_count: int | None = None
    continuation_token: str | None = None
    """With ``finish_reason == "CONTINUATION"``: send the same request again with it to get the rest."""


class PromptFeedback(WireModel):
    block_reason: str | None = None
    block_reason_message: str | None = None
    safety_ratings: list[SafetyRating] | None = None


class ModalityTokenCount(WireModel):
    modality: str | None = None
    token_count: int = 0


class UsageMetadata(WireModel):
    prompt_token_count: int = 0
    cached_content_token_count: int = 0
    candidates_token_count: int = 0
    tool_use_prompt_token_count: int = 0
    thoughts_token_count: int = 0
    total_token_count: int = 0
    prompt_tokens_details: list[ModalityTokenCount] | None = None
    cache_tokens_details: list[ModalityTokenCount] | None = None
    candidates_tokens_details: list[ModalityTokenCount] | None = None
    tool_use_prompt_tokens_details: list[ModalityTokenCount] | None = None
    service_tier: str | None = None


class GenerateContentResponse(WireModel):
    candidates: list[Candidate] = Field(default_factory=list)
    prompt_feedback: PromptFeedback | None = None
    usage_metadata: UsageMetadata | None = None
    model_version: str | None = None
    response_id: str | None = None
    model_status: Any = None

    @property
    def text(self) -> str:
        """The answer text of the first candidate, thoughts left out."""
        if not self.candidates:
            return ""
        parts = self.candidates[0].content.parts
        return "".join(p.text for p in parts if p.text and not p.thought)


# --------------------------------------------------------------------------------------------- other methods


class CountTokensResponse(WireModel):
    model_config = ConfigDict(defer_build=True)  # rarely used: its validator is built on first use

    total_tokens: int = 0
    cached_content_token_count: int | None = None
    prompt_tokens_details: list[ModalityTokenCount] | None = None
    cache_tokens_details: list[ModalityTokenCount] | None = None


class EmbedContentRequest(WireModel):
    model_config = ConfigDict(defer_build=True)  # rarely used: its validator is built on first use

    model: str | None = None
    content: Content
    task_type: str | None = None
    title: str | None = None
    output_dimensionality: int | None = None


class ContentEmbedding(WireModel):
    model_config = ConfigDict(defer_build=True)  # rarely used: its validator is built on first use

    values: list[float] = Field(default_factory=list)


class BatchEmbedContentsResponse(WireModel):
    model_config = ConfigDict(defer_build=True)  # rarely used: its validator is built on first use

    embeddings: list[ContentEmbedding] = Field(default_factory=list)


class Model(WireModel):
    model_config = ConfigDict(defer_build=True)  # rarely used: its validator is built on first use

    name: str = ""
    base_model_id: str | None = None
    version: str | None = None
    display_name: str | None = None
    description: str | None = None
    input_token_limit: int | None = None
    output_token_limit: int | None = None
    supported_generation_methods: list[str] | None = None
    temperature: float | None = None
    max_temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    thinking: bool | None = None


FunctionResponse.model_rebuild()
