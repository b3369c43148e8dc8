from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from accounts.models import AuditLog, User
from tenants.context import in_public_schema


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password", "full_name", "role")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    filter_horizontal = ()
    list_filter = ["role", "is_active"]

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        """Platform operators (the public schema's users) are deactivated, never deleted here:
        Django's delete collects every model pointing at User, and the tenant apps' tables
        (second factors, candidates' lists...) do not exist in the public schema."""
        if in_public_schema():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_label", "action", "target"]
    readonly_fields = [f.name for f in AuditLog._meta.fields]
