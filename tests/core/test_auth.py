"""Console login: password, then a one-time code; lockout; disabled accounts; idle expiry (X-2, X-15)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from civicline.core.models import AuditEntry
from tests.fixtures.core import TEST_PASSWORD, StaffFactory, current_code, totp_device_for

pytestmark = pytest.mark.django_db

LOGIN = reverse("console:login")
OTP = reverse("console:login-otp")
ENROLL = reverse("console:login-enroll")
HOME = reverse("console:home")


def post_password(client: Client, username: str, password: str = TEST_PASSWORD, next_url: str = ""):
    url = LOGIN + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": username, "password": password})


def test_password_then_code_logs_in_and_audits(client, staff_user):
    device = totp_device_for(staff_user)

    response = post_password(client, "tanaka")
    assert response.status_code == 302 and response.url == OTP
    # The password alone opens nothing.
    assert client.get(HOME).status_code == 302

    response = client.post(OTP, {"token": current_code(device)})

    assert response.status_code == 302 and response.url == HOME
    page = client.get(HOME)
    assert page.status_code == 200
    assert "田中 花子" in page.content.decode()
    assert "子育て支援課" in page.content.decode()
    login = AuditEntry.objects.get(action="login")
    assert login.actor == staff_user and login.department == staff_user.department
    assert login.client_address == "127.0.0.1"


def test_login_returns_to_the_requested_console_page(client, staff_user):
    device = totp_device_for(staff_user)
    audit_url = reverse("console:audit-list")
    assert client.get(audit_url).url == f"{LOGIN}?next={audit_url}"

    post_password(client, "tanaka", next_url=audit_url)
    response = client.post(OTP, {"token": current_code(device)})

    assert response.url == audit_url


def test_wrong_code_is_refused_and_audited_as_failed_login(client, staff_user):
    totp_device_for(staff_user)
    post_password(client, "tanaka")

    response = client.post(OTP, {"token": "000000"})

    assert response.status_code == 200
    assert "確認コードが正しくありません" in response.content.decode()
    assert client.get(HOME).status_code == 302
    failed = AuditEntry.objects.get(action="login_failed")
    assert failed.actor == staff_user and "確認コード" in failed.summary


def test_wrong_password_is_refused_and_audited(client, staff_user):
    response = post_password(client, "tanaka", "wrong-password")

    assert response.status_code == 200
    assert "ユーザーIDまたはパスワードが正しくありません" in response.content.decode()
    entry = AuditEntry.objects.get(action="login_failed")
    assert entry.actor_label == "tanaka"
    assert "wrong-password" not in str(entry.changes) + entry.summary


def test_first_login_enrolls_an_authenticator_with_qr_code(client, staff_user):
    response = post_password(client, "tanaka")
    assert response.url == ENROLL

    page = client.get(ENROLL)
    html = page.content.decode()
    assert "<svg" in html and "認証アプリの登録" in html
    device = TOTPDevice.objects.get(user=staff_user, confirmed=False)
    assert page.context["secret"].replace(" ", "")  # base32 shown for manual entry

    response = client.post(ENROLL, {"token": current_code(device)})

    assert response.url == HOME
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(HOME).status_code == 200


def test_code_pages_need_the_password_step_first(client, staff_user):
    assert client.get(OTP).url == LOGIN
    assert client.get(ENROLL).url == LOGIN


@pytest.mark.parametrize("step", ["password", "code"])
def test_repeated_failures_lock_the_account(client, staff_user, step):
    """X-15: after AXES_FAILURE_LIMIT failures the account is locked, even with the right password."""
    device = totp_device_for(staff_user)
    if step == "code":
        post_password(client, "tanaka")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        if step == "password":
            post_password(client, "tanaka", "wrong-password")
        else:
            client.post(OTP, {"token": "000000"})

    response = post_password(client, "tanaka")

    assert response.status_code == 429
    html = response.content.decode()
    assert "ロックされています" in html
    assert f"{round(settings.AXES_COOLOFF_TIME * 60)} 分間" in html
    client.post(OTP, {"token": current_code(device)})
    assert client.get(HOME).status_code == 302


def test_lockout_is_per_account_not_per_address(client, staff_user):
    other = StaffFactory(username="yamada")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_password(client, "tanaka", "wrong-password")

    assert post_password(client, other.username).status_code == 302


def test_disabled_account_cannot_log_in(client, staff_user):
    totp_device_for(staff_user)
    staff_user.is_active = False
    staff_user.save()

    response = post_password(client, "tanaka")

    assert response.status_code == 200
    assert "正しくありません" in response.content.decode()
    assert client.get(OTP).url == LOGIN


def test_disabling_an_account_ends_its_open_sessions(console_client, staff_user):
    client = console_client(staff_user)
    assert client.get(HOME).status_code == 200
    staff_user.is_active = False
    staff_user.save()

    assert client.get(HOME).status_code == 302


def test_password_without_code_does_not_count_as_logged_in(client, staff_user):
    client.force_login(staff_user)  # authenticated, but no verified OTP device in the session

    assert client.get(HOME).status_code == 302


def test_idle_session_expires(console_client, staff_user):
    """The session is renewed on each request and ends after SESSION_IDLE_MINUTES of inactivity."""
    client = console_client(staff_user)
    before = timezone.now()
    assert client.get(HOME).status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    assert settings.SESSION_SAVE_EVERY_REQUEST
    expected = before + timezone.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert abs((session.expire_date - expected).total_seconds()) < 5

    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timezone.timedelta(seconds=1))

    assert client.get(HOME).status_code == 302


def test_logout_is_post_only_and_audited(console_client, staff_user):
    client = console_client(staff_user)
    assert client.get(reverse("console:logout")).status_code == 405

    response = client.post(reverse("console:logout"))

    assert response.url == LOGIN
    assert client.get(HOME).status_code == 302
    assert AuditEntry.objects.filter(action="logout", actor=staff_user).exists()


def test_password_change_uses_django_validators(console_client, staff_user):
    client = console_client(staff_user)
    url = reverse("console:password-change")

    weak = client.post(
        url, {"old_password": TEST_PASSWORD, "new_password1": "12345678", "new_password2": "12345678"}
    )
    assert weak.status_code == 200 and weak.context["form"].errors

    strong = "Ame-no-hi-ni-kasa-42"
    response = client.post(
        url, {"old_password": TEST_PASSWORD, "new_password1": strong, "new_password2": strong}
    )

    assert response.url == HOME
    staff_user.refresh_from_db()
    assert staff_user.check_password(strong)
    assert client.get(HOME).status_code == 200  # still logged in and verified
    assert AuditEntry.objects.filter(action="update", summary="パスワードを変更").exists()


def test_temporary_password_must_be_changed_first(console_client, staff_user):
    staff_user.must_change_password = True
    staff_user.save()
    client = console_client(staff_user)

    assert client.get(HOME).url == reverse("console:password-change")
    assert client.get(reverse("console:password-change")).status_code == 200


def test_mixins_guard_class_based_views(rf, staff_user, system_admin):
    """Features' class-based console views get the same checks as the decorators."""
    from django.views import View

    from civicline.core.console.decorators import StaffRequiredMixin, SystemAdminRequiredMixin

    class AnyStaff(StaffRequiredMixin, View):
        def get(self, request):
            return HttpResponse("ok")

    class AdminOnly(SystemAdminRequiredMixin, View):
        def get(self, request):
            return HttpResponse("ok")

    def request_as(staff, verified=True):
        request = rf.get("/console/x/")
        request.user = staff
        staff.is_verified = lambda: verified
        return request

    assert AnyStaff.as_view()(request_as(staff_user)).status_code == 200
    assert AnyStaff.as_view()(request_as(staff_user, verified=False)).status_code == 302
    assert AdminOnly.as_view()(request_as(staff_user)).status_code == 403
    assert AdminOnly.as_view()(request_as(system_admin)).status_code == 200
