"""The person switch, the powers-of-attorney page and the access-log page.

The last two are always about the logged-in person (request.viewer), never about the person
whose prescriptions they are currently viewing: a holder cannot grant or end powers in the
grantor's name, and a parent does not see the child's access log.
"""

import datetime
import functools

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from prescriptions.access_rules import logged_in
from prescriptions.identity import mask
from proxies import access, ratelimit, refusals, selectors, services
from proxies.forms import GrantForm
from proxies.middleware import choose_subject, reset_subject, today

PENDING_GRANT = "poa_pending_grant"


def _viewer_required(view):
    """Pages about oneself need a Person behind the login (an operator account has none)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.viewer is None:
            return redirect("site:landing")
        return view(request, *args, **kwargs)

    return wrapper


def _options(request):
    links, poas = access.load_relations(request.viewer)
    return access.options(request.viewer, links, poas, today())


# --- The person switch ---


@logged_in
@_viewer_required
def choose(request):
    """"Whose prescriptions do you want to see?" Straight to one's own when there is no one else."""
    options = _options(request)
    if len(options) <= 1:
        return redirect("prescriptions:valid")
    return render(request, "proxies/choose.html", {"options": options})


@logged_in
@require_POST
@_viewer_required
def switch(request):
    try:
        wanted = int(request.POST.get("person", ""))
    except ValueError:
        wanted = None
    choice = next((c for c in _options(request) if c.person.pk == wanted), None)
    if choice is None:
        messages.error(request, _("You cannot view that person's prescriptions."))
        return redirect("proxies:choose")
    if choice.basis == access.Basis.SELF:
        reset_subject(request)
    else:
        choose_subject(request, choice)
    return redirect("prescriptions:valid")


@logged_in
@require_POST
def switch_to_self(request):
    reset_subject(request)
    return redirect("prescriptions:valid")


# --- Powers of attorney ---


def _powers_page(request, form, *, status=200):
    viewer, day = request.viewer, today()
    own_refusal = access.grantor_refusal(viewer, day)
    context = {
        "granted": selectors.powers_granted_by(viewer, day),
        "held": selectors.powers_held_by(viewer, day),
        "form": form,
        "cannot_grant": refusals.message_for(own_refusal) if own_refusal else None,
        "today": day,
    }
    return render(request, "proxies/powers.html", context, status=status)


@logged_in
@require_GET
@_viewer_required
def powers(request):
    return _powers_page(request, GrantForm(today=today()))


@logged_in
@require_POST
@_viewer_required
def grant(request):
    """Step one: check the number and every rule, then ask for confirmation with the holder's name."""
    viewer, day = request.viewer, today()
    form = GrantForm(request.POST, today=day)
    if access.grantor_refusal(viewer, day) is not None or not form.is_valid():
        return _powers_page(request, form)
    number, ends_on = form.cleaned_data["national_id"], form.cleaned_data["ends_on"]
    if number.value == viewer.national_id:
        form.add_error("national_id", refusals.message_for(access.Refusal.SELF))
        return _powers_page(request, form)
    # Every lookup of someone else's number counts, found or not: the form must not enumerate people.
    verdict = ratelimit.hit(
        f"poa-lookup:user:{request.user.pk}",
        limit=settings.POA_LOOKUP_LIMIT,
        window_seconds=settings.POA_LOOKUP_WINDOW_SECONDS,
    )
    if not verdict.allowed:
        minutes = max(1, -(-verdict.retry_after_seconds // 60))
        form.add_error(
            None,
            _(
                "You have looked up many national identity numbers in a short time. To protect everyone's "
                "privacy, please wait %(minutes)d minutes and try again."
            )
            % {"minutes": minutes},
        )
        return _powers_page(request, form, status=429)
    holder = selectors.person_by_national_id(number.value)
    if holder is None:
        form.add_error("national_id", refusals.message_for(refusals.UNKNOWN_NUMBER))
        return _powers_page(request, form)
    try:
        services.check_grant(viewer, holder, ends_on, day)
    except services.GrantRefused as refused:
        field = "ends_on" if refused.code == services.GrantRefused.END_IN_PAST else "national_id"
        form.add_error(field, refusals.message_for(refused.code))
        return _powers_page(request, form)
    # The number stays out of the next page's form and URL: the session holds whom we found.
    request.session[PENDING_GRANT] = {
        "grantor": viewer.pk,
        "holder": holder.pk,
        "ends_on": ends_on.isoformat() if ends_on else None,
    }
    return redirect("proxies:grant_confirm")


def _pending(request):
    """The grant waiting for confirmation: (holder, ends_on), or None."""
    pending = request.session.get(PENDING_GRANT)
    if not pending or pending.get("grantor") != request.viewer.pk:
        return None
    holder = selectors.person_by_pk(pending["holder"])
    if holder is None:
        return None
    ends_on = datetime.date.fromisoformat(pending["ends_on"]) if pending["ends_on"] else None
    return holder, ends_on


@logged_in
@require_http_methods(["GET", "POST"])
@_viewer_required
def grant_confirm(request):
    """Step two: "Give Ingrid Dahl a power of attorney?" Confirm saves, cancel saves nothing."""
    pending = _pending(request)
    if pending is None:
        request.session.pop(PENDING_GRANT, None)
        return redirect("proxies:powers")
    holder, ends_on = pending
    viewer, day = request.viewer, today()
    if request.method == "GET":
        try:
            services.check_grant(viewer, holder, ends_on, day)
        except services.GrantRefused as refused:
            request.session.pop(PENDING_GRANT, None)
            messages.error(request, refusals.message_for(refused.code))
            return redirect("proxies:powers")
        context = {"holder": holder, "masked_number": mask(holder.national_id), "ends_on": ends_on, "today": day}
        return render(request, "proxies/grant_confirm.html", context)
    request.session.pop(PENDING_GRANT, None)
    if request.POST.get("action") != "confirm":
        messages.info(request, _("Nothing was saved."))
        return redirect("proxies:powers")
    try:
        services.grant_power(viewer, holder, ends_on, day)
    except services.GrantRefused as refused:
        messages.error(request, refusals.message_for(refused.code))
        return redirect("proxies:powers")
    messages.success(
        request, _("%(name)s now holds a power of attorney from you.") % {"name": holder.full_name}
    )
    return redirect("proxies:powers")


@logged_in
@require_POST
@_viewer_required
def end(request, poa_id):
    """End a power of attorney as its grantor or its holder; anyone else gets a 404."""
    try:
        poa = services.end_power(poa_id, request.viewer, today())
    except services.PowerNotFound:
        raise Http404 from None
    except services.AlreadyEnded:
        messages.info(request, _("This power of attorney had already ended."))
        return redirect("proxies:powers")
    if poa.grantor_id == request.viewer.pk:
        text = _("%(name)s no longer holds a power of attorney from you.") % {"name": poa.holder.full_name}
    else:
        text = _("You no longer hold a power of attorney from %(name)s.") % {"name": poa.grantor.full_name}
    messages.success(request, text)
    return redirect("proxies:powers")


# --- The access log ---


@logged_in
@require_GET
@_viewer_required
def access_log(request):
    """Who has seen my prescriptions: the logged-in person's own log, whoever they are viewing now."""
    page = selectors.access_log_page(request.viewer, request.GET.get("page"))
    return render(request, "proxies/access_log.html", {"page": page})
