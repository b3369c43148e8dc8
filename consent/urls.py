from __future__ import annotations

app_name = "consent"

urlpatterns: list = []
