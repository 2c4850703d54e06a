"""Every change of the alerts feature: its settings, and what happens when a report arrives.

A report (from the feed, a file or the command) goes through ``report_ingest``:

1. parsed XXE-safely; a drill (訓練) or test (試験) report, or a kind the city does not follow, stops here;
2. a report already seen (same office, title, EventID, serial, InfoType and time) stops here: the
   unique ``dedupe_key`` makes this hold under concurrent workers too;
3. matched against the city's area codes: a report for other places is "not concerned";
4. the situation (``AlertEvent``) is updated: issued / corrected (訂正) / lifted (解除) /
   cancelled (取消, which also undoes what was done automatically because of it);
5. the policies whose level is reached act, each at most once per situation (unique constraint):
   staff are told (console banner, e-mail), and each emergency action a feature registered runs
   automatically ("auto"), is prepared ("suggest": a delivery's draft), or waits for one button.

Every automatic change is audited by the feature that makes it, under ``ACTOR_LABEL``; staff undo
any of them with one button (``action_undo``).
"""

from __future__ import annotations

import copy
import logging
import re
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicline.core import languages
from civicline.core.audit import (
    Action,
    audit_context_enter,
    audit_context_exit,
    audit_record,
    audited_create,
    audited_delete,
    audited_update,
)
from civicline.core.features import EmergencyAction, EmergencyRequest, emergency_actions
from civicline.core.models import Staff
from civicline.core.permissions import require_department, require_system_admin

from . import jma
from .models import (
    ACTOR_LABEL,
    AlertAction,
    AlertEvent,
    AlertReport,
    AlertSettings,
    AreaCode,
    Policy,
)

logger = logging.getLogger(__name__)

NOTIFY_KEY = "notify"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


# --- settings (system administrator) ---------------------------------------------------------------


SETTINGS_FIELDS = ("department", "notify_emails", "topic_name", "message_template")
AUDITED_SETTINGS_FIELDS = (*SETTINGS_FIELDS, "translations")
POLICY_FIELDS = ("kind", "min_level", "notify", "actions", "delivery_everyone")
ADMIN_ONLY = gettext_lazy("防災情報の設定はシステム管理者が行います。")


@transaction.atomic
def settings_update(*, actor: Staff, data: dict[str, Any]) -> AlertSettings:
    require_system_admin(actor, message=ADMIN_ONLY)
    current = AlertSettings.current()
    audited_update(
        actor=actor, obj=current, data=data, summary=_("防災情報の設定を変更"), fields=AUDITED_SETTINGS_FIELDS
    )
    return current


@transaction.atomic
def area_code_create(*, actor: Staff, data: dict[str, Any]) -> AreaCode:
    require_system_admin(actor, message=ADMIN_ONLY)
    area_code = AreaCode(**data)
    summary = _("対象地域のコードを追加") + f"（{area_code}）"
    audited_create(actor=actor, obj=area_code, summary=summary, fields=list(data))
    return area_code


@transaction.atomic
def area_code_delete(*, actor: Staff, area_code: AreaCode) -> None:
    require_system_admin(actor, message=ADMIN_ONLY)
    audited_delete(
        actor=actor,
        obj=area_code,
        summary=_("対象地域のコードを削除（%(code)s）") % {"code": area_code},
        fields=["code_type", "code", "name"],
    )


@transaction.atomic
def policy_save(*, actor: Staff, policy: Policy | None, data: dict[str, Any]) -> Policy:
    require_system_admin(actor, message=ADMIN_ONLY)
    known = emergency_actions()
    actions = {k: v for k, v in (data.get("actions") or {}).items() if v}
    unknown = set(actions) - set(known)
    if unknown or any(v not in Policy.Mode.values for v in actions.values()):
        raise ValidationError(_("行うことの指定が正しくありません。"))
    values = {**data, "actions": actions}
    # The policy as it will be, to check its level and name it in the audit log before saving.
    after = copy.copy(policy) if policy is not None else Policy()
    for name, value in values.items():
        setattr(after, name, value)
    if after.min_level not in dict(jma.LEVELS.get(after.kind, [])):
        raise ValidationError(_("この情報の種類にないレベルです。"))
    if policy is None:
        audited_create(
            actor=actor, obj=after, summary=_("対応方針を追加") + f"（{after}）", fields=POLICY_FIELDS
        )
        return after
    summary = _("対応方針を変更") + f"（{after}）"
    audited_update(actor=actor, obj=policy, data=values, summary=summary, fields=POLICY_FIELDS)
    return policy


