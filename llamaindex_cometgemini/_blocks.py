"""Structured blocks for Gemini's code execution, which LlamaIndex has no block type for.

Both are ``TextBlock``s, so ``message.content`` reads the code and its output as Markdown and every consumer of
text blocks keeps working; ``isinstance(block, ExecutableCodeBlock)`` gives the fields themselves. A message
that went through JSON comes back with plain ``TextBlock``s (LlamaIndex's block union knows no others); the
wire part is kept in ``additional_kwargs["code_execution_parts"]`` either way, so it is sent back as it came.
"""

from __future__ import annotations

from llama_index.core.base.llms.types import TextBlock

from cometgemini._types import CodeExecutionResult, ExecutableCode

__all__ = ["CodeExecutionResultBlock", "ExecutableCodeBlock", "code_block"]


class ExecutableCodeBlock(TextBlock):
    """Code the model wrote and Gemini ran (``executableCode``); ``text`` is the code as a Markdown fence."""

    code: str = ""
    language: str = "PYTHON"


class CodeExecutionResultBlock(TextBlock):
    """What running that code gave (``codeExecutionResult``); ``text`` is the output as a Markdown fence."""

    outcome: str = "OUTCOME_OK"
    """``OUTCOME_OK``, ``OUTCOME_FAILED`` or ``OUTCOME_DEADLINE_EXCEEDED``."""
    output: str = ""


def code_block(code: ExecutableCode | None, result: CodeExecutionResult | None) -> TextBlock:
    """The block for one code execution part (exactly one of ``code`` and ``result`` is given)."""
    if code is not None:
        return ExecutableCodeBlock(text=f"```{code.language.lower()}\n{code.code}\n```", code=code.code,
                                   language=code.language)
    assert result is not None
    output = result.output or ""
    return CodeExecutionResultBlock(text=f"```\n{output}\n```", outcome=result.outcome, output=output)
