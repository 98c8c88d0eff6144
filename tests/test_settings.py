"""Every ``generateContent`` setting, through both adapters' public API, checked against the request on the wire.

One table (``cometgemini._settings.SETTINGS``) says what each setting is called and where it goes; these tests
send each one from ``ChatCometGemini`` and ``CometGemini``, at construction and per call, in snake_case and in
camelCase, and read the JSON body an ``httpx.MockTransport`` received.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.llms import ChatMessage

from cometgemini._settings import SETTINGS, UnknownSettingError, lookup
from cometgemini._types import GenerateContentRequest, GenerationConfig
from langchain_cometgemini import ChatCometGemini
from llamaindex_cometgemini import CometGemini

# google-genai's Developer-API converter (_GenerateContentConfig_to_mldev): the generationConfig fields it sends
DEVELOPER_API_GENERATION = {
    "temperature", "topP", "topK", "candidateCount", "maxOutputTokens", "stopSequences", "responseLogprobs",
    "logprobs", "presencePenalty", "frequencyPenalty", "seed", "responseMimeType", "responseSchema",
    "responseJsonSchema", "responseModalities", "mediaResolution", "speechConfig", "thinkingConfig",
    "imageConfig", "enableEnhancedCivicAnswers", "audioTranscriptionConfig",
}  # fmt: skip
REQUEST_LEVEL = {"safetySettings", "cachedContent", "serviceTier", "labels", "toolConfig"}


class Server:
    """Answers with as many candidates as were asked for, and keeps every JSON body."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    @property
    def body(self) -> dict[str, Any]:
        return self.bodies[-1]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        count = (body.get("generationConfig") or {}).get("candidateCount") or 1
        candidates = [{"content": {"role": "model", "parts": [{"text": f"answer {i}"}]}, "finishReason": "STOP",
                       "index": i} for i in range(count)]
        return httpx.Response(200, json={"candidates": candidates, "modelVersion": "m", "responseId": "r",
                                         "usageMetadata": {"promptTokenCount": 2, "candidatesTokenCount": 2,
                                                           "totalTokenCount": 4}})


def langchain(server: Server, **kwargs: Any) -> ChatCometGemini:
    transport = httpx.MockTransport(server)
    return ChatCometGemini(api_key="k", max_retries=0, http_client=httpx.Client(transport=transport),
                           http_async_client=httpx.AsyncClient(transport=transport), **kwargs)


def llamaindex(server: Server, **kwargs: Any) -> CometGemini:
    transport = httpx.MockTransport(server)
    return CometGemini(api_key="k", max_retries=0, http_client=httpx.Client(transport=transport),
                       http_async_client=httpx.AsyncClient(transport=transport), **kwargs)


HI = [ChatMessage(role="user", content="hi")]