@transaction.atomic
def policy_delete(*, actor: Staff, policy: Policy) -> None:
    require_system_admin(actor, message=ADMIN_ONLY)
    audited_delete(
        actor=actor,
        obj=policy,
        summary=_("対応方針を削除（%(policy)s）") % {"policy": policy},
        fields=POLICY_FIELDS,
    )


# --- ingesting a report ---------------------------------------------------------------------------


@dataclass
class IngestResult:
    reports: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)

    def extend(self, other: IngestResult) -> None:
        self.reports += other.reports
        self.actions += other.actions

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def report_ingest(*, data: bytes, source: str = "", dry_run: bool = False) -> IngestResult:
    """Read one report's bytes and act on it per the city's policy.

    Never raises for a bad report: it is listed with status "error" (the feed goes on).
    """
    token = audit_context_enter(actor_label=ACTOR_LABEL)
    try:
        try:
            report = jma.parse_report(data)
        except jma.ReportError as exc:
            return IngestResult(reports=[_line(None, status="error", error=str(exc), source=source)])
        return _ingest(report, source=source, dry_run=dry_run)
    finally:
        audit_context_exit(token)


def _line(report: jma.Report | None, *, status: str, level: int = 0, areas: Any = (), **extra: Any) -> dict:
    kind = report.kind if report else ""
    return {
        "kind": kind,
        "title": report.head_title if report else "",
        "level": level,
        "level_label": jma.level_label(kind, level) if kind else "",
        "areas": [a.name or a.code for a in areas],
        "status": status,
        **({"info_type": report.info_type} if report else {}),
        **extra,
    }


def _city_codes() -> list[jma.CityCode]:
    return [jma.CityCode(c.code_type, c.code, c.name) for c in AreaCode.objects.all()]


def _find_event(report: jma.Report) -> AlertEvent | None:
    events = AlertEvent.objects.filter(key=report.event_key)
    if report.kind not in jma.ONE_SHOT:
        # A lifted situation is over: the next warning of the office opens a new one.
        events = events.filter(closed_at__isnull=True)
    return events.order_by("-pk").first()


def _ingest(report: jma.Report, *, source: str, dry_run: bool) -> IngestResult:
    if not report.kind:
        return IngestResult(reports=[_line(report, status="ignored", source=source)])
    if report.status != "通常":
        # Drills (訓練) and tests (試験) go through the same feeds: never acted on.
        return IngestResult(reports=[_line(report, status="drill", source=source)])
    if AlertReport.objects.filter(dedupe_key=report.dedupe_key).exists():
        return IngestResult(reports=[_line(report, status="duplicate", source=source)])
    if report.info_type == "取消":
        return _cancel(report, source=source, dry_run=dry_run)
    city = jma.concern(report, _city_codes())
    if not city.named:
        return IngestResult(reports=[_line(report, status="not_concerned", source=source)])
    event = _find_event(report)
    if city.level == 0 and event is None:
        return IngestResult(reports=[_line(report, status="none", areas=city.areas, source=source)])
    if report.info_type == "訂正":
        status = AlertReport.Outcome.CORRECTED
    elif city.level == 0:
        status = AlertReport.Outcome.LIFTED
    else:
        status = AlertReport.Outcome.ISSUED
    result = IngestResult(
        reports=[_line(report, status=str(status), level=city.level, areas=city.areas, source=source)]
    )
    if dry_run:
        levels = {**(event.levels if event else {}), report.source_key: city.level}
        result.actions = [
            {"action": key, "label": str(label), "mode": mode, "status": "dry_run"}
            for key, label, mode, _policy in _due(event, max(levels.values()), report.kind)
        ]
        return result
    try:
        with transaction.atomic():
            stored = _store(report, status=status, level=city.level, areas=city.areas, source=source)
            event = _event_update(event, report, city)
            stored.event = event
            stored.save(update_fields=["event"])
            actions = _act(event, stored, city)
    except IntegrityError:
        # The same report arrived by another worker meanwhile (short and long feed): theirs acts.
        return IngestResult(reports=[_line(report, status="duplicate", source=source)])
    result.actions = [_action_line(a) for a in actions]
    if status == AlertReport.Outcome.LIFTED and event.actions.exclude(action_key=NOTIFY_KEY).exists():
        _notify_later(event, lifted=True)
    return result


