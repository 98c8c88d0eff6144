"""ReAct steps, for agents that ask for tool use in words (LlamaIndex's ``ReActAgent``) instead of declaring
functions.

When the instructions describe the ReAct format (``Action:`` and ``Action Input:`` lines) and list tools
(``Tool Name: x`` entries, each optionally followed by ``Tool Args: {json schema}``, or ``(one of x, y)``),
the emulated model writes one step at a time:

* for a new question, the tool it is about, chosen as for function calling (named in the question, or on its
  topic, or the first tool when it asks to "use a tool"), with arguments made from the question for the
  tool's args schema (a question no tool is about gets an answer at once)::

      Thought: The current language of the user is: English. I need to use a tool to help me answer the question.
      Action: get_weather
      Action Input: {"city": "Paris"}

* after an ``Observation:`` (the last user text), the next tool the question needs that has not run yet, else
  the answer, quoting the observations::

      Thought: I can answer without using any more tools. I'll use the user's language to answer
      Answer: get_weather says: Sunny in Paris.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ._calls import plan_calls
from ._context import short
from ._written import blocks

__all__ = ["react_step"]

_FORMAT = re.compile(r"^\s*Action:.*$\s*^\s*Action Input:", re.MULTILINE)
_TOOL_NAME = re.compile(r"Tool Name:\s*([\w.-]+)")
_TOOL_ARGS = re.compile(r"Tool Args:\s*(?=\{)")
_ONE_OF = re.compile(r"\(one of ([\w.-]+(?:,\s*[\w.-]+)*)\)")
_ACTION = re.compile(r"^\s*Action:\s*([\w.-]+)", re.MULTILINE)
_OBSERVATION = re.compile(r"^\s*Observation:", re.IGNORECASE)


def _tools(instructions: str) -> dict[str, dict[str, Any]]:
    """``{name: function declaration}`` of the tools the instructions list."""
    tools: dict[str, dict[str, Any]] = {}
    found = blocks(instructions)
    for match in _TOOL_NAME.finditer(instructions):
        args = _TOOL_ARGS.search(instructions, match.end())
        next_tool = _TOOL_NAME.search(instructions, match.end())
        schema: dict[str, Any] = {}
        if args is not None and (next_tool is None or args.start() < next_tool.start()):
            block = next((b for b in found if b.start == args.end()), None)
            schema = block.value if block is not None and isinstance(block.value, dict) else {}
        tools[match.group(1)] = {"name": match.group(1), "parametersJsonSchema": schema}
    for match in _ONE_OF.finditer(instructions):
        for name in re.split(r",\s*", match.group(1)):
            tools.setdefault(name, {"name": name, "parametersJsonSchema": {}})
    return tools


def _texts(content: dict[str, Any]) -> str:
    return "\n".join(p["text"] for p in content.get("parts") or [] if isinstance(p.get("text"), str)
                     and not p.get("thought"))


def _turn(contents: list[dict[str, Any]]) -> tuple[str, list[str], list[str]]:
    """(the question, the tools run since, their observations) of the current turn."""
    question = ""
    called: list[str] = []
    observed: list[str] = []
    for content in contents:
        text = _texts(content)
        if content.get("role", "user") == "user":
            if _OBSERVATION.match(text):
                observed.append(_OBSERVATION.sub("", text, count=1).strip())
            elif text.strip():
                question, called, observed = text, [], []  # a new question starts a new turn
        else:
            called += _ACTION.findall(text)
    return question, called, observed


def react_step(system: str, req: dict[str, Any]) -> str | None:
    """The next ReAct step, or None when the request does not ask for ReAct."""
    contents: list[dict[str, Any]] = req.get("contents") or []
    instructions = "\n".join([system, *(_texts(c) for c in contents[:1])])
    if not _FORMAT.search(instructions):
        return None
    tools = _tools(instructions)
    if not tools:
        return None
    question, called, observed = _turn(contents)
    declared = {"tools": [{"functionDeclarations": list(tools.values())}]}
    planned = [name for name, _ in plan_calls(declared, question, False, [])]
    pending = [name for name in dict.fromkeys(planned) if name not in called]
    if pending:
        name = pending[0]
        args = dict(plan_calls({"tools": [{"functionDeclarations": [tools[name]]}],
                                "toolConfig": {"functionCallingConfig": {"mode": "ANY"}}}, question, False, [])[0][1])
        return ("Thought: The current language of the user is: English. I need to use a tool to help me answer "
                f"the question.\nAction: {name}\nAction Input: {json.dumps(args, ensure_ascii=False)}")
    said = " ".join(f"{name} says: {short(text, 200)}" for name, text in zip(called, observed, strict=False))
    answer = said or f"Emulated answer to: {short(question, 120)}"
    return ("Thought: I can answer without using any more tools. I'll use the user's language to answer\n"
            f"Answer: {answer}")
