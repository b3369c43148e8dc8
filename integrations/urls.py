from __future__ import annotations

from typing import Any

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from django.urls import path

from accounts.permissions import public_view
from integrations import views
from integrations.ats import views as ats_views

app_name = "integrations"

# ESP inbound webhooks (replies), on the tenant's host like the tracking webhooks: anymail
# authenticates them (WEBHOOK_SECRET basic auth, plus Mailgun's signature) and sends its
# `inbound` signal (integrations/receivers.py).


class _Unreadable:
    """An authenticated post whose body is not what the ESP documents is a 400, not a 500."""

    def parse_events(self, request: Any) -> Any:
        try:
            return super().parse_events(request)  # type: ignore[misc]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise AnymailWebhookValidationFailure(f"Unreadable inbound payload: {exc}") from None


class PostmarkInbound(_Unreadable, PostmarkInboundWebhookView):
    pass


class MailgunInbound(_Unreadable, MailgunInboundWebhookView):
    pass


_inbound: list[tuple[str, type[PostmarkInbound] | type[MailgunInbound]]] = [
    ("postmark", PostmarkInbound),
    ("mailgun", MailgunInbound),
]

urlpatterns = [
    path("keys/", views.keys, name="keys"),
    path("keys/<int:pk>/revoke/", views.key_revoke, name="key_revoke"),
    path("webhooks/", views.webhooks, name="webhooks"),
    path("webhooks/<int:pk>/", views.webhook, name="webhook"),
    path("webhooks/<int:pk>/rotate/", views.webhook_rotate, name="webhook_rotate"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
    path("deliveries/<int:pk>/replay/", views.delivery_replay_view, name="delivery_replay"),
    path("replies/", views.replies, name="replies"),
    path("replies/<int:pk>/assign/", views.reply_assign_view, name="reply_assign"),
    path("replies/<int:pk>/dismiss/", views.reply_dismiss_view, name="reply_dismiss"),
    path("ats/", ats_views.ats_settings, name="ats"),
    path("ats/mappings/add/", ats_views.mapping_add, name="mapping_add"),
    path("ats/mappings/<int:pk>/", ats_views.mapping_edit, name="mapping_edit"),
    path("ats/events/retry/", ats_views.events_retry_all, name="events_retry_all"),
    path("ats/events/<int:pk>/retry/", ats_views.event_retry, name="event_retry"),
    path("ats/events/<int:pk>/dismiss/", ats_views.event_dismiss, name="event_dismiss"),
    path("ats/<slug:provider>/webhook/", ats_views.ats_webhook, name="ats_webhook"),
    *[
        path(
            f"inbound/{esp}/",
            public_view(view.as_view()),
            name=f"inbound_{esp}",
        )
        for esp, view in _inbound
    ],
]
