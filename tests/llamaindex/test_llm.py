"""The ``CometGemini`` object: fields, secrecy, metadata, imports, structured output, callbacks (MockTransport)."""

from __future__ import annotations

import json
import pickle

import pytest
from llama_index.core.base.llms.types import ChatMessage, ToolCallBlock
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.prompts import ChatPromptTemplate, PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel, Field

from llamaindex_cometgemini import CometGemini
from tests.llamaindex._mock import Recorder, make_llm, sse_of, text_response

USER = [ChatMessage(role="user", content="Hi")]


class Person(BaseModel):
    """A person."""

    name: str
    age: int = Field(ge=0)


def lookup(name: str) -> str:
    """Look a person up."""
    return name


def test_import_paths() -> None:
    from llama_index.llms.cometgemini import CometGemini as Alias

    assert Alias is CometGemini
    assert CometGemini.class_name() == "CometGemini"


def test_defaults_and_metadata_without_network() -> None:
    rec = Recorder()
    llm = make_llm(rec)
    assert llm.model == "gemini-3-flash-preview" and llm.max_retries == 0
    assert CometGemini.model_fields["max_retries"].default == 2
    meta = llm.metadata
    assert meta.is_function_calling_model and meta.is_chat_model
    assert meta.context_window == 1_048_576 and meta.num_output == 65_536
    assert meta.model_name == "gemini-3-flash-preview"
    assert make_llm(rec, model="gemini-2.0-flash", max_tokens=100).metadata.num_output == 100
    assert rec.requests == []


