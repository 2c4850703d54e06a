from django.urls import path

from . import auth_views, views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.login_view, name="login"),
    path("login/code/", auth_views.otp_view, name="login-otp"),
    path("login/enroll/", auth_views.enroll_view, name="login-enroll"),
    path("logout/", auth_views.logout_view, name="logout"),
    path("password/", auth_views.password_change_view, name="password-change"),
    path("audit/", views.audit_list, name="audit-list"),
    path("audit/export.csv", views.audit_export, name="audit-export"),
    path("audit/<int:sequence>/", views.audit_detail, name="audit-detail"),
    path("departments/", views.department_list, name="department-list"),
    path("departments/new/", views.department_create, name="department-create"),
    path("departments/<int:pk>/", views.department_update, name="department-update"),
    path("staff/", views.staff_list, name="staff-list"),
    path("staff/new/", views.staff_create, name="staff-create"),
    path("staff/<int:pk>/", views.staff_update, name="staff-update"),
    path("staff/<int:pk>/disable/", views.staff_disable, name="staff-disable"),
    path("staff/<int:pk>/enable/", views.staff_enable, name="staff-enable"),
    path("staff/<int:pk>/reset-password/", views.staff_reset_password, name="staff-reset-password"),
    path("staff/<int:pk>/reset-totp/", views.staff_reset_totp, name="staff-reset-totp"),
    path("networks/", views.network_list, name="network-list"),
    path("networks/<int:pk>/delete/", views.network_delete, name="network-delete"),
]
