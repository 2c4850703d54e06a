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

    # Rich menus on the phone
    def richmenu_for(self, user_id: str) -> dict:
        """The menu the user sees (per-user link, else default): size, areas, chatBarText, imageUrl."""
        return self._call("GET", f"users/{user_id}/richmenu")

    def switch_richmenu(self, user_id: str, alias_id: str, data: str) -> dict:
        """Tap a richmenuswitch area: ``{"status", "richMenu", "webhook"}`` (a postback is sent)."""
        return self._call(
            "POST", f"users/{user_id}/richmenu/switch", json={"richMenuAliasId": alias_id, "data": data}
        )

    # Insight: what the phone reports the user saw and opened
    def report_open(self, user_id: str, message_id: str) -> bool:
        """Count the message as seen by the user; False if it already was."""
        body = {"event": "open", "messageId": message_id}
        return self._call("POST", f"users/{user_id}/insight", json=body)["counted"]

    def report_click(self, user_id: str, message_id: str, url: str) -> bool:
        body = {"event": "click", "messageId": message_id, "url": url}
        return self._call("POST", f"users/{user_id}/insight", json=body)["counted"]

    # LIFF
    def create_liff_app(self, endpoint_url: str, view_type: str = "full") -> dict:
        """A new LIFF app with an id LINE-style generated; returns it as GET /liff/v1/apps lists it."""
        return self._call("POST", "liff/apps", json={"endpointUrl": endpoint_url, "viewType": view_type})

    def ensure_liff_app(self, liff_id: str, endpoint_url: str, view_type: str = "full") -> dict:
        """The LIFF app with exactly ``liff_id`` (e.g. settings.LIFF_ID), created or updated to match."""
        payload = {"liffId": liff_id, "endpointUrl": endpoint_url, "viewType": view_type}
        return self._call("POST", "liff/apps", json=payload)

    def resolve_liff_url(self, url: str, user_id: str | None = None) -> dict:
        """The page the phone opens for a LIFF URL: ``{"url", "viewType", "liffId", "endpointUrl"}``.

        With ``user_id`` the URL's fragment carries that user's LIFF context and ID token.
        """
        params = {"url": url, **({"user": user_id} if user_id else {})}
        return self._call("GET", "liff/resolve", params=params)

    def open_link(self, user_id: str, url: str) -> dict:
        """What the user's phone opens for a tapped link: ``{"liff": {…}}`` when it (or the redirects
        it leads through) reaches a LIFF app, else ``{"url", "notice"}`` for the browser."""
        return self._call("GET", f"users/{user_id}/open", params={"url": url})

    def issue_id_token(
        self, liff_id: str, user_id: str, *, nonce: str | None = None, expires_in: int | None = None
    ) -> str:
        """An ID token as ``liff.getIDToken()`` gives it; ``expires_in <= 0`` gives an expired one."""
        payload: dict[str, Any] = {"liffId": liff_id, "userId": user_id, "nonce": nonce}
        if expires_in is not None:
            payload["expiresIn"] = expires_in
        return self._call("POST", "liff/token", json=payload)["idToken"]

    # LINE Login's signing keys
    def login_keys(self) -> list[dict]:
        """The published keys: ``{"kid", "signing", "createdAt", "retiresAt"}``, oldest first."""
        return self._call("GET", "liff/keys")["keys"]

    def rotate_login_key(self, *, grace_seconds: int | None = None) -> str:
        """Sign ID tokens with a new key; the previous ones stay published ``grace_seconds`` (default:
        a token's lifetime; 0 withdraws them now). Returns the new key's ``kid``."""
        payload = {} if grace_seconds is None else {"graceSeconds": grace_seconds}
        return self._call("POST", "liff/keys/rotate", json=payload)["kid"]
