"""What "LINE" knows: its users, what it delivered to them, what they sent, and its own logs.

These tables live in the ``linesim`` database (see ``routers.py``), never in civicline's.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone

# LINE says a reply token must be used within one minute of receiving the webhook.
REPLY_TOKEN_TTL = timedelta(minutes=1)


def new_user_id() -> str:
    return "U" + uuid.uuid4().hex


def new_message_id() -> str:
    # LINE's message ids are numeric strings of about 18 digits.
    return str(10**17 + secrets.randbelow(9 * 10**17))


def new_quote_token() -> str:
    return secrets.token_urlsafe(96)


def new_reply_token() -> str:
    return uuid.uuid4().hex


class VirtualUserQuerySet(models.QuerySet):
    def reachable(self) -> VirtualUserQuerySet:
        """The users ``VirtualUser.reachable`` is true of, as a query."""
        return self.filter(following=True, blocked=False)


class VirtualUser(models.Model):
    user_id = models.CharField(max_length=33, unique=True, default=new_user_id)
    display_name = models.CharField(max_length=100)
    picture_url = models.URLField(blank=True)
    status_message = models.CharField(max_length=500, blank=True)
    language = models.CharField(max_length=20, default="ja")
    following = models.BooleanField(default=False)
    # A blocked account is also unfollowed; it stays blocked until the user follows again.
    blocked = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VirtualUserQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.user_id})"

    @property
    def reachable(self) -> bool:
        """LINE delivers only to users who follow the account and have not blocked it."""
        return self.following and not self.blocked

    def as_dict(self) -> dict:
        return {
            "userId": self.user_id,
            "displayName": self.display_name,
            "pictureUrl": self.picture_url,
            "statusMessage": self.status_message,
            "language": self.language,
            "following": self.following,
            "blocked": self.blocked,
            "createdAt": self.created_at.isoformat(),
        }


class SentRequest(models.Model):
    """A sending request LINE accepted (reply, push, multicast, broadcast, narrowcast).

    Its messages are stored once (``SentMessage``) and the users it reached as thin rows
    (``Recipient``): a multicast to 500 users costs 500 rows of two numbers, not 500 copies of
    every message, so the emulator keeps up with a delivery to millions at LINE's rate.
    """

    class Api(models.TextChoices):
        REPLY = "reply"
        PUSH = "push"
        MULTICAST = "multicast"
        BROADCAST = "broadcast"
        NARROWCAST = "narrowcast"

    request_id = models.CharField(max_length=64, unique=True)
    api = models.CharField(max_length=20, choices=Api.choices)
    notification_disabled = models.BooleanField(default=False)
    retry_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.api} {self.request_id}"


class SentMessage(models.Model):
    """One message object of a sent request, as the bot sent it; ``seq`` is its bubble number (1…5)."""

    request = models.ForeignKey(SentRequest, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveSmallIntegerField()
    # Every recipient of a request sees the same message id, as LINE's sentMessages names one per bubble.
    message_id = models.CharField(max_length=32, unique=True, default=new_message_id)
    quote_token = models.CharField(max_length=200, blank=True)
    message = models.JSONField()

    class Meta:
        ordering = ["request_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["request", "seq"], name="linesim_sent_message_seq")]

    def __str__(self) -> str:
        return f"{self.request_id}#{self.seq} {self.message.get('type')}"


class Recipient(models.Model):
    """A user a sent request reached; users who unfollowed or blocked get no row, as on LINE."""

    request = models.ForeignKey(SentRequest, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(VirtualUser, on_delete=models.CASCADE, related_name="received")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.request_id} → {self.user_id}"


def delivered_dict(request: SentRequest, message: SentMessage) -> dict:
    """A message as one user received it (the control API's and the phone page's shape)."""
    return {
        "id": message.message_id,
        "quoteToken": message.quote_token or None,
        "api": request.api,
        "message": message.message,
        "notificationDisabled": request.notification_disabled,
        "requestId": request.request_id,
        "retryKey": request.retry_key or None,
        "createdAt": request.created_at.isoformat(),
    }


class ReplyToken(models.Model):
    token = models.CharField(max_length=64, unique=True, default=new_reply_token)
    user = models.ForeignKey(VirtualUser, on_delete=models.CASCADE, related_name="reply_tokens")
    webhook_event_id = models.CharField(max_length=26)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.token

    def usable(self) -> bool:
        return self.used_at is None and timezone.now() - self.created_at <= REPLY_TOKEN_TTL


class AcceptedRetryKey(models.Model):
    """A retry key LINE has accepted; the same key again answers 409 (LINE keeps them 24 hours)."""

    key = models.UUIDField(unique=True)
    api = models.CharField(max_length=20)
    request_id = models.CharField(max_length=64)
    # What the first request answered, so a retried push can report its sentMessages as LINE does.
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.key)


class UserMessage(models.Model):
    """A message a user sent to the account; image bytes are kept for the content endpoint."""

    user = models.ForeignKey(VirtualUser, on_delete=models.CASCADE, related_name="sent")
    message_id = models.CharField(max_length=32, unique=True, default=new_message_id)
    type = models.CharField(max_length=20)
    message = models.JSONField()
    content = models.BinaryField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.type} {self.message_id} from {self.user_id}"


class WebhookDelivery(models.Model):
    webhook_event_id = models.CharField(max_length=26, db_index=True)
    event_type = models.CharField(max_length=30)
    user = models.ForeignKey(VirtualUser, null=True, on_delete=models.SET_NULL, related_name="webhooks")
    # The event alone, so it can be redelivered; payload is the exact signed body that was POSTed.
    event = models.JSONField()
    payload = models.TextField()
    url = models.URLField(max_length=500, blank=True)
    is_redelivery = models.BooleanField(default=False)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_event_id} → {self.status_code or self.error}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def as_dict(self) -> dict:
        return {
            "webhookEventId": self.webhook_event_id,
            "type": self.event_type,
            "event": self.event,
            "url": self.url,
            "isRedelivery": self.is_redelivery,
            "statusCode": self.status_code,
            "error": self.error or None,
            "ok": self.ok,
            "createdAt": self.created_at.isoformat(),
        }


class Narrowcast(models.Model):
    class Phase(models.TextChoices):
        WAITING = "waiting"
        SENDING = "sending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    request_id = models.CharField(max_length=64, unique=True)
    body = models.JSONField()
    phase = models.CharField(max_length=10, choices=Phase.choices, default=Phase.WAITING)
    target_count = models.PositiveIntegerField(default=0)
    success_count = models.PositiveIntegerField(default=0)
    failure_count = models.PositiveIntegerField(default=0)
    error_code = models.PositiveSmallIntegerField(null=True, blank=True)
    failed_description = models.CharField(max_length=500, blank=True)
    accepted_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"narrowcast {self.request_id} {self.phase}"


class Mail(models.Model):
    """A mail caught by the emulator's loopback SMTP server."""

    mail_from = models.CharField(max_length=500)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=1000, blank=True)
    body = models.TextField(blank=True)
    # The whole message, for the mailbox page (HTML parts, headers, attachments).
    raw = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"

    def as_dict(self) -> dict:
        return {
            "id": self.pk,
            "from": self.mail_from,
            "to": self.to,
            "subject": self.subject,
            "body": self.body,
            "receivedAt": self.received_at.isoformat(),
        }


