"""The console's one form page (issue 19): a valid form is saved through the service and staff are
told so on the next page; a service's refusal shows on the form in Japanese and saves nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from civicline.core import services
from civicline.core.models import Department

pytestmark = pytest.mark.django_db

NEW_DEPARTMENT = {"code": "shimin", "name": "市民課", "email": "shimin@city.example.jp", "is_active": "on"}


def test_a_valid_form_is_saved_and_the_next_page_says_so(system_admin_client):
    response = system_admin_client.post(reverse("console:department-create"), NEW_DEPARTMENT, follow=True)

    assert response.redirect_chain == [(reverse("console:department-list"), 302)]
    assert Department.objects.filter(code="shimin", name="市民課").exists()
    assert "課「市民課」を作成しました。" in response.content.decode()


def test_a_refusal_about_a_field_is_shown_under_it_and_nothing_is_saved(system_admin_client, monkeypatch):
    real_create = services.department_create

    def create_then_refuse(**kwargs):
        real_create(**kwargs)  # written, then refused: the page's transaction must undo it
        raise ValidationError(
            {"name": "この課の名前はすでに使われています。", "budget": "予算の枠を超えています。"}
        )

    monkeypatch.setattr(services, "department_create", create_then_refuse)

    response = system_admin_client.post(reverse("console:department-create"), NEW_DEPARTMENT)

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["name"] == ["この課の名前はすでに使われています。"]
    assert form.non_field_errors() == ["予算の枠を超えています。"]  # the form has no such field
    assert "この課の名前はすでに使われています。" in response.content.decode()
    assert not Department.objects.filter(code="shimin").exists()


def test_a_refusal_of_the_whole_form_is_shown_at_its_top(system_admin_client, monkeypatch, department):
    def refuse(**kwargs):
        raise ValidationError("最後の課は無効にできません。")

    monkeypatch.setattr(services, "department_update", refuse)

    response = system_admin_client.post(
        reverse("console:department-update", args=[department.pk]), {**NEW_DEPARTMENT, "name": "新しい名前"}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["最後の課は無効にできません。"]
    assert Department.objects.get(pk=department.pk).name != "新しい名前"


@pytest.mark.parametrize(
    ("refusal", "shown"),
    [
        (PermissionDenied("他の課のデータは変更できません。"), "他の課のデータは変更できません。"),
        (PermissionDenied(), "この操作を行う権限がありません。"),
    ],
)
def test_a_permission_refusal_is_a_japanese_error_on_the_form_not_a_crash(
    system_admin_client, monkeypatch, refusal, shown
):
    def refuse(**kwargs):
        raise refusal

    monkeypatch.setattr(services, "department_create", refuse)

    response = system_admin_client.post(reverse("console:department-create"), NEW_DEPARTMENT)

    assert response.status_code == 403
    assert shown in response.content.decode()
    assert response.context["form"]["name"].value() == "市民課"  # what staff typed is kept
    assert not Department.objects.filter(code="shimin").exists()


def test_an_invalid_form_is_shown_again_without_calling_the_service(system_admin_client, monkeypatch):
    monkeypatch.setattr(services, "department_create", lambda **kwargs: pytest.fail("service called"))

    response = system_admin_client.post(reverse("console:department-create"), {"code": "", "name": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["name"]
