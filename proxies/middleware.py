"""Sets request.subject on every request, re-checking the chosen person against the policy, and
enforces each view's declared access rule (deny by default). It also logs each refused id in a
URL and withholds a page whose access-log entry could not be written."""

import logging

from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from prescriptions import access_rules, services
from prescriptions.subject import Subject
from proxies import access

logger = logging.getLogger(__name__)

SESSION_KEY = "subject_person_id"


def today():
    return timezone.localdate()


def choose_subject(request, choice: access.Choice) -> None:
    request.session[SESSION_KEY] = choice.person.pk


def reset_subject(request) -> None:
    request.session.pop(SESSION_KEY, None)


class SubjectMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.subject = None
        request.viewer = None
        user = request.user
        if user.is_authenticated and getattr(user, "person", None) is not None:
            response = self._set_subject(request, user.person)
            if response is not None:
                return response
        return self.get_response(request)

    def _set_subject(self, request, viewer):
        day = today()
        if not access.may_act_at_all(viewer, day):
            logout(request)
            return HttpResponseRedirect(reverse("site:landing"))
        request.viewer = viewer
        chosen = request.session.get(SESSION_KEY)
        if chosen is None or chosen == viewer.pk:
            request.subject = Subject(viewer, viewer, access.Basis.SELF)
            return None
        links, poas = access.load_relations(viewer, only_person_id=chosen)
        choice = access.decide(viewer, chosen, day, links, poas)
        if choice is None:
            # Access ended since the last request (16th birthday, PoA ended, address protected ...).
            reset_subject(request)
            messages.warning(
                request, _("You can no longer view that person's prescriptions. You are now viewing your own.")
            )
            request.subject = Subject(viewer, viewer, access.Basis.SELF)
            return None
        request.subject = Subject(
            choice.person, viewer, choice.basis, hide_guardian_reserved=choice.hide_guardian_reserved
        )
        return None


class AccessRuleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        rule = access_rules.rule_of(view_func)
        match = request.resolver_match
        if rule is None and match is not None and "admin" in match.namespaces:
            rule = access_rules.STAFF
        if rule == access_rules.PUBLIC:
            return None
        if rule is None:
            logger.warning("refused: view without an access rule", extra={"url_name": getattr(match, "url_name", "")})
            raise Http404
        if not request.user.is_authenticated:
            if rule == access_rules.STAFF:
                raise Http404
            return redirect(f"{reverse('site:landing')}?login=required")
        if rule == access_rules.STAFF and not request.user.is_staff:
            raise Http404
        if rule == access_rules.SUBJECT and request.subject is None:
            return redirect(reverse("site:landing"))
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, services.AccessLogUnavailable):
            # The view never reached render(): answer without the health data it had loaded.
            return render(request, "proxies/log_unavailable.html", status=503)
        if isinstance(exception, Http404):
            match = request.resolver_match
            if match is not None and match.kwargs:
                # An id in the URL that is not the current subject's (or viewer's): a 404, so its existence
                # is not revealed, and a log line with internal keys only, never identity numbers.
                subject = getattr(request, "subject", None)
                logger.warning(
                    "refused: id in URL not found for this subject",
                    extra={
                        "url_name": f"{':'.join(match.namespaces)}:{match.url_name}",
                        "viewer_person_id": getattr(getattr(request, "viewer", None), "pk", None),
                        "subject_person_id": subject.person.pk if subject else None,
                        "basis": subject.basis if subject else None,
                    },
                )
        return None