def new_rich_menu_id() -> str:
    return "richmenu-" + uuid.uuid4().hex


class RichMenu(models.Model):
    """A rich menu object as the bot created it, with its image once uploaded (LINE allows one upload)."""

    rich_menu_id = models.CharField(max_length=41, unique=True, default=new_rich_menu_id)
    # The rich menu object exactly as sent, so it is answered back unchanged.
    body = models.JSONField()
    image = models.BinaryField(null=True, blank=True)
    image_content_type = models.CharField(max_length=20, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.rich_menu_id} {self.body.get('name', '')}"

    @property
    def has_image(self) -> bool:
        return self.image is not None

    def as_dict(self) -> dict:
        keys = ("size", "selected", "name", "chatBarText", "areas")
        return {"richMenuId": self.rich_menu_id, **{k: self.body[k] for k in keys}}


class RichMenuAlias(models.Model):
    alias_id = models.CharField(max_length=32, unique=True)
    # Not a foreign key: an alias outlives its menu, and a switch to it then reports RICHMENU_NOTFOUND.
    rich_menu_id = models.CharField(max_length=41)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "rich menu aliases"

    def __str__(self) -> str:
        return f"{self.alias_id} → {self.rich_menu_id}"

    def as_dict(self) -> dict:
        return {"richMenuAliasId": self.alias_id, "richMenuId": self.rich_menu_id}


