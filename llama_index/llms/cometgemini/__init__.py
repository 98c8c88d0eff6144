"""``from llama_index.llms.cometgemini import CometGemini``, the import path LlamaIndex users expect."""

from llamaindex_cometgemini.base import CometGemini

__all__ = ["CometGemini"]
