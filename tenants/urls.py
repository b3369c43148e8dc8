from __future__ import annotations

from django.urls import path

from tenants import views

app_name = "tenants"

urlpatterns = [
    path("logo", views.logo, name="logo"),
    path("theme.css", views.theme, name="theme"),
]
