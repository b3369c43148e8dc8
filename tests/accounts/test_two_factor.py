"""Two-factor sign-in: enrolment with a real authenticator code (RFC 6238 computed here, not by
the library), sign-in, replay, recovery codes used once, the tenant-wide requirement, resets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from datetime import timedelta

import time_machine
from django.utils import timezone

from accounts.models import AuditLog, SignInFailure
from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"
VERIFY = "/accounts/login/verify/"


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), what an authenticator app computes."""
    secret = secret.replace(" ", "").upper()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


def _enrol(client) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    page = client.get("/accounts/two-factor/app/")
    assert page.status_code == 200
    html = page.content.decode()
    secret = re.search(r'class="totp-secret">([A-Z2-7 ]+)<', html).group(1)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        wrong = client.post("/accounts/two-factor/app/", {"code": "000000"})
        assert b"That code is not valid" in wrong.content
        # A wrong code makes the next try wait a second (django-otp's throttle).
        throttled = client.post("/accounts/two-factor/app/", {"code": "111111"})
        assert b"Wait 1 second and try again" in throttled.content
        clock.shift(timedelta(seconds=2))
        done = client.post("/accounts/two-factor/app/", {"code": totp(secret)})
    assert done.status_code == 200, done.content
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", done.content.decode())
    assert len(codes) == 10
    return secret, codes


def _password(client, user, ip: str = "10.1.0.1"):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": user.email, "password": PASSWORD}, REMOTE_ADDR=ip)


def _signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return "_auth_user_id" in client.session


def test_setup_page_shows_an_inline_svg_qr_code_without_scripts_or_styles(tenant_a):
    html = tenant_a.client(tenant_a.recruiter).get("/accounts/two-factor/app/").content.decode()
    assert "<svg" in html and "<path" in html
    assert "style=" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", html) is None


