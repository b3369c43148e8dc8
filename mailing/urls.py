from __future__ import annotations

from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from django.urls import path

from accounts.permissions import public_view
from mailing import views

app_name = "mailing"

# ESP tracking webhooks, on each tenant's host (see mailing/receivers.py). Public to the world,
# authenticated by anymail: the WEBHOOK_SECRET basic-auth credentials, plus the ESP's signature
# where it has one (Mailgun). SendGrid is left out: anymail dropped
# official support for it.
_webhooks = [
    ("postmark", PostmarkTrackingWebhookView),
    ("mailgun", MailgunTrackingWebhookView),
]

urlpatterns = [
    path("", views.message_list, name="list"),
    path("<int:pk>/", views.message_detail, name="detail"),
    path("<int:pk>/html", views.message_html, name="html"),
    path("<int:pk>/send-now/", views.message_send_now_view, name="send_now"),
    path("preview/<str:key>", views.preview_frame, name="preview"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<slug:key>/", views.template_edit, name="template_edit"),
    *[
        path(
            f"webhooks/anymail/{esp}/tracking/",
            public_view(view.as_view()),
            name=f"webhook_{esp}",
        )
        for esp, view in _webhooks
    ],
]