def test_key_from_environment_and_never_serialized(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMETAPI_KEY", "sk-env-secret")
    monkeypatch.setenv("COMETAPI_BASE_URL", "https://example.test")
    llm = CometGemini()
    assert llm.base_url == "https://example.test"
    explicit = CometGemini(api_key="sk-explicit-secret")
    for model, secret in ((llm, "sk-env-secret"), (explicit, "sk-explicit-secret")):
        assert secret not in json.dumps(model.to_dict())
        assert secret not in model.to_json()
        assert secret not in repr(model) and secret not in str(model)
        assert secret not in json.dumps(model.to_payload())
        assert "api_key" not in model.to_dict()


def test_no_key_fails_clearly() -> None:
    with pytest.raises(ValueError, match="COMETAPI_KEY"):
        CometGemini()


def test_round_trip_through_dict_and_pickle() -> None:
    llm = CometGemini(api_key="k", temperature=0.3, thinking_level="HIGH", stop=["x"])
    data = llm.to_dict()
    assert data["class_name"] == "CometGemini" and data["temperature"] == 0.3
    again = CometGemini.from_dict(data, api_key="k")
    assert again.thinking_level == "HIGH" and again.stop == ["x"]
    clone = pickle.loads(pickle.dumps(llm))
    assert clone.temperature == 0.3 and clone.client.base_url == llm.client.base_url


def test_parallel_calls_trimmed_unless_allowed() -> None:
    reply = text_response()
    reply["candidates"][0]["content"]["parts"] = [
        {"functionCall": {"name": "lookup", "args": {"name": "a"}, "id": "1"}},
        {"functionCall": {"name": "lookup", "args": {"name": "b"}, "id": "2"}},
    ]
    tools = [FunctionTool.from_defaults(lookup)]
    llm = make_llm(Recorder(reply))
    single = llm.chat_with_tools(tools, user_msg="go")
    assert [c.tool_id for c in llm.get_tool_calls_from_response(single)] == ["1"]
    both = llm.chat_with_tools(tools, user_msg="go", allow_parallel_tool_calls=True)
    assert [c.tool_id for c in llm.get_tool_calls_from_response(both)] == ["1", "2"]


def test_predict_and_call_runs_the_tool() -> None:
    reply = text_response()
    reply["candidates"][0]["content"]["parts"] = [{"functionCall": {"name": "lookup", "args": {"name": "Ada"}}}]
    result = make_llm(Recorder(reply)).predict_and_call([FunctionTool.from_defaults(lookup)], user_msg="who?")
    assert result.response == "Ada"


# ------------------------------------------------------------------------------------------- structured output


def test_structured_predict_uses_response_json_schema_and_keeps_system_prompt() -> None:
    rec = Recorder(text_response('{"name": "Ada", "age": 36}'))
    llm = make_llm(rec, system_prompt="You extract people.")
    prompt = ChatPromptTemplate.from_messages([("system", "Be exact."), ("user", "Who is {who}?")])
    person = llm.structured_predict(Person, prompt, who="Ada")
    assert person == Person(name="Ada", age=36)
    config = rec.last["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    schema = config["responseJsonSchema"]
    assert schema["properties"]["age"]["minimum"] == 0 and set(schema["required"]) == {"name", "age"}
    assert rec.last["systemInstruction"] == {"parts": [{"text": "You extract people."}, {"text": "Be exact."}]}
    assert rec.last["contents"] == [{"role": "user", "parts": [{"text": "Who is Ada?"}]}]
    assert "tools" not in rec.last


async def test_astructured_predict_and_as_structured_llm() -> None:
    rec = Recorder(text_response('{"name": "Bo", "age": 5}'))
    llm = make_llm(rec)
    assert await llm.astructured_predict(Person, PromptTemplate("Who? {x}"), x="Bo") == Person(name="Bo", age=5)
    structured = llm.as_structured_llm(Person)
    response = structured.chat(USER)
    assert json.loads(response.message.content or "") == {"name": "Bo", "age": 5}
    assert rec.last["generationConfig"]["responseMimeType"] == "application/json"
    response = await structured.achat(USER)
    assert response.raw == Person(name="Bo", age=5)


def test_structured_predict_bad_json_says_why() -> None:
    reply = text_response('{"name": "Ada"')
    reply["candidates"][0]["finishReason"] = "MAX_TOKENS"
    with pytest.raises(ValueError, match="MAX_TOKENS"):
        make_llm(Recorder(reply)).structured_predict(Person, PromptTemplate("Who?"))


def test_structured_predict_with_tools_forces_a_function_call() -> None:
    reply = text_response()
    call = {"name": "Person", "args": {"name": "Cy", "age": 9}}
    reply["candidates"][0]["content"]["parts"] = [{"functionCall": call}]
    rec = Recorder(reply)
    result = make_llm(rec).structured_predict(
        Person, PromptTemplate("Who?"), llm_kwargs={"tools": [FunctionTool.from_defaults(lookup)]}
    )
    assert result == Person(name="Cy", age=9)
    assert rec.last["toolConfig"] == {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["Person"]}}
    assert [d["name"] for d in rec.last["tools"][0]["functionDeclarations"]] == ["Person", "lookup"]
    assert "responseMimeType" not in rec.last.get("generationConfig", {})


def test_stream_structured_predict_yields_growing_objects() -> None:
    events = [
        {"candidates": [{"content": {"role": "model", "parts": [{"text": '{"name": "Ad'}]}}]},
        {"candidates": [{"content": {"role": "model", "parts": [{"text": 'a", "age": 36}'}]},
                         "finishReason": "STOP"}]},
    ]
    rec = Recorder(stream=sse_of(events))
    outputs = list(make_llm(rec).stream_structured_predict(Person, PromptTemplate("Who?")))
    assert outputs[-1] == Person(name="Ada", age=36)
    assert outputs[0].name == "Ad"  # type: ignore[union-attr]
    assert rec.last["generationConfig"]["responseMimeType"] == "application/json"


async def test_astream_structured_predict() -> None:
    events = [{"candidates": [{"content": {"role": "model", "parts": [{"text": '{"name": "Ada", "age": 1}'}]},
                               "finishReason": "STOP"}]}]
    llm = make_llm(Recorder(stream=sse_of(events)))
    outputs = [o async for o in await llm.astream_structured_predict(Person, PromptTemplate("Who?"))]
    assert outputs[-1] == Person(name="Ada", age=1)


# ------------------------------------------------------------------------------------------- callbacks


def test_token_counting_handler_matches_usage() -> None:
    counter = TokenCountingHandler()
    reply = text_response("Hello", promptTokenCount=11, candidatesTokenCount=7, thoughtsTokenCount=5,
                          totalTokenCount=23)
    events = [{"candidates": [{"content": {"role": "model", "parts": [{"text": "Hel"}]}}],
               "usageMetadata": {"promptTokenCount": 11, "candidatesTokenCount": 1, "totalTokenCount": 12}},
              {"candidates": [{"content": {"role": "model", "parts": [{"text": "lo"}]}, "finishReason": "STOP"}],
               "usageMetadata": {"promptTokenCount": 11, "candidatesTokenCount": 2, "thoughtsTokenCount": 4,
                                 "totalTokenCount": 17}}]
    llm = make_llm(Recorder(reply, stream=sse_of(events)), callback_manager=CallbackManager([counter]))
    llm.chat(USER)
    llm.complete("Hi")
    list(llm.stream_chat(USER))
    assert counter.prompt_llm_token_count == 11 + 11 + 11
    assert counter.completion_llm_token_count == 12 + 12 + 6
    assert counter.total_llm_token_count == 23 + 23 + 17
    assert len(counter.llm_token_counts) == 3  # complete() is one LLM event, not two


def test_tool_call_message_survives_json_and_is_replayed() -> None:
    reply = text_response()
    reply["candidates"][0]["content"]["parts"] = [
        {"text": "Let me check.", "thoughtSignature": "dGV4dA=="},
        {"functionCall": {"name": "lookup", "args": {"name": "a"}, "id": "q1"}, "thoughtSignature": "Y2FsbA=="},
    ]
    rec = Recorder(reply)
    llm = make_llm(rec)
    message = llm.chat(USER).message
    assert [type(b) for b in message.blocks][-1] is ToolCallBlock
    restored = ChatMessage.model_validate(json.loads(message.model_dump_json()))
    llm.chat([*USER, restored, ChatMessage(role="tool", content="x", additional_kwargs={"tool_call_id": "q1"})])
    assert rec.last["contents"][1]["parts"] == reply["candidates"][0]["content"]["parts"]


@pytest.mark.filterwarnings("ignore:is_running called from within a step:DeprecationWarning")
@pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211")
async def test_react_agent_uses_a_tool_through_text() -> None:
    from llama_index.core.agent.workflow import ReActAgent, ToolCallResult

    steps = [
        'Thought: I need the weather.\nAction: lookup\nAction Input: {"name": "Lima"}',
        "Thought: I can answer without using any more tools.\nAnswer: Lima is sunny.",
    ]

    def script(rec: Recorder) -> bytes:
        text = steps[min(len(rec.requests), len(steps)) - 1]
        return sse_of([{"candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                                        "finishReason": "STOP"}]}])

    rec = Recorder(stream=script)
    agent = ReActAgent(tools=[FunctionTool.from_defaults(lookup)], llm=make_llm(rec))
    handler = agent.run("Weather in Lima?")
    results = [ev async for ev in handler.stream_events() if isinstance(ev, ToolCallResult)]
    final = await handler
    assert [r.tool_output.content for r in results] == ["Lima"]
    assert "Lima is sunny." in str(final)
    assert "Observation: Lima" in json.dumps(rec.last["contents"])
