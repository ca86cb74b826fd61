"""Prepares logged-in sessions for the benchmark's users, outside the measured path.

Runs with the benchmark server's environment (same SECRET_KEY, same database) and prints JSON:
the session cookie name, one session per benchmark user with that user's valid prescriptions,
and the URL of every page to measure (None when a page does not exist in this build).

A session is made the way a login makes it (django.contrib.auth.login on a request with a fresh
session store), so the server sees exactly what it sees after a SAML login. SAML itself is
measured separately by bench.saml_logins.
"""

import json
import os
import sys


def main() -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myprescriptions.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth import login
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory
    from django.urls import NoReverseMatch, reverse

    from myprescriptions.accounts.models import User
    from prescriptions import selectors
    from prescriptions.subject import Subject

    def url(name, *args):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            return None

    factory = RequestFactory()
    today = selectors.today()
    users = []
    for user in User.objects.filter(username__startswith="bench-").select_related("person").order_by("pk"):
        request = factory.get("/")
        request.session = SessionStore()
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        request.session.save()
        subject = Subject(user.person, user.person, "self")
        valid = selectors.valid_prescriptions(subject, today)
        users.append({
            "session": request.session.session_key,
            "detail_paths": [url("prescriptions:detail", row.prescription.public_id) for row in valid],
            "valid_count": len(valid),
            "dispense_count": subject.dispenses.count(),
        })
    if not users:
        raise SystemExit("no benchmark users in this database: run bench.datagen first")
    pages = {
        "baseline": url("benchsite:fortunes"),
        "overview": url("prescriptions:valid"),
        "detail": "(per user)" if users[0]["detail_paths"] else None,
        "dispensed": url("prescriptions:dispensed"),
        "access_log": url("proxies:access_log"),
    }
    json.dump({"cookie": settings.SESSION_COOKIE_NAME, "users": users, "pages": pages}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
