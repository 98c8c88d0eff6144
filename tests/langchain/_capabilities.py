"""What ChatCometGemini supports, as langchain-tests' ``supports_*`` flags, declared once for the unit,
emulator and live standard suites."""

from __future__ import annotations

from langchain_cometgemini import ChatCometGemini


class GeminiCapabilities:
    """Mix in before a langchain-tests suite class: ``class T(GeminiCapabilities, ChatModelUnitTests)``."""

    @property
    def chat_model_class(self) -> type[ChatCometGemini]:
        return ChatCometGemini

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_pdf_inputs(self) -> bool:
        return True

    @property
    def supports_audio_inputs(self) -> bool:
        return True

    @property
    def supports_video_inputs(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_pdf_tool_message(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    @property
    def supports_model_override(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "gemini-2.5-flash"
