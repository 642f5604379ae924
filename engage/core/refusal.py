"""`Refusal`: the one shape of a domain operation refused for a reason the person can act on.

Services raise a subclass (`ContractError`, `ModerationError`, `UploadError`, …) with a lazily
translated `message`, shown in the reader's language, and the form `field` it concerns, if any;
routes put it on the field and answer 422, and nothing was changed.
"""

from __future__ import annotations


class Refusal(ValueError):
    def __init__(self, message: object, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)
