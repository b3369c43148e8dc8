from __future__ import annotations

from django.urls import path

from campaigns import ops_views, views

app_name = "campaigns"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.campaign_new, name="new"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/preview/", views.campaign_preview_html, name="preview"),
    path("<int:pk>/progress/", views.campaign_progress_view, name="progress"),
    path("<int:pk>/action/", views.campaign_action, name="action"),
    path("content/", views.content_list, name="content"),
    path("content/new/<slug:topic>/", views.content_edit, name="content_new"),
    path("content/<int:pk>/", views.content_edit, name="content_edit"),
    path("content/<int:pk>/archive/", views.content_archive, name="content_archive"),
    path("topics/", views.topics, name="topics"),
    path("nurture/", ops_views.nurture, name="nurture"),
    path("nurture/run/", ops_views.nurture_run_now, name="nurture_run"),
    path("topics/<int:pk>/", views.topic_edit, name="topic"),
    path("insights/", views.insights_view, name="insights"),
    path("insights/report.pdf", views.insights_pdf, name="insights_pdf"),
    path("r/<str:token>/", views.referral, name="referral"),
]
