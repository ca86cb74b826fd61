"""The printable list of one's own powers of attorney, offered by the closing notice on the
powers-of-attorney page: the service is closing, and powers registered here must be registered
again in the new one. Always about the logged-in person (request.viewer), never the subject."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from prescriptions.access_rules import logged_in
from prescriptions.identity import mask
from proxies import selectors
from proxies.middleware import today


def _rows(power_rows):
    # The other party's number is masked, as everywhere but on their own pages.
    return [
        {"name": row.other.full_name, "number": mask(row.other.national_id), "poa": row.poa} for row in power_rows
    ]


@logged_in
@require_GET
def print_powers(request):
    if request.viewer is None:
        return redirect("site:landing")
    day = today()
    context = {
        # Only the ones in force or about to start: ended ones need not be registered again.
        "granted": _rows(selectors.powers_granted_by(request.viewer, day).current),
        "held": _rows(selectors.powers_held_by(request.viewer, day).current),
        "today": day,
    }
    return render(request, "proxies/print.html", context)
