# syntax=docker/dockerfile:1
# Production image: see README, "Running in production". Debian slim, not Alpine: lxml and xmlsec
# ship manylinux wheels built against the same libxml2, and must be installed as that pair.

FROM python:3.13-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md ./
COPY myprescriptions ./myprescriptions
COPY prescriptions ./prescriptions
COPY proxies ./proxies
# Dependencies only: the application itself runs from /app, where templates and static files live.
RUN pip install --only-binary=lxml,xmlsec . \
 && pip uninstall -y myprescriptions \
 && python -c "import lxml.etree, xmlsec, onelogin.saml2.auth"

FROM python:3.13-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=myprescriptions.settings STATIC_ROOT=/app/staticfiles VAR_DIR=/var/lib/myprescriptions
# The xmlsec and lxml wheels bundle their C libraries: no system packages needed.
RUN groupadd --system app && useradd --system --gid app --home /app app \
 && mkdir -p /var/lib/myprescriptions && chown app:app /var/lib/myprescriptions
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY manage.py pyproject.toml ./
COPY myprescriptions ./myprescriptions
COPY prescriptions ./prescriptions
COPY proxies ./proxies
COPY templates ./templates
COPY static ./static
COPY locale ./locale
# Smoke test: the SAML stack imports (lxml/xmlsec libxml2 versions match).
RUN python -c "import onelogin.saml2.auth, xmlsec, lxml.etree; print('saml stack ok')"
# Static files (hashed, compressed) and translations at build time. The key is a throwaway used
# only by these two commands; the container refuses to start without a real SECRET_KEY.
RUN export SECRET_KEY=build-only-throwaway-key-never-used-at-runtime-0123456789 DEBUG=0 TEST_IDP=0 \
 && python manage.py compilemessages_py \
 && python manage.py collectstatic --noinput \
 && chown -R app:app /app
USER app
EXPOSE 8000
# JSON logs on stdout, one line per request from the application itself (no separate access log).
CMD ["gunicorn", "myprescriptions.wsgi:application", "-c", "python:myprescriptions.hardening.gunicorn_conf", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4"]
