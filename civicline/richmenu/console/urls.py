from django.urls import path

from . import views

app_name = "richmenu"
urlpatterns = [
    path("", views.menu_list, name="menu-list"),
    path("new/", views.menu_create, name="menu-create"),
    path("<int:pk>/", views.menu_detail, name="menu-detail"),
    path("<int:pk>/settings/", views.menu_update, name="menu-update"),
    path("<int:pk>/delete/", views.menu_delete, name="menu-delete"),
    path("<int:pk>/preview/", views.menu_preview, name="menu-preview"),
    path("<int:pk>/publish/", views.menu_publish, name="menu-publish"),
    path("<int:pk>/rollback/", views.menu_rollback, name="menu-rollback"),
    path("<int:pk>/withdraw/", views.menu_withdraw, name="menu-withdraw"),
    path("<int:pk>/tabs/new/", views.tab_create, name="menu-tab-create"),
    path("<int:pk>/tabs/<int:position>/", views.tab_edit, name="menu-tab-edit"),
    path("<int:pk>/tabs/<int:position>/delete/", views.tab_delete, name="menu-tab-delete"),
    path("<int:pk>/tabs/<int:position>/move/", views.tab_move, name="menu-tab-move"),
    path("<int:pk>/tabs/<int:position>/draft.jpg", views.tab_image, name="menu-tab-image"),
    path("<int:pk>/tabs/<int:position>/draft.svg", views.tab_svg, name="menu-tab-svg"),
    path("versions/<int:pk>/tabs/<int:position>.jpg", views.version_image, name="menu-version-image"),
    path("emergency/", views.emergency, name="emergency"),
    path("emergency/switch/", views.emergency_switch, name="emergency-switch"),
    path("emergency/<int:pk>/resume/", views.emergency_resume, name="emergency-resume"),
    path("emergency/resync/", views.emergency_resync, name="emergency-resync"),
    path("editors/", views.grant_list, name="grant-list"),
    path("editors/<int:pk>/delete/", views.grant_delete, name="grant-delete"),
]
