"""JSON answers to prompts that ask for JSON in words, without ``responseMimeType``.

Frameworks that parse the model's text (LlamaIndex's selectors, sub-question generator and text-completion
programs; a LangChain ``json_mode`` prompt that describes its schema) put the format into the prompt. When the
instructions (system instruction and last user text) ask for JSON output, the emulated model answers with
JSON, deterministically, following the first of:

1. **A JSON Schema** written in the prompt (an object with ``properties``, or an array with ``items``; the
   last one): an instance of it, as for ``responseJsonSchema``, its values taken from the prose around it.
2. **A few-shot example**: the prompt ends with a label line (``<Output>``, ``Answer:``) that appeared
   before, followed by JSON: the answer has that JSON's shape.
3. **An example** of the JSON to write (the last non-schema JSON in the prompt): the same shape.

Filling a shape: placeholders (``"<insert reason>"``) and other strings become text about the question;
numbers name the chosen item when the prompt lists numbered options (``(1) …``, ``2. …``), else come from the
prompt; a string that names an entry of an example's JSON listing (a tool name in a few-shot example) names an
entry of the current listing instead. Options are chosen by the words they share with the question (the last
quoted text in the prompt, else its last line of prose): one, or every relevant one up to "no more than N",
or, for named entries, every relevant one (all if none is). An array of such items gets one item per choice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ._context import short
from ._embed import _stem  # the embeddings' stemmer: words that embed close also match here
from ._schema import PromptValues, instance
from ._written import Block, blocks, is_schema, without_blocks

__all__ = ["prompted_json"]

_ASKS_JSON = re.compile(
    r"\b(output|answer|respond|reply|return|write|generate|give|format)\w*\b[^\n]{0,100}?\bjson\b"
    r"|\bjson\b[^\n]{0,60}?\b(schema|format\w*|instance|object|output|markdown)\b", re.IGNORECASE)
_NUMBERED = re.compile(r"^\s*\(?(\d{1,3})[).]\s+(\S.*)$", re.MULTILINE)
_AT_MOST = re.compile(r"no more than (\d+)", re.IGNORECASE)
_QUOTED = re.compile(r"'([^'\n]{3,})'|\"([^\"\n]{3,})\"")
_PLACEHOLDER = re.compile(r"^<[^>]*>$|insert", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+")
_STOP_TEXT = (
    "a an the is are was be to of in on at for and or with what which who how why when where does do it this that "
    "about from by as me my you your i we our can could would should please tell give use using question questions "
    "useful information provides")
_STOP = frozenset(_STOP_TEXT.split())


def _words(text: str) -> set[str]:
    """Lowercase content words, lightly stemmed (``volcanoes`` and ``volcano`` meet)."""
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1}


@dataclass
class _Option:
    label: str
    """The number (``"2"``) or the name of the entry."""
    text: str
    score: int = 0


@dataclass
class _Filler:
    question: str
    values: PromptValues
    numbered: bool
    picks: list[_Option]
    names: set[str] = field(default_factory=set)
    """Names an example took from its listing: where the example writes one, the answer writes a pick's."""


def _question(prose: str) -> str:
    quoted = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(prose)]
    if quoted:
        return quoted[-1]
    lines = [ln.strip() for ln in prose.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not (ln.startswith(("<", "#", "```")) or ln.endswith(":"))]
    return lines[-1] if lines else prose.strip()


def _final_label(text: str) -> tuple[str, int] | None:
    """The prompt's last line when it is a label (``<Output>``, ``Answer:``), and where it was seen before."""
    lines = text.rstrip().splitlines()
    label = lines[-1].strip() if lines else ""
    if not label or len(label) > 40 or not (label.endswith(":") or (label.startswith("<") and label.endswith(">"))):
        return None
    earlier = text.rstrip()[: -len(label)].rfind(label)
    return (label, earlier) if earlier >= 0 else None


