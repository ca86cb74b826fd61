"""Operational hardening of the site: security headers and cookie flags, request ids and JSON
logs without identity numbers, error and "database unavailable" pages, health probes, and the
operator console (Django admin behind SAML login)."""
