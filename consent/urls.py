from __future__ import annotations

from django.urls import path

from consent import audit_views, candidate_views, views

app_name = "consent"

urlpatterns = [
    # Candidates (signed links, no login)
    path("o/<str:token>/", candidate_views.optin, name="optin"),
    path("p/<str:token>/", candidate_views.preferences, name="preferences"),
    path("u/<str:token>/", candidate_views.unsubscribe, name="unsubscribe"),
    path("fresh/<str:token>/", candidate_views.fresh_link, name="fresh_link"),
    path("my-data/<str:token>/", candidate_views.my_data, name="my_data"),
    path("request/<str:token>/", candidate_views.request_confirm, name="request_confirm"),
    path(
        "download/<str:token>/<str:fmt>/",
        candidate_views.download,
        name="download",
    ),
    # Public sign-up
    path("join/", candidate_views.register, name="register"),
    path("newsletter/", candidate_views.newsletter, name="newsletter"),
    path("join/confirm/<str:token>/", candidate_views.register_confirm, name="register_confirm"),
    # Recruiters and HR admins
    path("", views.home, name="home"),
    path("candidate/<int:pk>/", views.candidate, name="candidate"),
    path("candidate/<int:pk>/export/", views.candidate_export, name="candidate_export"),
    path("candidate/<int:pk>/exports/", views.candidate_exports, name="candidate_exports"),
    path("export/<int:pk>.<str:fmt>", views.export_download, name="export_download"),
    path("candidate/<int:pk>/erase/", views.candidate_erase_view, name="candidate_erase"),
    path("registration/<int:pk>/cv/", views.registration_cv, name="registration_cv"),
    path("admin/texts/", views.texts, name="texts"),
    path("admin/texts/<str:purpose>/<str:language>/", views.text_edit, name="text_edit"),
    path("admin/settings/", views.settings_view, name="settings"),
    path("admin/requests/", views.requests_view, name="requests"),
    path("admin/requests/<int:pk>/cancel/", views.request_cancel, name="request_cancel"),
    path("admin/records/", audit_views.records, name="records"),
    path("admin/report/", audit_views.report, name="report"),
    path("candidate/<int:pk>/proof.<str:fmt>", audit_views.proof, name="proof"),
]
