"""What a rejection says, built once and used by the preview, the email and the PDF, so the
preview is exactly what is sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from candidates.models import Application
from feedback.defaults import DEFAULT_TEMPLATES
from feedback.models import FeedbackTemplate, RejectionReason
from tenants.context import current_tenant_or_none
from tenants.i18n import pick_language

# Merge tags HR admins may use in rejection templates; `optin_url` is mandatory.
MERGE_TAGS: dict[str, str | Promise] = {
    "first_name": _("Candidate's first name"),
    "full_name": _("Candidate's full name"),
    "position_title": _("Position title"),
    "company_name": _("Your company's name"),
    "reasons": _("The chosen reasons, in candidate-facing wording"),
    "personal_points": _("The recruiter's personalised points"),
    "tips": _("Tips for a next application"),
    "recruiter_name": _("Recruiter's name"),
    "recruiter_signature": _("Recruiter's signature"),
    "call_summary": _(
        "What the candidate is told about the feedback call (never the internal call note)"
    ),
    "optin_url": _("Opt-in link to stay in touch (required)"),
}
REQUIRED_TAGS = ("optin_url",)
OPTIN_SOURCE = "optin_link"


@dataclass(frozen=True)
class CallNote:
    called_at: datetime
    duration_minutes: int
    # For colleagues only: never in an email, a PDF or a merge tag.
    internal_note: str
    # Optional, written for the candidate: `{{ call_summary }}` and the PDF.
    candidate_summary: str = ""


@dataclass(frozen=True)
class FeedbackContent:
    application: Application
    branch: str
    reasons: Sequence[RejectionReason]
    personal_points: str
    tips: str
    call: CallNote | None
    recruiter: User | None
    language: str
    optin_url: str

    @property
    def candidate_name(self) -> str:
        return one_line(self.application.candidate.full_name)

    @property
    def reason_lines(self) -> list[str]:
        """The reasons in the candidate's language (else the company's, else English)."""
        lines = (r.text_in(self.language)[0] for r in self.reasons)
        return [line for line in lines if line]


def one_line(value: str) -> str:
    """Collapse newlines and runs of whitespace: names end up in subjects and headers."""
    return " ".join((value or "").split())


def template_for(branch: str, language: str) -> FeedbackTemplate | None:
    """The template for this branch in the candidate's language: the tenant's own, else the
    built-in one (every language we ship has one), following the chain candidate → company →
    English. None only when HR removed every template of the branch."""
    templates = {t.language: t for t in FeedbackTemplate.objects.filter(group=branch)}
    if not templates:
        return None
    builtin = {lang for (group, lang) in DEFAULT_TEMPLATES if group == branch}
    chosen = pick_language([*templates, *builtin], language) or next(iter(templates))
    if chosen in templates:
        return templates[chosen]
    subject, body = DEFAULT_TEMPLATES[(branch, chosen)]
    return FeedbackTemplate(group=branch, language=chosen, subject=subject, body=body)


def _sentences(lines: Sequence[str]) -> str:
    # Merge values are plain text rendered inside one paragraph (mailing.rendering), so the
    # reasons read as consecutive sentences rather than a list.
    return " ".join(one_line(line) for line in lines)


def merge_context(content: FeedbackContent) -> dict[str, str]:
    candidate = content.application.candidate
    tenant = current_tenant_or_none()
    recruiter = content.recruiter
    recruiter_name = recruiter.get_full_name() if recruiter else ""
    company = (tenant.from_name or tenant.name) if tenant is not None else ""
    signature = (recruiter.signature.strip() if recruiter else "") or "\n".join(
        line for line in (recruiter_name, company) if line
    )
    return {
        "first_name": one_line(candidate.first_name),
        "full_name": content.candidate_name,
        "position_title": one_line(content.application.position.title),
        "company_name": one_line(company),
        "reasons": _sentences(content.reason_lines),
        "personal_points": content.personal_points.strip(),
        "tips": content.tips.strip(),
        "recruiter_name": one_line(recruiter_name),
        "recruiter_signature": signature,
        "call_summary": content.call.candidate_summary.strip() if content.call else "",
        "optin_url": content.optin_url,
    }


def sample_content_context() -> dict[str, str]:
    """Sample values for previewing a template while editing it, in the active language (the
    view previews a template in its own language)."""
    tenant = current_tenant_or_none()
    return {
        "first_name": "Alex",
        "full_name": "Alex Martin",
        "position_title": gettext("Data Analyst"),
        "company_name": tenant.name if tenant is not None else gettext("Our company"),
        "reasons": gettext(
            "Some of the skills that are essential for this role were not yet strong "
            "enough in your profile."
        ),
        "personal_points": gettext(
            "Your case study was clear and well structured; the SQL part needed more depth."
        ),
        "tips": gettext("Practise window functions and present one project end to end."),
        "recruiter_name": "Sam Recruiter",
        "recruiter_signature": "Sam Recruiter\n" + gettext("Talent team"),
        "call_summary": gettext(
            "We talked through the case study and your questions about the team."
        ),
        "optin_url": "https://example.com/stay-in-touch",
    }


# What to write about for each default reason: shown next to the points (never put in the
# email), because the reason's own wording already appears in it through {{ reasons }}.
POINT_PROMPTS: dict[str, str | Promise] = {
    "skills-gap": _("Which skills, and what did you see in the interviews or tests?"),
    "experience-level": _("What experience was missing, and what would make the difference?"),
    "closer-fit": _("What was strong in this application, and what tipped the balance?"),
    "position-closed": _("Will similar roles open again?"),
    "salary": _("How far apart were the expectations, and is there room in other roles?"),
    "location": _("Which arrangement did the role need, and which would suit the candidate?"),
    "language": _("Which language level was needed, and for what part of the job?"),
    "team-fit": _("Describe the way of working you saw, without judging the person."),
    "candidate-declined": _("Thank them and, if they told you why, acknowledge it."),
    "candidate-accepted-elsewhere": _("Wish them well and say the door stays open."),
}
DEFAULT_PROMPT = _("What did you observe that led to this reason?")


def point_prompts(reasons: Sequence[RejectionReason]) -> list[tuple[str, str | Promise]]:
    """(reason label, what to write about) for the chosen reasons."""
    return [(r.label, POINT_PROMPTS.get(r.key, DEFAULT_PROMPT)) for r in reasons]


def guidance_tips(reasons: Sequence[RejectionReason], language: str | None) -> list[str]:
    """Suggested tips for a next application, from the chosen reasons, in the candidate's
    language (they go into the email as the recruiter leaves them)."""
    tips = (r.text_in(language)[1] for r in reasons)
    return [tip for tip in tips if tip]


def merge_guidance(current: str, wanted: Sequence[str], offered: Sequence[str]) -> str:
    """Add the suggested lines for newly chosen reasons and drop untouched suggestions of reasons
    no longer chosen, keeping everything the recruiter wrote."""
    lines = (current or "").splitlines()
    kept = [line for line in lines if line.strip() not in offered or line.strip() in wanted]
    present = {line.strip() for line in kept}
    kept += [line for line in wanted if line not in present]
    return "\n".join(kept).strip()
