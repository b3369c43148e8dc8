from __future__ import annotations

from django.urls import path

from candidates import board_views, list_views, public_views, submission_views, views

app_name = "candidates"

urlpatterns = [
    path("", list_views.candidate_list, name="list"),
    path("export.csv", views.candidate_export, name="export"),
    path("bulk/tags/", list_views.candidate_bulk_tags, name="bulk_tags"),
    path("list/columns/", list_views.list_columns, name="list_columns"),
    path("list/views/", list_views.saved_view_create, name="view_save"),
    path("list/views/<int:pk>/delete/", list_views.saved_view_remove, name="view_delete"),
    path("suggest/", list_views.suggest, name="suggest"),
    path("new/", views.candidate_create, name="create"),
    path("<int:pk>/", views.candidate_detail, name="detail"),
    path("<int:pk>/edit/", views.candidate_edit, name="edit"),
    path("<int:pk>/notes/", views.candidate_note, name="note"),
    path("<int:pk>/tags/", views.candidate_tags, name="tags"),
    path("<int:pk>/merge/", views.candidate_merge_view, name="merge"),
    path("<int:pk>/apply/", views.candidate_apply, name="apply"),
    path("applications/<int:pk>/move/", views.application_move, name="application_move"),
    path("applications/<int:pk>/outcome/", views.application_outcome, name="application_outcome"),
    path("applications/<int:pk>/cv/", views.application_cv, name="application_cv"),
    path("positions/", views.position_list, name="positions"),
    path("positions/new/", views.position_create_view, name="position_create"),
    path("positions/<int:pk>/", views.position_detail, name="position"),
    path("positions/<int:pk>/board/", board_views.position_board, name="position_board"),
    path("positions/<int:pk>/board/move/", board_views.board_move, name="position_board_move"),
    path("positions/<int:pk>/edit/", views.position_edit, name="position_edit"),
    path("positions/<int:pk>/delete/", views.position_delete_view, name="position_delete"),
    path("stages/", views.stage_settings, name="stages"),
    path("jobs/", public_views.job_list, name="jobs"),
    path("jobs/<int:pk>/", public_views.job_detail, name="job"),
    path("jobs/reapply/<str:token>/", public_views.reapply, name="reapply"),
    path(
        "submissions/<int:pk>/accept/",
        submission_views.submission_accept_view,
        name="submission_accept",
    ),
    path(
        "submissions/<int:pk>/dismiss/",
        submission_views.submission_dismiss_view,
        name="submission_dismiss",
    ),
    path("submissions/<int:pk>/cv/", submission_views.submission_cv, name="submission_cv"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/mapping/", views.import_mapping, name="import_mapping"),
    path("import/<int:pk>/dry-run/", views.import_dry_run, name="import_dry_run"),
    path("import/<int:pk>/", views.import_job, name="import_job"),
    path("import/<int:pk>/resume/", views.import_resume, name="import_resume"),
    path("import/<int:pk>/errors.csv", views.import_errors, name="import_errors"),
]
