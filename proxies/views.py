from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prescriptions.access_rules import logged_in
from proxies import access
from proxies.middleware import choose_subject, reset_subject, today


def _options(request):
    links, poas = access.load_relations(request.viewer)
    return access.options(request.viewer, links, poas, today())


@logged_in
def choose(request):
    """"Whose prescriptions do you want to see?" Straight to one's own when there is no one else."""
    if request.viewer is None:
        return redirect("site:landing")
    options = _options(request)
    if len(options) <= 1:
        return redirect("prescriptions:valid")
    return render(request, "proxies/choose.html", {"options": options})


@logged_in
@require_POST
def switch(request):
    if request.viewer is None:
        return redirect("site:landing")
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