def _store(report: jma.Report, *, status: str, level: int, areas: Any, source: str) -> AlertReport:
    stored = AlertReport.objects.create(
        dedupe_key=report.dedupe_key,
        kind=report.kind,
        control_title=report.control_title[:200],
        head_title=report.head_title[:200],
        office=report.office[:100],
        jma_event_id=report.event_id[:100],
        serial=report.serial[:20],
        info_type=report.info_type[:10],
        report_datetime=report.report_datetime,
        headline=report.headline,
        level=level,
        areas=[a.name or a.code for a in areas],
        outcome=status,
        source=source[:500],
    )
    audit_record(
        action=Action.CREATE,
        target=stored,
        summary=_("気象庁の情報を受信（%(title)s・%(level)s・%(status)s）")
        % {
            "title": stored.head_title,
            "level": jma.level_label(report.kind, level),
            "status": stored.get_outcome_display(),
        },
        changes={"source": stored.source, "info_type": stored.info_type, "areas": stored.areas},
    )
    return stored


def _event_update(event: AlertEvent | None, report: jma.Report, city: jma.Concern) -> AlertEvent:
    now = timezone.now()
    if event is None:
        event = AlertEvent(key=report.event_key, kind=report.kind, opened_at=now, levels={})
    event.levels = {**event.levels, report.source_key: city.level}
    event.level = max(event.levels.values(), default=0)
    if city.level >= event.max_level and city.level:
        event.phenomena = list(city.phenomena)
        event.areas = [a.name or a.code for a in city.areas]
        event.title = "・".join(city.phenomena) or report.head_title
    event.title = event.title or report.head_title
    event.max_level = max(event.max_level, event.level)
    event.updated_at = now
    if event.level == 0 and report.kind not in jma.ONE_SHOT:
        event.closed_at = now
    event.save()
    return event


def _due(event: AlertEvent | None, level: int, kind: str) -> list[tuple[str, str, str, Policy]]:
    """(action key, label, mode, policy) the policies call for at ``level`` and have not done yet.

    Where two policies name the same action, the one of the higher level decides, unless the
    action acts per level (a new message for a higher level).
    """
    registry = emergency_actions()
    done = set()
    if event is not None and event.pk:
        done = set(event.actions.values_list("policy_id", "action_key"))
        done_keys = {key for _p, key in done}
    else:
        done_keys = set()
    due: dict[tuple[str, int], tuple[str, str, str, Policy]] = {}
    for policy in Policy.objects.filter(kind=kind, min_level__lte=level).order_by("-min_level"):
        wanted: list[tuple[str, str]] = [(NOTIFY_KEY, Policy.Mode.AUTO)] if policy.notify else []
        wanted += [(k, m) for k, m in policy.actions.items() if k in registry and m]
        for key, mode in wanted:
            action = registry.get(key)
            repeat = action is not None and action.per_level
            slot = (key, policy.pk if repeat else 0)
            if slot in due or (policy.pk, key) in done or (not repeat and key in done_keys):
                continue
            label = _("職員に通知") if key == NOTIFY_KEY or action is None else str(action.label)
            due[slot] = (key, label, mode, policy)
    order = {key: a.order for key, a in registry.items()}
    return sorted(due.values(), key=lambda d: (order.get(d[0], 0), d[3].min_level))


