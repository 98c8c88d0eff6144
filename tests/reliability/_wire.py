"""A ``MockTransport`` that checks every request body as the server would: the wire types
(``GenerateContentRequest``), then the emulator's own request validation (unknown fields, empty contents,
tools, generation settings, function responses), then Google's documented function-name rule. It answers
a fixed text response, and keeps what was wrong for the test to report."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from cometgemini._catalog import model_info
from cometgemini._types import GenerateContentRequest
from cometgemini.emulator._errors import ApiError
from cometgemini.emulator._validate import REQUEST_SPEC, normalize, validate_generate

FUNCTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$")
"""Google: "Must start with a letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots,
colons and dashes, with a maximum length of 64." """

ANSWER = {"candidates": [{"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP",
                          "index": 0}],
          "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1, "totalTokenCount": 2}}


@dataclass
class CheckingServer:
    bodies: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        model = request.url.path.rsplit("/", 1)[-1].split(":", 1)[0]
        try:
            body = json.loads(request.content)
        except ValueError as exc:
            self.problems.append(f"body is not JSON: {exc}")
            return httpx.Response(200, json=ANSWER)
        self.bodies.append(body)
        problem = check_request(body, model)
        if problem:
            self.problems.append(problem)
        return httpx.Response(200, json=ANSWER)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handler))

    def reset(self) -> None:
        self.bodies.clear()
        self.problems.clear()


def check_request(body: dict[str, Any], model: str) -> str | None:
    """What the server would refuse in ``body``, or None."""
    try:
        GenerateContentRequest.model_validate(body)
        req = normalize(body, REQUEST_SPEC)
        validate_generate(req, model_info(model), "cometgemini-emulator", False)
    except ApiError as exc:
        return f"400 from the emulator: {exc}"
    except ValueError as exc:
        return f"not a GenerateContentRequest: {exc}"
    for tool in body.get("tools") or []:
        for declaration in tool.get("functionDeclarations") or []:
            if not FUNCTION_NAME.match(str(declaration.get("name"))):
                return f"invalid function name {declaration.get('name')!r}"
    return None
