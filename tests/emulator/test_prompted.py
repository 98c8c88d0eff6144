"""The emulator follows formats a prompt asks for in words: JSON (a schema, an example, a few-shot example) and
ReAct steps. Written here in other words than LlamaIndex's templates: the rules are about the prompt's shape."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.emulator.conftest import user

URL = "/v1beta/models/gemini-2.5-flash:generateContent"


def answer(client: httpx.Client, *contents: dict[str, Any], system: str | None = None, **generation: Any) -> str:
    body: dict[str, Any] = {"contents": list(contents)}
    if system:
        body["systemInstruction"] = {"parts": [{"text": system}]}
    if generation:
        body["generationConfig"] = generation
    response = client.post(URL, json=body)
    assert response.status_code == 200, response.text
    return "".join(p.get("text", "") for p in response.json()["candidates"][0]["content"]["parts"])


def model(text: str) -> dict[str, Any]:
    return {"role": "model", "parts": [{"text": text}]}


SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "population": {"type": "integer"},
                                           "tags": {"type": "array", "items": {"type": "string"}}},
          "required": ["city", "population"]}


def test_a_schema_in_the_system_instruction_is_followed(client: httpx.Client) -> None:
    text = answer(client, user("Tell me about 'Lisbon', home to 545000 people."),
                  system=f"Reply with JSON that validates against this schema:\n{json.dumps(SCHEMA)}")
    value = json.loads(text)
    assert value["city"] == "Lisbon" and value["population"] == 545000 and isinstance(value["tags"], list)


def test_json_mode_without_a_schema_follows_the_one_in_the_prompt(client: httpx.Client) -> None:
    prompt = f"Describe 'Lisbon' (545000 people). Output JSON matching {json.dumps(SCHEMA)}"
    value = json.loads(answer(client, user(prompt), responseMimeType="application/json"))
    assert value["city"] == "Lisbon" and value["population"] == 545000


def test_an_example_in_loose_notation_with_numbered_options(client: httpx.Client) -> None:
    prompt = ("Options:\n1. Rivers and lakes of Canada\n2. Volcanoes of Iceland\n3. Deserts of Chile\n"
              "Which option fits the question \"Where can I see an active volcano?\"\n"
              "Format the output as JSON like this example:\n{pick: 1, why: \"<your reason>\", sure: true}")
    value = json.loads(answer(client, user(prompt)))
    assert value["pick"] == 2 and value["sure"] is True and "volcano" in value["why"].lower()


def test_a_few_shot_example_gives_the_shape_and_the_listing_the_names(client: httpx.Client) -> None:
    prompt = ("Write the plan in JSON.\n\nTASK: bake bread\nWORKERS: {\"ann\": \"baker of bread\", \"bob\": "
              "\"driver\"}\nPLAN:\n[{\"step\": \"knead dough\", \"who\": \"ann\"}]\n\n"
              "TASK: deliver the wine and the cheese\nWORKERS: {\"cy\": \"wine cellar keeper\", "
              "\"di\": \"cheese maker\", \"ed\": \"bread baker\"}\nPLAN:\n")
    value = json.loads(answer(client, user(prompt)))
    assert [item["who"] for item in value] == ["cy", "di"]
    assert all("wine" in item["step"] for item in value)


def test_json_that_is_only_data_is_not_taken_for_a_format(client: httpx.Client) -> None:
    text = answer(client, user('Summarise this record in one sentence: {"name": "Ada", "born": 1815}'))
    assert text.startswith("Emulated answer to:")


def test_react_with_tools_listed_inline(client: httpx.Client) -> None:
    system = ("Solve the task step by step. To use a tool write\nAction: the tool (one of lookup_capital, "
              "convert_units)\nAction Input: a JSON object\nthen wait for the Observation.")
    first = answer(client, user("Use lookup_capital for 'Peru'."), system=system)
    assert first.startswith("Thought:") and "\nAction: lookup_capital\nAction Input: {}" in first
    second = answer(client, user("Use lookup_capital for 'Peru'."), model(first), user("Observation: Lima"),
                    system=system)
    assert second.splitlines()[-1] == "Answer: lookup_capital says: Lima"
    assert answer(client, user("Use lookup_capital for 'Peru'."), system=system) == first  # deterministic


def test_react_arguments_follow_each_tool_s_args_schema(client: httpx.Client) -> None:
    args = {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city", "days"]}
    system = (f"> Tool Name: forecast\nTool Description: Weather forecast\nTool Args: {json.dumps(args)}\n\n"
              "Answer with\nThought: ...\nAction: tool name\nAction Input: kwargs as JSON\n")
    step = answer(client, user("What is the forecast for 'Bergen' over 3 days?"), system=system)
    action_input = json.loads(step.split("Action Input:", 1)[1])
    assert action_input == {"city": "Bergen", "days": 3}
