from django.shortcuts import render

from myprescriptions.benchsite.models import Fortune
from prescriptions.access_rules import public

BASELINE_TOPIC = 1


@public
def fortunes(request):
    """One indexed query, one added row, sorted, rendered with auto-escaping (the Fortunes test)."""
    rows = [(f.pk, f.message) for f in Fortune.objects.filter(topic=BASELINE_TOPIC).only("id", "message")]
    rows.append((0, "Additional fortune added at request time."))
    rows.sort(key=lambda row: row[1])
    return render(request, "benchsite/fortunes.html", {"fortunes": rows})
