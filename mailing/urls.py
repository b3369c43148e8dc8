from __future__ import annotations

app_name = "mailing"

urlpatterns: list = []
