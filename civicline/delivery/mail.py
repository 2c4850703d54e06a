"""Email co-delivery (SD-9): signed links for double opt-in and one-click unsubscribe, the
confirmation mail, and a delivery's messages as a plain-text mail.

Links carry ``django.core.signing`` tokens (salted per purpose): a confirmation link expires after
three days; an unsubscribe link never does (old mails must keep working) and is bound to the
address's digest, so it stops working once the address is gone. Delivery mails carry RFC 8058
``List-Unsubscribe`` / ``List-Unsubscribe-Post`` headers, so mail apps offer one-click unsubscribe.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, get_connection, send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from . import images
from .line_messages import URL, Kind, Linker, MessageDraft, is_link
from .models import EmailSubscriber, Topic

CONFIRM_SALT = "civicline.delivery.email.confirm"
UNSUBSCRIBE_SALT = "civicline.delivery.email.unsubscribe"
CONFIRM_MAX_AGE = 3 * 24 * 3600


def normalized(address: str) -> str:
    return address.strip().lower()


def email_digest(address: str) -> str:
    """A keyed hash of the address: finds a subscriber again without a searchable plaintext column."""
    return salted_hmac("civicline.delivery.email", normalized(address), algorithm="sha256").hexdigest()


def confirm_token(subscriber: EmailSubscriber, topic_ids: Iterable[int]) -> str:
    return signing.dumps({"s": subscriber.pk, "t": sorted(set(topic_ids))}, salt=CONFIRM_SALT, compress=True)


def confirm_read(token: str) -> tuple[int, list[int]]:
    """(subscriber id, topic ids) from a confirmation link; raises ``signing.BadSignature`` (or expired)."""
    data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    return int(data["s"]), [int(t) for t in data["t"]]


def unsubscribe_token(subscriber: EmailSubscriber) -> str:
    return signing.dumps({"s": subscriber.pk, "d": subscriber.email_digest[:16]}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_read(token: str) -> tuple[int, str]:
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    return int(data["s"]), str(data["d"])


def _absolute(name: str, token: str) -> str:
    return settings.SITE_URL + reverse(name, args=[token])


def confirmation_send(subscriber: EmailSubscriber, topics: Sequence[Topic]) -> None:
    context = {
        "city": settings.CITY_NAME,
        "topics": "、".join(t.name for t in topics),
        "confirm_url": _absolute(
            "delivery_liff:email-confirm", confirm_token(subscriber, [t.pk for t in topics])
        ),
        "hours": CONFIRM_MAX_AGE // 3600,
    }
    send_mail(
        subject=render_to_string("delivery/email/confirm_subject.txt", context).strip(),
        message=render_to_string("delivery/email/confirm.txt", context),
        from_email=None,
        recipient_list=[subscriber.email],
    )


# --- a delivery as a mail -------------------------------------------------------------------------


def _links(actions: list[dict[str, str]], link: Linker) -> list[str]:
    # A "message" action makes the resident send words in LINE; it means nothing in a mail.
    return [f"▶ {a['label']}: {link(a['value'])}" for a in actions if is_link(a["value"])]


def body_text(drafts: Sequence[MessageDraft], link: Linker) -> str:
    """The messages as plain text, links through ``link``, one paragraph per message."""
    parts: list[str] = []
    for draft in drafts:
        lines: list[str] = []
        if draft.title.strip():
            lines.append(f"■ {draft.title.strip()}")
        if draft.kind == Kind.IMAGE or (draft.image is not None and draft.kind != Kind.TEXT):
            lines.append(_("（画像）%(url)s") % {"url": images.public_url(draft.image.name)})
        if draft.text.strip():
            lines.append(URL.sub(lambda m: link(m[0]), draft.text.strip()))
        lines.extend(_links(draft.actions, link))
        parts.append("\n".join(lines))
    return "\n\n".join(p for p in parts if p)


def delivery_mail(*, subject: str, body: str, subscriber: EmailSubscriber, topics: str) -> EmailMessage:
    unsubscribe_url = _absolute("delivery_liff:email-unsubscribe", unsubscribe_token(subscriber))
    context: dict[str, Any] = {
        "body": body,
        "city": settings.CITY_NAME,
        "topics": topics,
        "unsubscribe_url": unsubscribe_url,
    }
    return EmailMessage(
        subject=subject,
        body=render_to_string("delivery/email/delivery.txt", context),
        to=[subscriber.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def mails_send(mails: list[EmailMessage]) -> int:
    """Send over one SMTP connection; the number the backend accepted."""
    with get_connection() as connection:
        return connection.send_messages(mails) or 0
