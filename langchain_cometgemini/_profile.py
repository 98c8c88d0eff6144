"""``ChatCometGemini.profile``: LangChain's ``ModelProfile`` for a model id, from our catalog.

LangChain reads it to decide for the user: ``create_agent(response_format=Model)`` uses the model's native
structured output (``ProviderStrategy``) when ``structured_output`` is set, instead of a forced tool call;
``SummarizationMiddleware(trigger=("fraction", 0.8))`` needs ``max_input_tokens``. Every value comes from
``cometgemini._catalog.model_info`` (limits, input and output kinds, function calling, response schema,
thinking), so an id the catalog only knows by its family still gets its family's profile.
"""

from __future__ import annotations

from langchain_core.language_models import ModelProfile

from cometgemini._catalog import model_info

__all__ = ["profile_for"]


def profile_for(model: str) -> ModelProfile:
    info = model_info(model)
    inputs, outputs = info.inputs, info.outputs
    profile = ModelProfile(
        max_input_tokens=info.context_window,
        max_output_tokens=info.output_limit,
        text_inputs="text" in inputs,
        image_inputs="image" in inputs,
        pdf_inputs="pdf" in inputs,
        audio_inputs="audio" in inputs,
        video_inputs="video" in inputs,
        image_tool_message=info.tool_calling and "image" in inputs,  # media after (or in) the functionResponse
        pdf_tool_message=info.tool_calling and "pdf" in inputs,
        text_outputs="text" in outputs,
        image_outputs="image" in outputs,
        audio_outputs="audio" in outputs,
        video_outputs=False,
        reasoning_output=info.is_thinking_model,
        tool_calling=info.tool_calling,
        tool_choice=info.tool_calling,  # functionCallingConfig modes AUTO / ANY / NONE and allowed names
        tool_call_streaming=info.tool_calling,  # a function call arrives whole, in one chunk
        structured_output=info.structured_output,
        mid_conversation_system_messages=False,  # every system message joins the one systemInstruction
        attachment=len(inputs) > 1,
        temperature=True,
    )
    if info.thinking == "level":
        profile["reasoning_effort_levels"] = [level.lower() for level in info.thinking_levels]
        profile["reasoning_effort_default"] = "high"  # Google: Gemini 3 thinks at "high" unless told
    return profile
