from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _can_reject(application: Any, user: Any) -> bool:
    return application.outcome == "active"


def _was_rejected(application: Any, user: Any) -> bool:
    return application.outcome == "rejected"


def _dashboard_context(request: Any) -> dict[str, Any]:
    from feedback.models import FeedbackTask, FeedbackTaskStatus
    from feedback.selectors import feedback_figures

    open_tasks = FeedbackTask.objects.filter(status=FeedbackTaskStatus.OPEN).count()
    return {**feedback_figures(), "tasks_open": open_tasks}


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        from feedback import privacy
        from tenants.privacy import register

        register(privacy.PRIVACY)
        from feedback import entries

        entries.register()
        from accounts.dashboard import Panel, register_panel
        from candidates.actions import (
            ApplicationAction,
            register_application_action,
            register_bulk_application_action,
            register_candidate_bulk_action,
        )
        from feedback import receivers  # noqa: F401

        register_application_action(
            ApplicationAction("feedback.reject", _("Reject…"), "feedback:reject", _can_reject)
        )
        register_application_action(
            ApplicationAction(
                "feedback.view", _("Rejection feedback"), "feedback:application", _was_rejected
            )
        )
        register_bulk_application_action("feedback.reject", _("Reject…"), "feedback:bulk")
        register_candidate_bulk_action("feedback.reject", _("Reject…"), "feedback:bulk_candidates")
        register_panel(
            Panel(
                key="feedback",
                title=_("Rejection feedback"),
                template="feedback/_dashboard.html",
                context=_dashboard_context,
                order=40,
            )
        )
