"""A stand-in for bot/dialogue.py's `Dialogue` where what the model would say is not the point.

Flow and conversation tests need a dialogue to hand text to, not the trained model: this one
answers every text with "heard <intent>" (`/intent` payloads by their name, anything else as
`fake`) and records what it was given, so a test can see what reached the model side and when.
"""

from __future__ import annotations

from bot.dialogue import Turn
from bot.replies import Reply


class FakeDialogue:
    ready = True

    def __init__(self) -> None:
        self.read: list[str] = []  # start_reading: the model side saw the text
        self.heard: list[str] = []  # respond: the text was answered by the model
        self.interrupted: list[str] = []

    def start_reading(self, text: str) -> None:
        self.read.append(text)

    async def respond(self, sender_id: str, text: str, wait: float = 0, slots=None) -> Turn:
        self.heard.append(text)
        intent = text[1:] if text.startswith("/") else "fake"
        return Turn([Reply(f"heard {intent}")], intent=intent, confidence=1.0)

    async def interrupt(self, sender_id: str, slots=None) -> None:
        self.interrupted.append(sender_id)

    async def perform(self, sender_id: str, action: str, wait: float = 0, slots=None) -> Turn:
        self.heard.append(action)
        return Turn([Reply(f"said {action}")], actions=(action,))

    def forget(self, sender_id: str) -> None:
        self.interrupted.append(sender_id)
