"""A ``with_structured_output`` runnable written with ``dumps`` and revived with ``loads`` answers like the
original, for every method, with and without ``include_raw``, for a pydantic model and a JSON schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.exceptions import ModelRefusalError
from langchain_core.load import dumps, loads
from langchain_core.runnables import RunnableBinding, RunnableSequence
from pydantic import BaseModel

from cometgemini.emulator import EmulatorServer, serve
from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.output_parsers import StructuredOutputParser

pytestmark = pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
KEY = "sk-revive-123"
PROMPT = "Describe the city 'Lyon', founded in 43 BC."
SCHEMA = {"title": "City", "type": "object", "properties": {"name": {"type": "string"}, "founded": {"type": "integer"}},
          "required": ["name", "founded"]}


class City(BaseModel):
    name: str
    founded: int


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorServer]:
    with serve(api_key=KEY) as server:
        yield server


def revived(runnable: Any) -> Any:
    text = dumps(runnable)
    assert KEY not in text and "not_implemented" not in text
    assert '"id": ["langchain_cometgemini", "output_parsers", "StructuredOutputParser"]' in text
    return loads(text, secrets_map={"COMETAPI_KEY": KEY}, valid_namespaces=["langchain_cometgemini"],
                 allowed_objects=[RunnableSequence, RunnableBinding, ChatCometGemini, StructuredOutputParser])


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
@pytest.mark.parametrize("schema", [City, SCHEMA], ids=["pydantic", "json-schema"])
def test_a_revived_structured_runnable_answers(emu: EmulatorServer, method: str, schema: Any) -> None:
    llm = ChatCometGemini(model="gemini-2.5-flash", api_key=KEY, base_url=emu.base_url, max_retries=0)
    original = llm.with_structured_output(schema, method=method)  # type: ignore[arg-type]
    again = revived(original)
    # JSON mode sends no schema: the prompt describes it, as users do (and the emulator follows it)
    prompt = PROMPT if method != "json_mode" else f"{PROMPT} Answer in JSON matching this schema: {json.dumps(SCHEMA)}"
    answer = again.invoke(prompt)
    assert answer == original.invoke(prompt)
    expected = {"name": "Lyon", "founded": 43}
    if schema is City:
        assert answer == City(**expected)
    else:
        assert answer == expected
    streamed = list(again.stream(prompt))
    assert streamed and streamed[-1] == answer


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
async def test_revived_with_include_raw(emu: EmulatorServer, method: str) -> None:
    llm = ChatCometGemini(model="gemini-3-flash-preview", api_key=KEY, base_url=emu.base_url, max_retries=0)
    again = revived(llm.with_structured_output(City, method=method, include_raw=True))  # type: ignore[arg-type]
    answer = await again.ainvoke(PROMPT)
    assert answer["parsed"] == City(name="Lyon", founded=43) and answer["parsing_error"] is None
    assert answer["raw"].response_metadata["finish_reason"] == "STOP"
    refused = await again.ainvoke(PROMPT + " [[safety]]")
    assert refused["parsed"] is None and isinstance(refused["parsing_error"], ModelRefusalError)


def test_a_refusal_still_raises_after_revival(emu: EmulatorServer) -> None:
    llm = ChatCometGemini(model="gemini-2.5-flash", api_key=KEY, base_url=emu.base_url, max_retries=0)
    with pytest.raises(ModelRefusalError, match="SAFETY"):
        revived(llm.with_structured_output(City)).invoke(PROMPT + " [[safety]]")


def test_the_dump_holds_the_schema_and_the_class_path_not_the_class() -> None:
    llm = ChatCometGemini(api_key=KEY)
    dumped = json.loads(dumps(llm.with_structured_output(City)))
    parser = dumped["kwargs"]["last"]["kwargs"]
    assert parser["schema_class"] == f"{City.__module__}:City"
    bound = dumped["kwargs"]["first"]["kwargs"]["kwargs"]
    assert bound["response_json_schema"]["properties"].keys() == {"name", "founded"}


def test_a_schema_class_that_is_not_loaded_is_named() -> None:
    """Loading never imports code: a class from a module not imported is reported, not imported."""
    with pytest.raises(ValueError, match=r"import 'my_app\.never_imported'"):
        StructuredOutputParser(schema_class="my_app.never_imported:City")
