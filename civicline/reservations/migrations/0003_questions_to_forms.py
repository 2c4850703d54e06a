"""Each service's extra questions become a form of the form engine, each booking's answers a
response of it (issue 19). Every answer stays sealed: the forms treat every answer as personal.

Answers to questions a service no longer asks (its questions were edited after the booking) are
kept as answers to an earlier version that still has them, labelled by their key as before.
"""

from django.db import migrations

TYPES = {"text": "long_text", "choice": "single", "number": "number", "date": "date"}
BACK = {"long_text": "text", "short_text": "text", "single": "choice", "dropdown": "choice"}
TEXT_LIMIT = 1000  # what the old booking form accepted


def _question(old, *, key=None):
    kind = TYPES.get(old.get("type"), "long_text")
    question = {
        "key": key or old["key"],
        "type": kind,
        "label": old.get("label") or key,
        "help": "",
        "required": bool(old.get("required")),
        "personal": True,
        "page_break": False,
    }
    if kind == "single":
        question["choices"] = list(old.get("choices", []))
    if kind == "long_text":
        question["max_length"] = TEXT_LIMIT
    return question


def _key_number(key):
    return int(key[1:]) if key[:1] == "q" and key[1:].isdigit() else 0


def forward(apps, schema_editor):
    Service = apps.get_model("reservations", "Service")
    Booking = apps.get_model("reservations", "Booking")
    Form = apps.get_model("forms", "Form")
    FormVersion = apps.get_model("forms", "FormVersion")
    Response = apps.get_model("forms", "Response")
    Answer = apps.get_model("forms", "Answer")
    for service in Service.objects.select_related("counter"):
        questions = [_question(q) for q in service.questions or []]
        known = {q["key"] for q in questions}
        answered = [b for b in Booking.objects.filter(service=service).order_by("pk") if b.answers]
        retired = sorted({k for b in answered for k in b.answers} - known, key=lambda k: (_key_number(k), k))
        form = Form.objects.create(
            department_id=service.counter.department_id,
            title=service.name[:200],
            all_personal=True,
            key_counter=max([_key_number(k) for k in known | set(retired)], default=0) + 1,
        )
        earlier = None
        if retired:
            earlier = FormVersion.objects.create(
                form=form, number=1, schema=questions + [_question({}, key=k) for k in retired]
            )
        current = FormVersion.objects.create(form=form, number=2 if earlier else 1, schema=questions)
        form.current_version = current
        form.save(update_fields=["current_version"])
        service.form = form
        service.save(update_fields=["form"])
        for booking in answered:
            response = Response.objects.create(
                form=form,
                version=earlier if set(booking.answers) - known else current,
                friend_id=booking.friend_id,
                submitted_at=booking.created_at,
            )
            Answer.objects.bulk_create(
                Answer(response=response, form=form, question=key, sealed=value)
                for key, value in booking.answers.items()
                if value not in (None, "", [], {})
            )
            booking.response = response
            booking.save(update_fields=["response"])


def _value(row):
    if row.sealed is not None:
        return row.sealed
    if row.choice:
        return row.choice
    if row.number is not None:
        return int(row.number) if row.number.is_integer() else row.number
    return row.data if row.data is not None else row.text


def backward(apps, schema_editor):
    Service = apps.get_model("reservations", "Service")
    Booking = apps.get_model("reservations", "Booking")
    Form = apps.get_model("forms", "Form")
    Response = apps.get_model("forms", "Response")
    Answer = apps.get_model("forms", "Answer")
    for booking in Booking.objects.exclude(response=None):
        answers = {}
        for row in Answer.objects.filter(response_id=booking.response_id).order_by("pk"):
            value = _value(row)
            if row.choice and row.question in answers:  # a multiple choice: one row per item
                previous = answers[row.question]
                value = [*(previous if isinstance(previous, list) else [previous]), value]
            answers[row.question] = value
        response_id = booking.response_id
        booking.answers, booking.response = answers, None
        booking.save(update_fields=["answers", "response"])
        Response.objects.filter(pk=response_id).delete()
    for service in Service.objects.exclude(form=None).select_related("form__current_version"):
        form = service.form
        service.questions = [
            {
                "key": q["key"],
                "label": q["label"],
                "type": BACK.get(q["type"], q["type"] if q["type"] in TYPES else "text"),
                "required": q["required"],
                **({"choices": q["choices"]} if q["type"] in BACK and "choices" in q else {}),
            }
            for q in form.current_version.schema
        ]
        service.form = None
        service.save(update_fields=["questions", "form"])
        Form.objects.filter(pk=form.pk).update(current_version=None)
        Form.objects.filter(pk=form.pk).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("reservations", "0002_questions_on_forms"),
    ]

    operations = [migrations.RunPython(forward, backward)]
