"""Writes of delivery: the city's lists, residents' settings, segments and grants, deliveries from
draft to sent, email subscriptions and tracked links. Every staff action is audited.

One module per concern; callers import the names below from here.

Sending a delivery, and why it is safe to repeat any step:

1. ``delivery_schedule`` (``scheduling``) → SCHEDULED (or straight to SENDING for "send now");
   until the start it can be edited or unscheduled. Edits take the delivery's row first (an
   UPDATE), so the start, itself a conditional UPDATE, waits for them or finds the delivery no
   longer SCHEDULED.
2. ``delivery_start`` claims a due delivery (SCHEDULED → SENDING) exactly once.
3. ``delivery_send`` (``sending``, worker) streams the audience query — the same query whose count
   staff saw — in friend order and records it batch by batch: a ``DeliveryBatch`` (its own retry
   key) and its 500 ``DeliveryAudience`` rows in one statement each, before the batch's first
   attempt. Many batches are in flight at once (``messaging.BulkSender``) under the token bucket
   every worker shares, at LINE's multicast ceiling less its recommended headroom; outcomes are
   written in bulk as they come back. Memory stays flat: a few thousand friends are held at a time.
   Resuming after the worker was killed, or after LINE was unreachable, resends exactly the
   recorded batches not yet answered with their own keys (LINE answers 409 for any it had already
   accepted, which counts as accepted), then streams on after the highest friend recorded: nobody is
   addressed twice, nobody is left out. A claim on the delivery (renewed while it sends) and the
   (delivery, number) unique constraint keep a second sender out. While LINE cannot be reached the
   delivery stays "sending" (``retry_at``): nothing that will be retried is reported as failed. A
   batch still unanswered 23 hours after its first attempt fails (LINE keeps a retry key 24 hours:
   sending it later could deliver it twice). A broadcast is claimed before it is sent and never
   repeated.
4. ``delivery_finish_check`` settles the status once every batch has an outcome.
"""

from .drafts import (
    DeliveryInput,
    MessageInput,
    delivery_create,
    delivery_create_system,
    delivery_delete,
    delivery_test_send,
    delivery_update,
)
from .links import link_follow, tracked_url
from .lists import area_create, area_update, topic_create, topic_update
from .outcomes import (
    deliveries_insight_refresh,
    deliveries_unfollows_count,
    delivery_insight_refresh,
    delivery_unfollows_count,
)
from .residents import resident_settings_clear, resident_settings_save
from .scheduling import (
    deliveries_start_due,
    delivery_schedule,
    delivery_send_system,
    delivery_start,
    delivery_unschedule,
)
from .segments import SEGMENT_FIELDS, grants_set, segment_create, segment_delete, segment_update
from .sending import deliveries_sweep, delivery_finish_check, delivery_send, email_batch_send
from .subscriptions import (
    email_pending_purge,
    email_subscriber_for_unsubscribe,
    email_subscription_confirm,
    email_subscription_request,
    email_unsubscribe,
)

__all__ = [
    "SEGMENT_FIELDS",
    "DeliveryInput",
    "MessageInput",
    "area_create",
    "area_update",
    "deliveries_insight_refresh",
    "deliveries_start_due",
    "deliveries_sweep",
    "deliveries_unfollows_count",
    "delivery_create",
    "delivery_create_system",
    "delivery_delete",
    "delivery_finish_check",
    "delivery_insight_refresh",
    "delivery_schedule",
    "delivery_send",
    "delivery_send_system",
    "delivery_start",
    "delivery_test_send",
    "delivery_unfollows_count",
    "delivery_unschedule",
    "delivery_update",
    "email_batch_send",
    "email_pending_purge",
    "email_subscriber_for_unsubscribe",
    "email_subscription_confirm",
    "email_subscription_request",
    "email_unsubscribe",
    "grants_set",
    "link_follow",
    "resident_settings_clear",
    "resident_settings_save",
    "segment_create",
    "segment_delete",
    "segment_update",
    "topic_create",
    "topic_update",
    "tracked_url",
]
