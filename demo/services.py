"""The demo tenant behind `make run`: a company, its users and each app's demo data.

Everything here is idempotent: a second run finds what exists and keeps it (and the data people
added meanwhile). Each app's demo data is seeded once, recorded in the tenant's audit log
(`demo.seeded`), so a second `make run` is quick and an app added later still gets its data;
`seed_demo --again` runs every app's (idempotent) `demo_seed` anew.
"""

from __future__ import annotations

import importlib
import importlib.util
import random
import traceback
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context

from accounts.demo_users import demo_superuser_ensure, demo_user_ensure
from accounts.models import AuditLog, Role
from accounts.services import audit_log_record
from tenants.models import Tenant
from tenants.services import tenant_provision

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 (published demo login)
DEMO_COMPANY = "Demo Company"
PLATFORM_ADMIN_EMAIL = "admin@localhost"
# Apps in DESIGN order: each may build on the demo data of the apps before it.
DEMO_APPS = ["candidates", "mailing", "consent", "pools", "feedback", "campaigns"]
SEEDED_ACTION = "demo.seeded"


@dataclass
class DemoResult:
    tenant: Tenant
    created: bool
    seeded_apps: list[str] = field(default_factory=list)
    kept_apps: list[str] = field(default_factory=list)
    failed_apps: dict[str, str] = field(default_factory=dict)  # app -> traceback
    logins: list[tuple[str, str]] = field(default_factory=list)


def demo_seed_all(*, seed: int = 42, again: bool = False, with_data: bool = True) -> DemoResult:
    """The demo tenant and its logins; with `with_data`, each app's demo data too."""
    schema = settings.DEMO_TENANT_SCHEMA
    domain = f"{schema}.{settings.BASE_DOMAIN}"
    hr_email = f"hr@{schema}.localhost"
    result = tenant_provision(
        name=DEMO_COMPANY,
        domain=domain,
        schema_name=schema,
        admin_email=hr_email,
        admin_password=DEMO_PASSWORD,
        sender_name="Demo Company Talent Team",
        sender_email=f"talent@{schema}.localhost",
        postal_address="1 Example Street, 75001 Paris, France",
        privacy_policy_url="https://example.com/privacy",
        dpo_contact=f"dpo@{schema}.localhost",
    )
    demo = DemoResult(tenant=result.tenant, created=result.created)

    with schema_context(get_public_schema_name()), transaction.atomic():
        demo_superuser_ensure(email=PLATFORM_ADMIN_EMAIL, password=DEMO_PASSWORD)

    with tenant_context(result.tenant):
        with transaction.atomic():
            hr = demo_user_ensure(
                email=hr_email, password=DEMO_PASSWORD, role=Role.HR_ADMIN, full_name="Hana Richter"
            )
            demo_user_ensure(
                email=f"recruiter@{schema}.localhost",
                password=DEMO_PASSWORD,
                role=Role.RECRUITER,
                full_name="Rafael Costa",
                invited_by=hr,
            )
        seeded_before = set(
            AuditLog.objects.filter(action=SEEDED_ACTION).values_list("target", flat=True)
        )
        for app in DEMO_APPS if with_data else []:
            if importlib.util.find_spec(f"{app}.demo") is None:
                continue
            if app in seeded_before and not again:
                demo.kept_apps.append(app)
                continue
            module = importlib.import_module(f"{app}.demo")
            # One generator per app with a fixed seed: the same data on every machine, and one
            # app's demo data does not shift when another app draws more numbers.
            try:
                with transaction.atomic():
                    module.demo_seed(rng=random.Random(seed))
                    if app not in seeded_before:
                        audit_log_record(actor=None, action=SEEDED_ACTION, target=app)
            except Exception:  # one app's broken demo data must not keep the others out
                demo.failed_apps[app] = traceback.format_exc()
            else:
                demo.seeded_apps.append(app)
    demo.logins = [
        (hr_email, "HR admin"),
        (f"recruiter@{schema}.localhost", "Recruiter"),
        (PLATFORM_ADMIN_EMAIL, "Platform admin (/admin/ on the base domain)"),
    ]
    return demo