class RichMenuLink(models.Model):
    """The per-user rich menu; it wins over the default one. Deleting the menu unlinks it."""

    user = models.OneToOneField(VirtualUser, on_delete=models.CASCADE, related_name="rich_menu_link")
    rich_menu = models.ForeignKey(RichMenu, on_delete=models.CASCADE, related_name="links")
    linked_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id} → {self.rich_menu_id}"


class RichMenuBatch(models.Model):
    """A "replace or unlink the linked rich menus in batches" request (POST /v2/bot/richmenu/batch).

    LINE answers 202 at once and works through the operations in the background; the progress
    endpoint reports ``ongoing`` until every linked user has been handled.
    """

    class Phase(models.TextChoices):
        ONGOING = "ongoing"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    request_id = models.CharField(max_length=64, unique=True)
    operations = models.JSONField()
    resume_request_key = models.CharField(max_length=100, blank=True)
    phase = models.CharField(max_length=10, choices=Phase.choices, default=Phase.ONGOING)
    users_changed = models.PositiveIntegerField(default=0)  # the emulator's own record, not LINE's
    accepted_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "rich menu batches"

    def __str__(self) -> str:
        return f"richmenu batch {self.request_id} {self.phase}"


class LiffApp(models.Model):
    class ViewType(models.TextChoices):
        COMPACT = "compact"
        TALL = "tall"
        FULL = "full"

    liff_id = models.CharField(max_length=64, unique=True)
    view_type = models.CharField(max_length=10, choices=ViewType.choices)
    endpoint_url = models.URLField(max_length=1000)
    module_mode = models.BooleanField(default=False)
    description = models.CharField(max_length=500, blank=True)
    features = models.JSONField(default=dict)
    permanent_link_pattern = models.CharField(max_length=20, default="concat")
    scope = models.JSONField(default=list)
    bot_prompt = models.CharField(max_length=20, default="none")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "LIFF app"

    def __str__(self) -> str:
        return f"{self.liff_id} → {self.endpoint_url}"

    @property
    def channel_id(self) -> str:
        """The LINE Login channel the app belongs to: its ID tokens carry this as ``aud``."""
        return self.liff_id.split("-", 1)[0]

    def as_dict(self) -> dict:
        view: dict = {"type": self.view_type, "url": self.endpoint_url}
        if self.module_mode:
            view["moduleMode"] = True
        body: dict = {"liffId": self.liff_id, "view": view}
        if self.description:
            body["description"] = self.description
        if self.features:
            body["features"] = self.features
        body.update(permanentLinkPattern=self.permanent_link_pattern, scope=self.scope)
        body["botPrompt"] = self.bot_prompt
        return body


class InsightEvent(models.Model):
    """A user seeing a delivered message, or opening a URL in it, as reported by the phone page."""

    class Kind(models.TextChoices):
        OPEN = "open"
        CLICK = "click"

    user = models.ForeignKey(VirtualUser, on_delete=models.CASCADE, related_name="insight_events")
    message_id = models.CharField(max_length=32)
    request_id = models.CharField(max_length=64, db_index=True)
    kind = models.CharField(max_length=5, choices=Kind.choices)
    url = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "message_id", "kind", "url"], name="linesim_insight_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id} by {self.user_id}"


class AggregationUnitUse(models.Model):
    """A push or multicast sent with ``customAggregationUnits`` (LINE allows one unit per request)."""

    unit = models.CharField(max_length=30, db_index=True)
    request_id = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.unit} ← {self.request_id}"


def new_key_id() -> str:
    # LINE's kids are 64 hex digits.
    return secrets.token_hex(32)


class LoginKey(models.Model):
    """A P-256 key LINE Login signs LIFF ID tokens with (ES256); its public half is in the JWKS.

    Kept in the emulator's database so that a restart keeps verifying the tokens it issued before.
    The newest key without ``retires_at`` signs; a rotated-out key stays published (and accepted by
    the verify endpoint) until ``retires_at``, then it is gone, as a key LINE has withdrawn.
    """

    kid = models.CharField(max_length=64, unique=True, default=new_key_id)
    private_key = models.TextField()  # PEM (PKCS#8): the emulator's state, never civicline's
    created_at = models.DateTimeField(default=timezone.now)
    retires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.kid

    def published(self, now: datetime | None = None) -> bool:
        return self.retires_at is None or self.retires_at > (now or timezone.now())