def test_enrol_then_sign_in_with_a_code_from_the_app(tenant_a):
    user = tenant_a.recruiter
    secret, _codes = _enrol(tenant_a.client(user))
    assert AuditLog.objects.filter(action="two_factor.app_added", target=user.email).exists()

    client = tenant_a.client()
    response = _password(client, user)
    assert response.status_code == 302 and response["Location"] == VERIFY
    assert not _signed_in(client)  # the password alone opens nothing
    assert client.get("/").status_code == 302

    # The next 30-second step: the code used to set the app up is spent.
    with time_machine.travel(timezone.now() + timedelta(seconds=60), tick=False):
        response = client.post(VERIFY, {"code": totp(secret)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert _signed_in(client)
    assert client.session["accounts.signin_method"] == "totp"
    assert client.get("/").status_code == 200


def test_a_code_is_accepted_once(tenant_a):
    user = tenant_a.recruiter
    secret, _codes = _enrol(tenant_a.client(user))
    later = timezone.now() + timedelta(seconds=60)
    with time_machine.travel(later, tick=False):
        code = totp(secret)
        first = tenant_a.client()
        _password(first, user)
        assert first.post(VERIFY, {"code": code}).status_code == 302
        second = tenant_a.client()
        _password(second, user, ip="10.1.0.2")
        response = second.post(VERIFY, {"code": code})
        assert response.status_code == 200 and b"That code is not valid" in response.content
        assert not _signed_in(second)


def test_recovery_codes_work_once_each_and_new_ones_replace_the_old(tenant_a):
    user = tenant_a.hr_admin
    _secret, codes = _enrol(tenant_a.client(user))

    client = tenant_a.client()
    _password(client, user)
    assert client.post(VERIFY, {"code": codes[0].upper()}).status_code == 302
    assert client.session["accounts.signin_method"] == "recovery"
    used = AuditLog.objects.get(action="two_factor.recovery_code_used")
    assert used.details == {"left": 9}

    again = tenant_a.client()
    _password(again, user, ip="10.1.0.3")
    with time_machine.travel(timezone.now() + timedelta(seconds=5), tick=False):
        response = again.post(VERIFY, {"code": codes[0]})
    assert b"That code is not valid" in response.content
    with time_machine.travel(timezone.now() + timedelta(seconds=10), tick=False):
        assert again.post(VERIFY, {"code": codes[1]}).status_code == 302

    page = again.post("/accounts/two-factor/recovery-codes/")
    fresh = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", page.content.decode())
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    third = tenant_a.client()
    _password(third, user, ip="10.1.0.4")
    with time_machine.travel(timezone.now() + timedelta(seconds=20), tick=False):
        assert b"That code is not valid" in third.post(VERIFY, {"code": codes[2]}).content
    with time_machine.travel(timezone.now() + timedelta(seconds=40), tick=False):
        assert third.post(VERIFY, {"code": fresh[0]}).status_code == 302


def test_recovery_codes_are_not_stored_in_clear(tenant_a):
    from django_otp.plugins.otp_static.models import StaticToken

    _secret, codes = _enrol(tenant_a.client(tenant_a.recruiter))
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert len(stored) == 10
    assert not stored & {c.replace("-", "") for c in codes} and not stored & set(codes)


def test_wrong_codes_end_the_sign_in_and_count_towards_the_lock(tenant_a):
    user = tenant_a.recruiter
    _enrol(tenant_a.client(user))
    client = tenant_a.client()
    _password(client, user, ip="10.1.0.9")
    for attempt in range(4):
        response = client.post(VERIFY, {"code": f"12345{attempt}"}, REMOTE_ADDR="10.1.0.9")
        assert response.status_code == 200
    response = client.post(VERIFY, {"code": "123459"}, REMOTE_ADDR="10.1.0.9", follow=True)
    assert response.redirect_chain == [(LOGIN, 302)]
    assert b"Too many wrong codes. Sign in again." in response.content
    assert client.get(VERIFY)["Location"] == LOGIN
    assert SignInFailure.objects.filter(ip_address="10.1.0.9").count() == 1


def test_the_second_step_needs_a_recent_password(tenant_a):
    assert tenant_a.client().get(VERIFY)["Location"] == LOGIN
    user = tenant_a.recruiter
    secret, _codes = _enrol(tenant_a.client(user))
    client = tenant_a.client()
    _password(client, user)
    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        response = client.post(VERIFY, {"code": totp(secret)})
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert not _signed_in(client)


def _require_two_factor(tenant_a) -> None:  # type: ignore[no-untyped-def]
    hr = tenant_a.client(tenant_a.hr_admin)
    response = hr.post(
        "/accounts/settings/sign-in/", {"form": "two_factor", "require_two_factor": "on"}
    )
    assert response.status_code == 302
    assert AuditLog.objects.filter(action="settings.two_factor_required").exists()


def test_when_required_password_only_staff_must_enrol_before_anything_else(tenant_a):
    _require_two_factor(tenant_a)
    client = tenant_a.client()
    assert _password(client, tenant_a.recruiter).status_code == 302
    for page in ("/", "/candidates/", "/accounts/settings/users/"):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"] == "/accounts/two-factor/"
    htmx = client.get("/candidates/", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 401 and htmx["HX-Redirect"] == "/accounts/two-factor/"
    assert (
        b"Your company requires two-factor sign-in" in client.get("/accounts/two-factor/").content
    )

    _enrol(client)
    assert client.get("/").status_code == 200


def test_when_required_a_session_that_skipped_an_existing_factor_signs_in_again(tenant_a):
    user = tenant_a.recruiter
    _enrol(tenant_a.client(user))
    _require_two_factor(tenant_a)
    old_session = tenant_a.client(user)  # signed in before the requirement, without a code
    response = old_session.get("/candidates/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not _signed_in(old_session)


def test_turning_two_factor_off_needs_the_password_and_is_refused_when_required(tenant_a):
    user = tenant_a.recruiter
    client = tenant_a.client(user)
    _enrol(client)
    client.post("/accounts/two-factor/off/", {"password": "wrong"})
    assert client.get("/accounts/two-factor/").context["has_factor"]
    _require_two_factor(tenant_a)
    client = tenant_a.client(user)
    client.post("/accounts/two-factor/off/", {"password": PASSWORD})
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_turning_two_factor_off_when_optional(tenant_a):
    user = tenant_a.recruiter
    client = tenant_a.client(user)
    _enrol(client)
    client.post("/accounts/two-factor/off/", {"password": PASSWORD})
    assert AuditLog.objects.filter(action="two_factor.removed").exists()
    fresh = tenant_a.client()
    assert _password(fresh, user)["Location"] == "/"
    assert _signed_in(fresh)


def test_an_hr_admin_resets_the_two_factor_of_someone_who_lost_everything(tenant_a):
    user = tenant_a.recruiter
    _enrol(tenant_a.client(user))
    hr = tenant_a.client(tenant_a.hr_admin)
    assert "Two-factor on" in hr.get("/accounts/settings/users/").content.decode()
    hr.post(f"/accounts/settings/users/{user.pk}/", {"action": "reset_two_factor"})
    assert AuditLog.objects.filter(action="two_factor.reset", target=user.email).exists()
    client = tenant_a.client()
    assert _password(client, user)["Location"] == "/"
