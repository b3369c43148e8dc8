from __future__ import annotations

app_name = "pools"

urlpatterns: list = []
