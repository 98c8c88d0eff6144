"""``from llama_index.embeddings.cometgemini import CometGeminiEmbedding``, as LlamaIndex users expect."""

from llamaindex_cometgemini.embeddings import CometGeminiEmbedding

__all__ = ["CometGeminiEmbedding"]
