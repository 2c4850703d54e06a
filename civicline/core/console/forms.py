"""The console's form pages, one way: show the form, save through a service on a valid POST, say
so and move on; a service's refusal is shown on the form and nothing is saved. And the fields every
feature with opening hours shows: the city calendar's weekly hours, one text field per day.

    return form_page(
        request,
        form=form,
        title=_("窓口を追加"),
        back="reservations:counter-list",
        save=lambda form: services.counter_create(actor=request.user, data=form.counter_data()),
        success_message=lambda counter: _("窓口「%(name)s」を保存しました。") % {"name": counter.name},
    )
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from ..calendar import DAY_KEYS, DAY_LABELS, HOURS_HELP, Hours, ranges_format, ranges_parse
from ..translations import TranslationsFormMixin

FORM_PAGE_TEMPLATE = "core/console/form_page.html"

Saved = TypeVar("Saved")
Text = str | Promise


def form_page(
    request: HttpRequest,
    *,
    form: forms.BaseForm,
    title: Text,
    save: Callable[[Any], Saved],
    success_message: Text | Callable[[Saved], Text] | None = None,
    redirect_to: Any = None,
    back: str = "",
    template: str = FORM_PAGE_TEMPLATE,
    **context: Any,
) -> HttpResponse:
    """Render ``form`` on ``template``; on a valid POST call ``save(form)`` in one transaction.

    Saved: ``success_message`` (text, or made from what ``save`` returned) is shown on the next page,
    and the browser goes to ``redirect_to`` — a URL name, a URL or an object, or a callable given
    what ``save`` returned that answers one of those or a response of its own — else to ``back``.
    Refused: the service's ValidationError goes onto the form (its field errors onto those fields),
    a PermissionDenied shows as the form's error with status 403; either way nothing is saved.
    ``back`` is the URL name of the page the cancel link returns to; ``context`` goes to the template.
    """
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = save(form)
        except ValidationError as exc:
            form_errors_add(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("この操作を行う権限がありません。"))
            status = 403
        else:
            message = success_message(saved) if callable(success_message) else success_message
            if message:
                messages.success(request, str(message))
            target = redirect_to(saved) if callable(redirect_to) else redirect_to or back
            return target if isinstance(target, HttpResponse) else redirect(target)
    page = {"form": form, "title": title, "back_url_name": back, **context}
    return render(request, template, page, status=status)


def model_data(form: forms.BaseModelForm, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """What a model form gives its service: its model fields' cleaned values, and the content's
    versions in other languages when the form has them (``translations``, issue 21)."""
    data = {name: form.cleaned_data[name] for name in form._meta.fields or () if name not in exclude}
    if isinstance(form, TranslationsFormMixin) and form.translated_field_names:
        data["translations"] = form.translations_cleaned()
    return data


def form_errors_add(form: forms.BaseForm, error: ValidationError) -> None:
    """A service's refusal on the form: errors about a field the form shows go under that field,
    everything else at the top of the form (never lost because the form lacks the field)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


HOURS_FIELDS = [f"hours_{key}" for key in DAY_KEYS]


class WeeklyHoursFields(forms.BaseForm):
    """Weekly hours (``civicline.core.calendar``) as one field per day, typed as staff say them:
    「9:00-12:00, 13:00-17:00」, blank for a closed day."""

    def hours_fields_add(self, hours: Hours | None, *, label: Text = "%(day)s") -> None:
        for key, name in zip(DAY_KEYS, HOURS_FIELDS, strict=True):
            self.fields[name] = forms.CharField(
                label=label % {"day": DAY_LABELS[key]},
                required=False,
                help_text=HOURS_HELP if key == DAY_KEYS[0] else "",
                initial=ranges_format((hours or {}).get(key, [])),
            )

    def hours_clean(self, cleaned: dict[str, Any]) -> Hours:
        """The hours as stored; a day that cannot be read gets its error under its own field."""
        hours: Hours = {}
        for key, name in zip(DAY_KEYS, HOURS_FIELDS, strict=True):
            try:
                ranges = ranges_parse(cleaned.get(name, ""))
            except ValidationError as exc:
                self.add_error(name, exc)
                continue
            if ranges:
                hours[key] = ranges
        return hours
