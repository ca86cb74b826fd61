""""Download my data": the current subject's prescriptions and dispenses as one FHIR R4 Bundle."""

import json

from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from prescriptions import services
from prescriptions.access_rules import subject_required
from prescriptions.fhir import exporter


@subject_required
@require_GET
def download(request):
    """Whoever may view the subject may download what they see of it: the Bundle is read through
    request.subject, so items hidden from a parent stay hidden. The download is logged first; if the
    log cannot be written, nothing is sent."""
    bundle = exporter.subject_bundle(request.subject)
    services.record_access(request.subject, "export")
    body = json.dumps(bundle, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/fhir+json; charset=utf-8")
    # The file name carries the date only: never the identity number, never the name.
    filename = f"my-prescriptions-{timezone.localdate().isoformat()}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    add_never_cache_headers(response)
    response["X-Content-Type-Options"] = "nosniff"
    return response
