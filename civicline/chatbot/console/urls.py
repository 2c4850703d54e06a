from django.urls import path

from . import views

app_name = "chatbot"
urlpatterns = [
    path("", views.faq_list, name="faq-list"),
    path("faq/new/", views.faq_create, name="faq-create"),
    path("faq/import/", views.faq_import, name="faq-import"),
    path("faq/export/", views.faq_export, name="faq-export"),
    path("faq/<int:pk>/", views.faq_update, name="faq-update"),
    path("faq/<int:pk>/delete/", views.faq_delete, name="faq-delete"),
    path("garbage/", views.garbage_list, name="garbage-list"),
    path("garbage/new/", views.garbage_create, name="garbage-create"),
    path("garbage/import/", views.garbage_import, name="garbage-import"),
    path("garbage/export/", views.garbage_export, name="garbage-export"),
    path("garbage/<int:pk>/", views.garbage_update, name="garbage-update"),
    path("garbage/<int:pk>/delete/", views.garbage_delete, name="garbage-delete"),
    path("garbage/categories/<int:pk>/", views.garbage_category_update, name="garbage-category-update"),
    path("imports/<int:pk>/", views.import_preview, name="import-preview"),
    path("imports/<int:pk>/apply/", views.import_apply, name="import-apply"),
    path("imports/<int:pk>/discard/", views.import_discard, name="import-discard"),
    path("scenarios/", views.scenario_list, name="scenario-list"),
    path("scenarios/new/", views.scenario_create, name="scenario-create"),
    path("scenarios/<int:pk>/", views.scenario_update, name="scenario-update"),
    path("scenarios/<int:pk>/delete/", views.scenario_delete, name="scenario-delete"),
    path("insights/", views.insights, name="insights"),
    path("questions/<int:pk>/adopt/", views.question_adopt_faq, name="question-adopt-faq"),
    path("questions/<int:pk>/phrasing/", views.question_adopt_phrasing, name="question-adopt-phrasing"),
    path("web/", views.web_source_list, name="web-source-list"),
    path("web/new/", views.web_source_create, name="web-source-create"),
    path("web/<int:pk>/", views.web_source_detail, name="web-source-detail"),
    path("web/<int:pk>/sync/", views.web_sync_start, name="web-sync-start"),
    path("web/entries/<int:pk>/accept/", views.web_entry_accept, name="web-entry-accept"),
    path("web/entries/<int:pk>/reject/", views.web_entry_reject, name="web-entry-reject"),
    path("web/entries/<int:pk>/edit/", views.web_entry_edit, name="web-entry-edit"),
]
