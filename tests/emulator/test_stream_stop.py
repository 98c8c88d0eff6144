"""A client that leaves a stream: the emulator stops writing it at once, instead of writing the rest into the
dead socket (asyncio logs "socket.send() raised exception." for each write after the fifth)."""

from __future__ import annotations

import logging

import httpx
import pytest

from cometgemini.emulator import EmulatorServer
from tests.emulator.conftest import user

PATH = "/v1beta/models/gemini-2.5-flash:streamGenerateContent"


@pytest.mark.parametrize("query", ["?alt=sse", ""])
def test_a_stream_left_by_its_client_stops_at_once(emu: EmulatorServer, client: httpx.Client, query: str,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="asyncio")
    body = {"contents": [user("[[words:60000]]")]}  # hundreds of writes of ~8 KB
    for _ in range(3):
        with client.stream("POST", PATH + query, json=body) as response:
            assert response.status_code == 200
            assert next(response.iter_bytes())  # then leave: httpx closes a connection not read to the end
    # a server busy writing a dead stream answers nothing else meanwhile; once this is answered, it is done
    assert client.post(PATH.replace("streamGenerateContent", "generateContent"),
                       json={"contents": [user("hi")]}).status_code == 200
    sends = [r for r in caplog.records if "socket.send() raised exception" in r.getMessage()]
    assert sends == []