def _request_for(event: AlertEvent, report: AlertReport | None, policy: Policy | None, *, mode: str) -> dict:
    """What the features are asked to do, as JSON (kept with a suggestion, run later by staff)."""
    current = AlertSettings.current()
    codes = list(AreaCode.objects.filter(name__in=event.areas)) or list(AreaCode.objects.all())
    names: list[str] = []
    whole_city = False
    for code in codes:
        if not code.resident_area_names:
            whole_city = True
        names += [n for n in code.resident_area_names if n not in names]
    title = event.title or (report.head_title if report else "")
    when = report.report_datetime if report and report.report_datetime else event.updated_at
    when = timezone.localtime(when)

    def message(template: str, language: str) -> str:
        """The city's template filled in, its words around the alert's in ``language``; the alert's
        own (title, headline, areas) stay as the Japan Meteorological Agency published them."""
        with languages.speaking(language):
            values = {
                "title": title,
                "areas": "、".join(event.areas) or str(_("市内")),
                "time": _("%(month)s月%(day)s日%(hour)02d時%(minute)02d分")
                % {"month": when.month, "day": when.day, "hour": when.hour, "minute": when.minute},
                "headline": report.headline if report else "",
                "level": event.max_level_display,
                "shelter_url": _shelter_url(language),
            }
            return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), template).strip()

    # The delivery sends each resident the version of their language, by the city's fallbacks.
    versions = {
        code: {"text": message(template, code)}
        for code in languages.translation_languages()
        if (template := (current.translations.get(code) or {}).get("message_template"))
    }
    return {
        "title": title[:80],
        "text": message(current.message_template, languages.JAPANESE),
        "translations": versions,
        "disaster_kind": _disaster_kind(event),
        "area_names": [] if whole_city else names,
        "everyone": bool(policy and policy.delivery_everyone),
        "department_id": current.department_id,
        "topic_name": current.topic_name,
        "prepare_only": mode == Policy.Mode.SUGGEST,
    }


def _shelter_url(language: str) -> str:
    """The public shelter list, opening in ``language`` (it needs no sign-in to know the reader's)."""
    try:
        url = django_settings.SITE_URL + reverse("facilities_liff:shelter-list")
    except NoReverseMatch:
        return django_settings.SITE_URL
    return url if language == languages.JAPANESE else f"{url}?{urlencode({'lang': language})}"


def _disaster_kind(event: AlertEvent) -> str:
    """The kind of shelter residents need (facilities' DisasterKind values), from what was issued."""
    if event.kind == jma.Kind.QUAKE:
        return "earthquake"
    if event.kind == jma.Kind.TSUNAMI:
        return "tsunami"
    if event.kind == jma.Kind.LANDSLIDE:
        return "landslide"
    if event.kind in (jma.Kind.FLOOD, jma.Kind.RECORD_RAIN):
        return "flood"
    names = "".join(event.phenomena)
    for word, kind in (
        ("土砂", "landslide"),
        ("高潮", "storm_surge"),
        ("洪水", "flood"),
        ("氾濫", "flood"),
        ("大雨", "flood"),
    ):
        if word in names:
            return kind
    return ""


def _emergency_request(data: dict, *, actor: Staff | None) -> EmergencyRequest:
    return EmergencyRequest(
        title=data.get("title", ""),
        text=data.get("text", ""),
        translations=data.get("translations") or {},
        disaster_kind=data.get("disaster_kind", ""),
        area_names=tuple(data.get("area_names") or ()),
        everyone=bool(data.get("everyone")),
        department_id=data.get("department_id"),
        topic_name=data.get("topic_name", ""),
        prepare_only=bool(data.get("prepare_only")),
        actor=actor,
        actor_label="" if actor is not None else ACTOR_LABEL,
    )


def _act(event: AlertEvent, report: AlertReport, city: jma.Concern) -> list[AlertAction]:
    registry = emergency_actions()
    made = []
    notify = False
    for key, label, mode, policy in _due(event, event.level, event.kind):
        action = AlertAction(
            event=event, report=report, policy=policy, action_key=key, label=label[:100], mode=mode
        )
        if key == NOTIFY_KEY:
            notify = True
            action.status, action.done_at = AlertAction.Status.DONE, timezone.now()
            action.summary = _("管理画面に表示し、担当者にメールで通知")
            action.save()
            made.append(action)
            continue
        action.request = _request_for(event, report, policy, mode=mode)
        handler = registry[key]
        if mode == Policy.Mode.AUTO or handler.prepares:
            _run(action, handler, actor=None)
        else:
            action.status = AlertAction.Status.SUGGESTED
            action.save()
            audit_record(
                action=Action.CREATE,
                target=action,
                summary=_("「%(label)s」を職員の確認待ちとして用意（%(title)s）")
                % {"label": label, "title": event.title},
            )
        made.append(action)
    if notify or any(a.status == AlertAction.Status.SUGGESTED for a in made):
        _notify_later(event, lifted=False)
    return made


