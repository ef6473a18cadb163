"""What people write, encrypted at rest: one place that holds the data keys.

`BOT_DATA_KEY` is one or more Fernet keys, comma-separated, newest first. New values are sealed
with the newest; any of them opens a value, so a new key can go in front while data written under
the old one is still read (and `python -m bot rotate-key` then re-seals it all under the new one).
Fernet authenticates as well as encrypts: a value changed on disk fails to open instead of
reading as something else.
"""

from __future__ import annotations

import binascii

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

KEY_HELP = "make one with `python -m bot data-key` (`make run` does it for you)"


class DataKeyError(ValueError):
    """The key is missing, malformed, or not the one the data was written with."""


class Sealer:
    def __init__(self, keys: str | None) -> None:
        if not keys:
            raise DataKeyError(f"BOT_DATA_KEY is not set: {KEY_HELP}.")
        parts = [part.strip() for part in keys.split(",") if part.strip()]
        if not parts:
            raise DataKeyError(f"BOT_DATA_KEY is empty: {KEY_HELP}.")
        fernets = []
        for number, part in enumerate(parts, 1):
            try:
                fernets.append(Fernet(part))
            except (ValueError, binascii.Error):
                # The key itself is never echoed: the message may end up in a shared terminal.
                which = "" if len(parts) == 1 else f" (key {number} of {len(parts)})"
                raise DataKeyError(
                    f"BOT_DATA_KEY{which} is not a Fernet key (44 characters of URL-safe base64); "
                    f"{KEY_HELP}."
                ) from None
        self._keys = MultiFernet(fernets)

    def seal(self, value: str | None) -> str | None:
        if value is None:
            return None
        return self._keys.encrypt(value.encode("utf-8")).decode("ascii")

    def open(self, token: str | None) -> str | None:
        if token is None:
            return None
        return self._keys.decrypt(token.encode("ascii")).decode("utf-8")

    def opens(self, token: str) -> bool:
        try:
            self.open(token)
        except InvalidToken:
            return False
        return True

    def rotate(self, token: str) -> str:
        """The same value, sealed under the newest key."""
        return self._keys.rotate(token.encode("ascii")).decode("ascii")


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")
