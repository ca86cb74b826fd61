"""Where one page's time goes: serves it in-process, with the production settings the benchmark
uses, and prints the CPU per request and cProfile's top functions.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_bench_10k \\
        python -m bench.profile_page [--page overview] [--requests 300] [--top 40]

Needs a database built by bench.datagen. The request goes through the whole WSGI handler
(middleware, view, template, access-log write) as under gunicorn; only the socket is missing.
"""

import argparse
import cProfile
import io
import os
import pstats
import secrets
import sys
import tempfile
import time

PAGES = ("baseline", "overview", "detail", "dispensed", "access_log")


def _environment(work: str) -> None:
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "myprescriptions.settings",
        "DEBUG": "0",
        "TEST_IDP": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "0",
        "BENCHMARK": "1",
        "DB_CONN_MAX_AGE": "600",
        "ALLOWED_HOSTS": "my.prescriptions.test",
        "STATIC_ROOT": os.path.join(work, "static"),
        "VAR_DIR": os.path.join(work, "var"),
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "INFO"),
    })
    os.environ.pop("REDIS_URL", None)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--page", default="overview", choices=PAGES)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args(argv)
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("set DATABASE_URL to a database built by bench.datagen")

    work = tempfile.mkdtemp(prefix="mp-profile-")
    _environment(work)
    import logging

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import login
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.test import Client, RequestFactory
    from django.urls import reverse

    from myprescriptions.accounts.models import User
    from prescriptions import selectors
    from prescriptions.subject import Subject

    call_command("collectstatic", "--noinput", verbosity=0)
    # The request log line is written as under gunicorn, but to nowhere: the terminal is the report.
    for handler in logging.getLogger().handlers:
        handler.stream = io.StringIO() if hasattr(handler, "stream") else None
    user = User.objects.filter(username__startswith="bench-").select_related("person").order_by("pk").first()
    request = RequestFactory().get("/")
    request.session = SessionStore()
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    request.session.save()
    subject = Subject(user.person, user.person, "self")
    first = selectors.valid_prescriptions(subject, selectors.today())[0].prescription
    path = {
        "baseline": reverse("benchsite:fortunes"),
        "overview": reverse("prescriptions:valid"),
        "detail": reverse("prescriptions:detail", args=[first.public_id]),
        "dispensed": reverse("prescriptions:dispensed"),
        "access_log": reverse("proxies:access_log"),
    }[args.page]

    client = Client(HTTP_HOST="my.prescriptions.test")
    if args.page != "baseline":
        client.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key

    def once():
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        return len(response.content)

    for _ in range(20):  # templates loaded, connection open, caches warm
        size = once()
    # In batches: the least CPU a batch needed is the figure least disturbed by other work on the
    # machine (a virtual machine's CPU time varies by some 20 % from one minute to the next).
    batches, per_batch = 10, max(1, args.requests // 10)
    figures = []
    for _ in range(batches):
        started = time.process_time()
        for _ in range(per_batch):
            once()
        figures.append((time.process_time() - started) / per_batch * 1000)
    figures.sort()
    print(f"{args.page} {path}: {size} bytes; CPU per request {figures[0]:.2f} ms (least of {batches} batches of "
          f"{per_batch}), median {figures[batches // 2]:.2f} ms; Django's test client included")

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.requests):
        once()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
