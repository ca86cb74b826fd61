"""Pages that render request.subject's health data. Each writes the access log before rendering."""

from django.core.paginator import Paginator
from django.shortcuts import render

from prescriptions import presenters, selectors, services
from prescriptions.access_rules import subject_required
from prescriptions.forms import PeriodForm

DISPENSES_PER_PAGE = 50


@subject_required
def valid(request):
    today = selectors.today()
    rows, upcoming = selectors.current_prescriptions(request.subject, today)
    services.record_access(request.subject, "valid")
    context = {"cards": presenters.cards(rows), "upcoming_cards": presenters.cards(upcoming), "today": today}
    return render(request, "prescriptions/valid.html", context)


@subject_required
def detail(request, public_id):
    today = selectors.today()
    row, dispenses = selectors.prescription_detail(request.subject, public_id, today)
    services.record_access(request.subject, "detail", row.prescription.identifier)
    return render(request, "prescriptions/detail.html", {"row": row, "dispenses": dispenses, "today": today})


@subject_required
def dispensed(request):
    form = PeriodForm(request.GET or None)
    start = end = None
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    # A bad period shows the form's message and no rows, rather than silently showing everything.
    items = selectors.dispenses(request.subject, start=start, end=end) if not form.errors else []
    page = Paginator(items, DISPENSES_PER_PAGE).get_page(request.GET.get("page"))
    services.record_access(request.subject, "dispensed")
    context = {"form": form, "page": page, "rows": presenters.dispensed_rows(page.object_list)}
    return render(request, "prescriptions/dispensed.html", context)


@subject_required
def history(request):
    rows = selectors.history_prescriptions(request.subject, selectors.today())
    services.record_access(request.subject, "history")
    return render(request, "prescriptions/history.html", {"cards": presenters.cards(rows)})
