"""A small client for the emulator's control API (/sim/api/), for tests, the demo and scripts.

Every method returns the JSON answer as plain dicts/lists; an error answer raises EmulatorError.
"""

from __future__ import annotations

from typing import Any

import requests


class EmulatorError(Exception):
    def __init__(self, status_code: int, body: Any):
        super().__init__(f"linesim answered {status_code}: {body}")
        self.status_code = status_code
        self.body = body


class EmulatorClient:
    def __init__(self, base_url: str, *, timeout: float = 30):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(
            method, f"{self.base_url}/sim/api/{path}", timeout=self.timeout, **kwargs
        )
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if not response.ok:
            raise EmulatorError(response.status_code, body)
        return body

    # Virtual users and their relation to the account
    def create_user(
        self, display_name: str, *, language: str = "ja", picture_url: str = "", follow: bool = False
    ) -> dict:
        """A new LINE user; with ``follow=True`` it also adds the account (a follow webhook is sent)."""
        payload = {"display_name": display_name, "language": language, "picture_url": picture_url}
        return self._call("POST", "users", json={**payload, "follow": follow})

    def list_users(self) -> list[dict]:
        return self._call("GET", "users")["users"]

    def user(self, user_id: str) -> dict:
        return self._call("GET", f"users/{user_id}")

    def follow(self, user_id: str) -> dict:
        """Returns ``{"user": ..., "webhook": delivery or None}``."""
        return self._call("POST", f"users/{user_id}/follow")

    def unfollow(self, user_id: str) -> dict:
        return self._call("POST", f"users/{user_id}/unfollow")

    def block(self, user_id: str) -> dict:
        return self._call("POST", f"users/{user_id}/block")

    # What a user sends: each returns the webhook delivery (with "event", "statusCode", "ok")
    def send_text(self, user_id: str, text: str) -> dict:
        return self._call("POST", f"users/{user_id}/text", json={"text": text})

    def send_location(
        self, user_id: str, latitude: float, longitude: float, *, title: str = "", address: str = ""
    ) -> dict:
        payload = {"latitude": latitude, "longitude": longitude, "title": title, "address": address}
        return self._call("POST", f"users/{user_id}/location", json=payload)

    def send_image(self, user_id: str, data: bytes, content_type: str = "image/jpeg") -> dict:
        return self.send_images(user_id, [(data, content_type)])[0]

    def send_images(self, user_id: str, images: list[tuple[bytes, str]]) -> list[dict]:
        """Several images sent at once (one imageSet); one webhook delivery each."""
        files = [("image", (f"image{i}", data, ctype)) for i, (data, ctype) in enumerate(images)]
        return self._call("POST", f"users/{user_id}/images", files=files)["webhooks"]

    def send_postback(
        self,
        user_id: str,
        data: str,
        *,
        display_text: str | None = None,
        params: dict[str, str] | None = None,
    ) -> dict:
        payload: dict[str, Any] = {"data": data, "display_text": display_text, "params": params}
        return self._call("POST", f"users/{user_id}/postback", json=payload)

    # What LINE holds
    def messages_for(self, user_id: str) -> list[dict]:
        """Messages the bot delivered to the user, oldest first: ``{"id", "api", "message", ...}``."""
        return self._call("GET", f"users/{user_id}/messages")["messages"]

    def webhooks(self, user_id: str | None = None) -> list[dict]:
        return self._call("GET", "webhooks", params={"user": user_id} if user_id else None)["webhooks"]

    def redeliver(self, webhook_event_id: str | None = None) -> dict:
        """Send an event again (default: the latest) with isRedelivery true."""
        return self._call("POST", "webhooks/redeliver", json={"webhook_event_id": webhook_event_id})

    def mails(self) -> list[dict]:
        return self._call("GET", "mails")["mails"]
