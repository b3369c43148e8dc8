from __future__ import annotations

from django.urls import path

from feedback import bulk_views, views

app_name = "feedback"

urlpatterns = [
    path("", views.home, name="home"),
    path("applications/<int:pk>/reject/", views.reject, name="reject"),
    path("applications/<int:pk>/reject/guidance/", views.reject_guidance, name="guidance"),
    path("applications/<int:pk>/", views.application_feedback, name="application"),
    path("rejections/<int:pk>/pdf/", views.rejection_pdf, name="pdf"),
    path("rejections/<int:pk>/cancel/", views.email_cancel, name="cancel"),
    path("rejections/<int:pk>/send/", views.email_send, name="send"),
    path("tasks/<int:pk>/cancel/", views.task_cancel, name="task_cancel"),
    path("bulk-reject/", views.bulk_reject, name="bulk"),
    path("bulk-reject/runs/", views.runs, name="runs"),
    path("bulk-reject/candidates/", bulk_views.candidates_reject, name="bulk_candidates"),
    path("settings/reasons/", views.reasons, name="reasons"),
    path("settings/reasons/<int:pk>/", views.reason_edit, name="reason_edit"),
    path("settings/policy/", views.policy, name="policy"),
    path("settings/templates/", views.templates, name="templates"),
    path(
        "settings/templates/<str:group>/<str:language>/",
        views.template_edit,
        name="template_edit",
    ),
]