def _run(action: AlertAction, handler: EmergencyAction, *, actor: Staff | None) -> None:
    """Run the feature's action in a savepoint: one that fails leaves the others done."""
    try:
        with transaction.atomic():
            outcome = handler.run(_emergency_request(action.request, actor=actor))
    except (ValidationError, PermissionDenied, ValueError) as exc:
        action.status = AlertAction.Status.FAILED
        action.error = "; ".join(getattr(exc, "messages", None) or [str(exc)])[:2000]
    except Exception as exc:
        logger.exception("emergency action %s failed", action.action_key)
        action.status, action.error = AlertAction.Status.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
    else:
        action.status = AlertAction.Status.DONE
        action.summary, action.undo_data, action.url = (
            outcome.summary[:500],
            outcome.undo_data,
            outcome.url[:300],
        )
        action.done_at, action.done_by, action.error = timezone.now(), actor, ""
    action.save()
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        target=action,
        summary=_("「%(label)s」を実行: %(result)s")
        % {
            "label": action.label,
            "result": action.summary
            if action.status == AlertAction.Status.DONE
            else _("失敗 ") + action.error,
        },
        changes={"mode": action.mode, "status": action.status, "undo": action.undo_data},
    )


def _action_line(action: AlertAction) -> dict[str, Any]:
    return {
        "action": action.action_key,
        "label": action.label,
        "mode": action.mode,
        "status": action.status,
        "summary": action.summary,
        "error": action.error,
    }


def _cancel(report: jma.Report, *, source: str, dry_run: bool) -> IngestResult:
    """取消: the report was withdrawn; what was done automatically because of it is undone."""
    event = AlertEvent.objects.filter(key=report.event_key).order_by("-pk").first()
    if event is None:
        return IngestResult(reports=[_line(report, status="not_concerned", source=source)])
    result = IngestResult(reports=[_line(report, status=AlertReport.Outcome.CANCELLED, source=source)])
    undoable = event.actions.filter(
        status=AlertAction.Status.DONE, mode=Policy.Mode.AUTO, undo_data__isnull=False
    )
    if dry_run:
        result.actions = [
            {"action": a.action_key, "label": a.label, "status": "would_undo"} for a in undoable
        ]
        return result
    try:
        with transaction.atomic():
            stored = _store(report, status=AlertReport.Outcome.CANCELLED, level=0, areas=(), source=source)
            stored.event = event
            stored.save(update_fields=["event"])
            event.levels = {key: 0 for key in event.levels}
            event.level, event.closed_at, event.updated_at = 0, timezone.now(), timezone.now()
            event.save()
            for action in undoable:
                _undo(action, actor=None)
                result.actions.append(_action_line(action))
    except IntegrityError:
        return IngestResult(reports=[_line(report, status="duplicate", source=source)])
    _notify_later(event, lifted=True)
    return result


# --- staff's buttons on the timeline --------------------------------------------------------------


def _may_act(actor: Staff) -> None:
    # The responsible department is the city's setting, not the action's: it may change meanwhile.
    require_department(
        actor, AlertSettings.current(), message=_("防災情報の対応を操作する権限がありません。")
    )


def action_execute(*, action: AlertAction, actor: Staff) -> AlertAction:
    """Carry out a suggested action now, as the staff member (their own permissions apply)."""
    _may_act(actor)
    handler = emergency_actions().get(action.action_key)
    with transaction.atomic():
        locked = AlertAction.objects.select_for_update().get(pk=action.pk)
        if locked.status not in (AlertAction.Status.SUGGESTED, AlertAction.Status.FAILED) or handler is None:
            raise ValidationError(_("この対応は実行できません（既に実行済みか、見送り済みです）。"))
        locked.request = {**locked.request, "prepare_only": False}
        _run(locked, handler, actor=actor)
    return locked