# setting -> (value given, what the wire holds: {"generationConfig": {...}} and/or top-level fields)
CASES: dict[str, tuple[Any, dict[str, Any]]] = {
    "temperature": (0.3, {"generationConfig": {"temperature": 0.3}}),
    "top_p": (0.9, {"generationConfig": {"topP": 0.9}}),
    "top_k": (20, {"generationConfig": {"topK": 20}}),
    "max_tokens": (50, {"generationConfig": {"maxOutputTokens": 50}}),
    "stop": (["END"], {"generationConfig": {"stopSequences": ["END"]}}),
    "candidate_count": (2, {"generationConfig": {"candidateCount": 2}}),
    "seed": (7, {"generationConfig": {"seed": 7}}),
    "presence_penalty": (0.5, {"generationConfig": {"presencePenalty": 0.5}}),
    "frequency_penalty": (0.25, {"generationConfig": {"frequencyPenalty": 0.25}}),
    "response_logprobs": (True, {"generationConfig": {"responseLogprobs": True}}),
    "logprobs": (3, {"generationConfig": {"logprobs": 3}}),
    "response_mime_type": ("text/x.enum", {"generationConfig": {"responseMimeType": "text/x.enum"}}),
    "response_schema": ({"type": "STRING"}, {"generationConfig": {
        "responseSchema": {"type": "STRING"}, "responseMimeType": "application/json"}}),
    "response_json_schema": ({"type": "object", "properties": {"a_b": {"type": "string"}}}, {"generationConfig": {
        "responseJsonSchema": {"type": "object", "properties": {"a_b": {"type": "string"}}},
        "responseMimeType": "application/json"}}),
    "response_modalities": (["text", "image"], {"generationConfig": {"responseModalities": ["TEXT", "IMAGE"]}}),
    "media_resolution": ("low", {"generationConfig": {"mediaResolution": "MEDIA_RESOLUTION_LOW"}}),
    "speech_config": ("Kore", {"generationConfig": {
        "speechConfig": {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Kore"}}}}}),
    "image_config": ({"aspect_ratio": "16:9", "image_size": "2K"}, {"generationConfig": {
        "imageConfig": {"aspectRatio": "16:9", "imageSize": "2K"}}}),
    "audio_transcription_config": ({"language_codes": ["en-US"]}, {"generationConfig": {
        "audioTranscriptionConfig": {"languageCodes": ["en-US"]}}}),
    "enable_enhanced_civic_answers": (True, {"generationConfig": {"enableEnhancedCivicAnswers": True}}),
    "thinking_level": ("low", {"generationConfig": {"thinkingConfig": {"thinkingLevel": "LOW"}}}),
    "thinking_budget": (512, {"generationConfig": {"thinkingConfig": {"thinkingBudget": 512}}}),
    "include_thoughts": (True, {"generationConfig": {"thinkingConfig": {"includeThoughts": True}}}),
    "safety_settings": ({"HARASSMENT": "BLOCK_NONE"}, {"safetySettings": [
        {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]}),
    "cached_content": ("cachedContents/abc", {"cachedContent": "cachedContents/abc"}),
    "service_tier": ("flex", {"serviceTier": "flex"}),
    "labels": ({"team": "search"}, {"labels": {"team": "search"}}),
    "tool_config": ({"function_calling_config": {"mode": "NONE"}}, {"toolConfig": {
        "functionCallingConfig": {"mode": "NONE"}}}),
}
MODEL = {"thinking_budget": "gemini-2.5-flash"}  # 2.5 takes a budget; everything else runs on the default model
TOOLS = [{"googleSearch": {}}]  # LlamaIndex sends toolConfig only along with tools


def _matches(body: dict[str, Any], expected: dict[str, Any]) -> None:
    for key, value in expected.items():
        if key == "generationConfig":
            assert body.get("generationConfig") == value, (body.get("generationConfig"), value)
        else:
            assert body.get(key) == value, (key, body.get(key), value)


def test_the_table_holds_every_field_the_developer_api_takes() -> None:
    wire = {s.wire for s in SETTINGS if s.where == "generation"} | {"thinkingConfig"}
    assert wire == DEVELOPER_API_GENERATION
    assert {s.wire for s in SETTINGS if s.where == "request"} == REQUEST_LEVEL
    modelled = {f.alias for f in GenerationConfig.model_fields.values()}
    assert modelled >= DEVELOPER_API_GENERATION  # the wire types know them too (the emulator checks against them)
    assert set(CASES) == {s.name for s in SETTINGS}
    assert all(s.doc.strip() for s in SETTINGS)


def test_every_setting_is_a_documented_field_of_both_adapters() -> None:
    for setting in SETTINGS:
        field = ChatCometGemini.model_fields[setting.langchain_name]
        assert field.description or setting.name in _LANGCHAIN_DOCSTRING_FIELDS, setting.name
        if setting.name != "tool_config":  # LlamaIndex's tool_config field comes with the tool-combination work
            assert CometGemini.model_fields[setting.name].description, setting.name


_LANGCHAIN_DOCSTRING_FIELDS = {"temperature", "top_p", "top_k", "max_tokens", "stop", "seed", "presence_penalty",
                               "frequency_penalty", "thinking_budget", "thinking_level", "include_thoughts",
                               "safety_settings", "response_modalities", "media_resolution", "cached_content"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_langchain_sends_each_setting_from_construction_and_per_call(name: str) -> None:
    value, expected = CASES[name]
    setting = lookup(name)
    assert setting is not None
    model = MODEL.get(name, "gemini-3-flash-preview")
    server = Server()
    langchain(server, model=model, **{setting.langchain_name: value}).invoke("hi")
    _matches(server.body, expected)
    langchain(server, model=model).invoke("hi", **{setting.wire: value})  # camelCase, per call
    _matches(server.body, expected)
    langchain(server, model=model).bind(**{setting.name: value}).invoke("hi")  # bound, by canonical name
    _matches(server.body, expected)


@pytest.mark.parametrize("name", sorted(CASES))
def test_llamaindex_sends_each_setting_from_construction_and_per_call(name: str) -> None:
    value, expected = CASES[name]
    setting = lookup(name)
    assert setting is not None
    extra: dict[str, Any] = {"model": MODEL.get(name, "gemini-3-flash-preview")}
    if name == "tool_config":
        extra["built_in_tools"] = TOOLS
    server = Server()
    llamaindex(server, **extra, **{setting.name: value}).chat(HI)
    _matches(server.body, expected)
    llamaindex(server, **extra, **{setting.wire: value}).chat(HI)  # camelCase, at construction
    _matches(server.body, expected)
    llamaindex(server, **extra).chat(HI, **{setting.wire: value})  # camelCase, per call
    _matches(server.body, expected)
    llamaindex(server, **extra).complete("hi", **{setting.name: value})
    _matches(server.body, expected)


def test_a_call_overrides_construction_and_google_thinking_config_is_read() -> None:
    server = Server()
    langchain(server, temperature=1.0, thinking_config={"thinking_level": "high"}).invoke("hi", temperature=0.0)
    assert server.body["generationConfig"] == {"temperature": 0.0, "thinkingConfig": {"thinkingLevel": "HIGH"}}
    llamaindex(server, temperature=1.0).chat(HI, temperature=0.0, thinkingConfig={"includeThoughts": True})
    assert server.body["generationConfig"] == {"temperature": 0.0, "thinkingConfig": {"includeThoughts": True}}


# ------------------------------------------------------------------------------------------- unknown names


@pytest.mark.parametrize(("given", "closest"), [("temprature", "temperature"), ("imagconfig", "image_config"),
                                                ("candidate_cout", "candidate_count"),
                                                ("serviceTeir", "serviceTier")])
def test_an_unknown_setting_names_the_closest_one_before_sending(given: str, closest: str) -> None:
    server = Server()
    for build in (lambda: langchain(server, **{given: 1}), lambda: llamaindex(server, **{given: 1}),
                  lambda: langchain(server).invoke("hi", **{given: 1}),
                  lambda: llamaindex(server).chat(HI, **{given: 1}),
                  lambda: llamaindex(server).complete("hi", **{given: 1}),
                  lambda: list(llamaindex(server).stream_chat(HI, **{given: 1}))):
        with pytest.raises(UnknownSettingError, match=f"{given!r} is not a setting.*Did you mean {closest!r}"):
            build()
    assert server.bodies == []
    assert issubclass(UnknownSettingError, TypeError) and issubclass(UnknownSettingError, ValueError)


def test_a_bad_value_per_call_is_refused_before_sending() -> None:
    server = Server()
    with pytest.raises(ValueError, match="temperature='hot' is not valid"):
        langchain(server).invoke("hi", temperature="hot")
    with pytest.raises(ValueError, match="candidate_count='two' is not valid"):
        llamaindex(server).chat(HI, candidate_count="two")
    assert server.bodies == []


def test_the_llamaindex_cases_that_used_to_be_dropped() -> None:
    server = Server()
    llm = llamaindex(server, image_config={"aspect_ratio": "1:1"}, additional_kwargs={"store": False})
    llm.chat(HI, service_tier="flex")
    assert server.body["generationConfig"] == {"imageConfig": {"aspectRatio": "1:1"}}
    assert server.body["serviceTier"] == "flex" and server.body["store"] is False
    response = llm.complete("hi", candidate_count=2)
    assert server.body["generationConfig"]["candidateCount"] == 2
    assert response.text == "answer 0"
    assert [m.content for m in response.additional_kwargs["candidates"]] == ["answer 0", "answer 1"]
    llamaindex(server, imageConfig={"aspectRatio": "4:3"}).chat(HI)
    assert server.body["generationConfig"] == {"imageConfig": {"aspectRatio": "4:3"}}


def test_the_escape_hatches_send_fields_the_table_does_not_know() -> None:
    server = Server()
    langchain(server, model_kwargs={"audioTimestamp": True}).invoke("hi", model_kwargs={"store": True})
    assert server.body["generationConfig"] == {"audioTimestamp": True} and server.body["store"] is True
    llamaindex(server, generation_config={"audioTimestamp": True}).chat(HI, generation_config={"store": True})
    assert server.body["generationConfig"] == {"audioTimestamp": True} and server.body["store"] is True
    llamaindex(server).chat(HI, additional_kwargs={"newField": 1})
    assert server.body["generationConfig"] == {"newField": 1}
    with pytest.raises(ValueError, match="not both"):
        llamaindex(server, generation_config={}, additional_kwargs={})


def test_llamaindex_framework_arguments_are_not_settings() -> None:
    """What LlamaIndex's own helpers pass to ``chat`` is accepted, never mistaken for an unknown setting."""
    from llama_index.core.tools import FunctionTool

    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    server = Server()
    llm = llamaindex(server)
    tool = FunctionTool.from_defaults(add)
    llm.chat_with_tools([tool], user_msg="2+2?", verbose=True, allow_parallel_tool_calls=True, tool_required=True,
                        tool_choice="add", temperature=0.0)
    assert server.body["toolConfig"]["functionCallingConfig"]["mode"] == "ANY"
    assert server.body["generationConfig"] == {"temperature": 0.0}
    llm.chat(HI, tools=[tool], tool_choice="auto", tool_required=False, allow_parallel_tool_calls=False,
             verbose=False, stream=False)
    llm.complete("hi", formatted=True)
    assert len(server.bodies) == 3


# ------------------------------------------------------------------------------------------- several answers


def test_langchain_n_gives_n_generations_per_prompt() -> None:
    server = Server()
    result = langchain(server, n=2).generate([[HumanMessage("a")], [HumanMessage("b")]])
    assert [len(g) for g in result.generations] == [2, 2]
    assert [g.text for g in result.generations[0]] == ["answer 0", "answer 1"]
    assert all(b["generationConfig"] == {"candidateCount": 2} for b in server.bodies)
    assert "n" not in server.body["generationConfig"]
    result = langchain(server).generate([[HumanMessage("a")]], n=3)
    assert len(result.generations[0]) == 3 and server.body["generationConfig"] == {"candidateCount": 3}
    assert langchain(server, candidate_count=2).invoke("hi").text == "answer 0"  # invoke: the first


async def test_streaming_several_answers_is_refused_before_sending() -> None:
    server = Server()
    with pytest.raises(ValueError, match="n=2 asks for 2"):
        list(langchain(server, n=2).stream("hi"))
    with pytest.raises(ValueError, match="n=3 asks for 3"):
        [c async for c in langchain(server).astream("hi", n=3)]
    with pytest.raises(ValueError, match="streaming=True"):
        langchain(server, n=2, streaming=True)
    with pytest.raises(ValueError, match="candidate_count=2"):
        llamaindex(server, candidate_count=2).stream_chat(HI)
    with pytest.raises(ValueError, match="candidate_count=2"):
        await llamaindex(server).astream_complete("hi", candidate_count=2)
    assert server.bodies == []


def test_requests_built_from_settings_are_valid_wire_requests() -> None:
    server = Server()
    # cached_content is left out: next to tool_config it is refused before sending (tests/unit/test_caches.py)
    langchain(server, **{lookup(n).langchain_name: v for n, (v, _) in CASES.items()  # type: ignore[union-attr]
                         if n not in ("thinking_budget", "response_schema", "cached_content")}).invoke("hi")
    request = GenerateContentRequest.model_validate(server.body)
    assert request.generation_config is not None and request.generation_config.candidate_count == 2
    assert request.service_tier == "flex"


# ------------------------------------------------------------------------------------------- the README


def readme_row(setting: Any) -> str:
    """The README's row for ``setting`` ("Every setting"), rendered from the table so the two cannot drift."""
    where = {"generation": "generationConfig.", "thinking": "generationConfig.thinkingConfig.", "request": ""}
    kind = str(setting.annotation).replace("typing.", "").replace("<class '", "").replace("'>", "")
    also = [a for a in setting.spellings if a not in (setting.langchain_name, setting.name)]
    also_text = ", ".join(f"`{a}`" for a in also) or "–"
    return (f"| `{setting.langchain_name}` | `{setting.name}` | {also_text} | `{where[setting.where]}{setting.wire}` "
            f"| `{kind.replace(' | ', ' or ')}` | {setting.doc} |")


def test_the_readme_lists_every_setting_as_the_table_says() -> None:
    from tests._fixtures import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [readme_row(s) for s in SETTINGS if readme_row(s) not in readme]
    assert missing == [], "update README.md's 'Every setting' table:\n" + "\n".join(missing)
