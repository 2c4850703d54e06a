"""Request checks as LINE makes them, with LINE's error bodies.

The schema itself comes from line-bot-sdk v3's generated models (built from LINE's OpenAPI), so the
emulator rejects exactly what those models reject; the rules the schema cannot express (who exists,
reply tokens, retry keys) are added here.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any, TypeVar

from linebot.v3.messaging import Message

USER_ID = re.compile(r"^U[0-9a-f]{32}$")
TEXT_MAX = 5000

T = TypeVar("T")


class ApiError(Exception):
    """An error answer of the Messaging API: ``{"message": ..., "details": [...]}``."""

    def __init__(
        self,
        status: int,
        message: str,
        details: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.details:  # LINE leaves the property out when there are no details
            body["details"] = self.details
        return {**body, **self.extra}


def body_error(details: list[dict[str, str]]) -> ApiError:
    return ApiError(400, f"The request body has {len(details)} error(s)", details)


def _path(prefix: str, loc: tuple[Any, ...]) -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part != "__root__":
            out += f".{part}" if out else str(part)
    return out


def _details(exc: Exception, prefix: str = "") -> list[dict[str, str]]:
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return [{"message": str(exc).split(". ")[0], "property": prefix or "request body"}]
    details = []
    for err in errors():
        message = err["msg"]
        if err["type"] == "type_error.none.not_allowed":
            message = "May not be empty"  # LINE's wording for a missing required property
        details.append({"message": message, "property": _path(prefix, err["loc"])})
    return details


def parse_json(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw or b"null")
    except ValueError:
        raise body_error([{"message": "Malformed JSON", "property": "request body"}]) from None
    if not isinstance(data, dict):
        raise body_error([{"message": "Must be a JSON object", "property": "request body"}])
    return data


def parse_request(model: type[T], data: dict[str, Any]) -> T:
    """Parse ``data`` with an SDK request model; every message is checked so errors name its index."""
    details: list[dict[str, str]] = []
    messages = data.get("messages")
    if isinstance(messages, list):
        for index, item in enumerate(messages):
            prefix = f"messages[{index}]"
            if not isinstance(item, dict) or not isinstance(item.get("type"), str):
                details.append({"message": "May not be empty", "property": f"{prefix}.type"})
                continue
            if item["type"] == "text" and not 0 < len(str(item.get("text") or "")) <= TEXT_MAX:
                # The SDK model accepts an empty text; LINE does not.
                message = f"Length must be between 1 and {TEXT_MAX}"
                details.append({"message": message, "property": f"{prefix}.text"})
                continue
            try:
                Message.from_dict(item)
            except ValueError as exc:
                if "discriminator" in str(exc):
                    details.append({"message": "Invalid message type", "property": f"{prefix}.type"})
                else:
                    details.extend(_details(exc, prefix))
            except (TypeError, KeyError) as exc:
                details.append({"message": f"Invalid value: {exc}", "property": prefix})
    if details:
        raise body_error(details)
    try:
        return model.from_dict(data)  # type: ignore[attr-defined]
    except (ValueError, TypeError, KeyError) as exc:
        raise body_error(_details(exc)) from None


def check_retry_key(value: str | None) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ApiError(400, "The value for the 'X-Line-Retry-Key' header is invalid") from None
