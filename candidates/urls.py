from __future__ import annotations

from django.urls import path

from candidates import public_views, submission_views, views

app_name = "candidates"

urlpatterns = [
    path("", views.candidate_list, name="list"),
    path("export.csv", views.candidate_export, name="export"),
    path("bulk/tags/", views.candidate_bulk_tags, name="bulk_tags"),
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
