"""The public home of ``StructuredOutputParser``, the parser of ``ChatCometGemini.with_structured_output``.

Its serialized id names this module (``["langchain_cometgemini", "output_parsers", "StructuredOutputParser"]``),
so ``langchain_core.load.loads`` revives a structured-output runnable from a public import path::

    from langchain_core.load import loads
    from langchain_cometgemini import ChatCometGemini
    from langchain_cometgemini.output_parsers import StructuredOutputParser

    loads(text, valid_namespaces=["langchain_cometgemini"],
          allowed_objects=[RunnableSequence, RunnableBinding, ChatCometGemini, StructuredOutputParser])
"""

from __future__ import annotations

from ._structured import StructuredOutputParser

__all__ = ["StructuredOutputParser"]