def _example(text: str, found: list[Block]) -> tuple[Block, bool] | None:
    """The JSON the answer should look like, and whether it is a few-shot example's output."""
    label = _final_label(text)
    if label is not None:
        after = label[1] + len(label[0])
        for block in found:
            if block.start >= after:
                if len(text[after:block.start].strip().strip("`").removeprefix("json").strip()) == 0:
                    return block, True
                break
    examples = [b for b in found if not is_schema(b.value)]
    return (examples[-1], False) if examples else None


def _listings(found: list[Block]) -> list[Block]:
    return [b for b in found if isinstance(b.value, dict) and all(isinstance(v, str) for v in b.value.values())]


def _options(prose: str, found: list[Block], example: Block, few_shot: bool) -> tuple[list[_Option], bool, set[str]]:
    """(the options to choose among, whether they are numbered, the names the example took from a listing)."""
    numbered = [_Option(n, t) for n, t in _NUMBERED.findall(prose)]
    if len(numbered) >= 2:
        return numbered, True, set()
    listings = _listings(found)
    before = [b for b in listings if b.end <= example.start]
    after = [b for b in listings if b.start >= example.end]
    if few_shot and before and after:
        names = set().union(*(b.value for b in before))
        return [_Option(k, f"{k} {v}") for k, v in after[-1].value.items()], False, names
    return [], False, set()


def _choose(options: list[_Option], question: str, prose: str, numbered: bool) -> list[_Option]:
    asked = _words(question)
    for option in options:
        option.score = len(asked & _words(option.text))
    relevant = [o for o in options if o.score > 0]
    if not numbered:
        return relevant or options
    ranked = sorted(options, key=lambda o: (-o.score, int(o.label)))
    at_most = _AT_MOST.search(prose)
    if at_most is None:
        return ranked[:1]
    return (sorted(relevant, key=lambda o: (-o.score, int(o.label))) or ranked)[: max(1, int(at_most.group(1)))]


def _has_slot(item: Any, filler: _Filler) -> bool:
    if not isinstance(item, dict):
        return False
    if filler.numbered:
        return any(isinstance(v, int) and not isinstance(v, bool) for v in item.values())
    return any(isinstance(v, str) and v in filler.names for v in item.values())


def _text(pick: _Option | None, filler: _Filler, key: str) -> str:
    if pick is None:
        return filler.values.string(key)
    if filler.numbered:
        return f"Choice {pick.label} ({short(pick.text, 60)}) is the most relevant to: {short(filler.question, 80)}"
    return f"{short(filler.question, 100)} ({pick.label})"


def _fill(value: Any, filler: _Filler, key: str = "", pick: _Option | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, filler, k, pick) for k, v in value.items()}
    if isinstance(value, list):
        if value and _has_slot(value[0], filler) and filler.picks:
            return [_fill(value[0], filler, key, choice) for choice in filler.picks]
        return [_fill(item, filler, key, pick) for item in value] if not isinstance(value[0], dict) else [
            _fill(value[0], filler, key, pick)]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        if filler.numbered and pick is not None:
            return int(pick.label)
        return filler.values.number(isinstance(value, int))
    if isinstance(value, str) and value in filler.names and pick is not None:
        return pick.label
    if isinstance(value, str) and (_PLACEHOLDER.search(value) or pick is not None):
        return _text(pick, filler, key)
    return filler.values.string(key) if isinstance(value, str) else value


def prompted_json(instructions: str) -> Any | None:
    """The JSON value ``instructions`` ask for (see the module docstring), or None when they ask for none."""
    if "json" not in instructions.lower():
        return None
    found = blocks(instructions)
    prose = without_blocks(instructions, found)
    if not _ASKS_JSON.search(prose):
        return None
    schemas = [b for b in found if is_schema(b.value)]
    if schemas:
        return instance(schemas[-1].value, PromptValues(prose))
    example = _example(instructions, found)
    if example is None:
        return None
    question = _question(prose)
    options, numbered, names = _options(prose, found, example[0], example[1])
    picks = _choose(options, question, prose, numbered) if options else []
    filler = _Filler(question, PromptValues(question), numbered, picks, names)
    shape = example[0].value
    return _fill(shape, filler, pick=picks[0] if picks and _has_slot(shape, filler) else None)