def action_dismiss(*, action: AlertAction, actor: Staff) -> AlertAction:
    _may_act(actor)
    with transaction.atomic():
        locked = AlertAction.objects.select_for_update().get(pk=action.pk)
        if locked.status != AlertAction.Status.SUGGESTED:
            raise ValidationError(_("実行待ちの対応だけを見送れます。"))
        locked.status = AlertAction.Status.DISMISSED
        locked.save(update_fields=["status"])
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            target=locked,
            summary=_("「%(label)s」を見送り") % {"label": locked.label},
        )
    return locked


def action_undo(*, action: AlertAction, actor: Staff) -> AlertAction:
    """Put back what an action changed (the menu, the disaster kind, an unsent draft), in one step."""
    _may_act(actor)
    with transaction.atomic():
        locked = AlertAction.objects.select_for_update().get(pk=action.pk)
        if not locked.can_undo:
            raise ValidationError(_("この対応は元に戻せません。"))
        _undo(locked, actor=actor)
        if locked.status != AlertAction.Status.REVERTED:
            raise ValidationError(locked.error or _("元に戻せませんでした。"))
    return locked


def _undo(action: AlertAction, *, actor: Staff | None) -> None:
    handler = emergency_actions().get(action.action_key)
    if handler is None or handler.undo is None or action.undo_data is None:
        return
    try:
        with transaction.atomic():
            summary = handler.undo(action.undo_data, actor, "" if actor is not None else ACTOR_LABEL)
    except (ValidationError, PermissionDenied, ValueError) as exc:
        action.error = "; ".join(getattr(exc, "messages", None) or [str(exc)])[:2000]
        action.save(update_fields=["error"])
        return
    action.status, action.reverted_at, action.reverted_by = AlertAction.Status.REVERTED, timezone.now(), actor
    action.summary = f"{action.summary} → {summary}"[:500]
    action.error = ""
    action.save(update_fields=["status", "reverted_at", "reverted_by", "summary", "error"])
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        target=action,
        summary=_("「%(label)s」を元に戻す: %(result)s") % {"label": action.label, "result": summary},
    )


# --- telling the duty staff -----------------------------------------------------------------------


def _notify_later(event: AlertEvent, *, lifted: bool) -> None:
    transaction.on_commit(lambda: _notify(event.pk, lifted=lifted), robust=True)


def _notify(event_id: int, *, lifted: bool) -> None:
    event = AlertEvent.objects.filter(pk=event_id).first()
    current = AlertSettings.current()
    recipients = list(current.email_list)
    if current.department is not None and current.department.email:
        recipients.append(current.department.email)
    if event is None or not recipients:
        return
    state = _("解除・取消") if lifted else event.level_display
    subject = _("【防災情報】%(title)s %(state)s") % {"title": event.title, "state": state}
    waiting = event.actions.filter(status=AlertAction.Status.SUGGESTED).count()
    lines = [
        _("気象庁の情報が市の対象地域に該当しました。")
        if not lifted
        else _("対象地域の情報が解除・取消されました。自動で行った対応を確認してください。"),
        "",
        _("情報: %(title)s（%(level)s）") % {"title": event.title, "level": event.max_level_display},
        _("地域: %(areas)s") % {"areas": "、".join(event.areas)},
    ]
    for action in event.actions.exclude(action_key=NOTIFY_KEY):
        lines.append(f"・{action.label}: {action.get_status_display()} {action.summary}".rstrip())
    if waiting:
        lines.append(_("職員の確認待ちの対応が %(n)d 件あります。") % {"n": waiting})
    lines += ["", django_settings.SITE_URL + reverse("alerts:event-detail", args=[event.pk])]
    # No personal data: the alert is public information, the link needs a console login.
    try:
        send_mail(subject, "\n".join(lines), None, sorted(set(recipients)))
    except Exception:
        logger.exception("alert notification mail failed")
