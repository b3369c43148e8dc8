from __future__ import annotations

from django.urls import path

from pools import bulk_views, views

app_name = "pools"

urlpatterns = [
    path("", views.pool_list, name="list"),
    path("new/", views.pool_create, name="create"),
    path("count/", views.criteria_count, name="count"),
    path("add-candidates/", bulk_views.candidates_add, name="candidates_add"),
    path("<int:pk>/", views.pool_detail, name="detail"),
    path("<int:pk>/edit/", views.pool_edit, name="edit"),
    path("<int:pk>/delete/", views.pool_remove, name="delete"),
    path("<int:pk>/export.csv", views.pool_export, name="export"),
    path("<int:pk>/bulk/", views.pool_bulk, name="bulk"),
    path("<int:pk>/add/", views.pool_add_by_email, name="add_by_email"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_create"),
    path("rules/preview/", views.rule_preview_view, name="rule_preview"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/delete/", views.rule_delete, name="rule_delete"),
    path("rules/runs/", views.rule_run_create, name="run_start"),
    path("rules/runs/<int:pk>/", views.rule_run_progress, name="run_progress"),
]
