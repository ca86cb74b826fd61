"""Every view declares who may reach it; proxies.middleware enforces it and denies undeclared views.

Rules, from loosest to tightest:
- PUBLIC: anyone;
- LOGGED_IN: an authenticated user (their own account pages);
- SUBJECT: an authenticated user with a subject whose data the page shows (request.subject);
- STAFF: an operator (Django admin), who also logged in through SAML at high assurance.
"""

PUBLIC = "public"
LOGGED_IN = "logged_in"
SUBJECT = "subject"
STAFF = "staff"
RULES = (PUBLIC, LOGGED_IN, SUBJECT, STAFF)


def _declare(rule):
    def decorate(view):
        view.access_rule = rule
        return view

    return decorate


public = _declare(PUBLIC)
logged_in = _declare(LOGGED_IN)
subject_required = _declare(SUBJECT)
staff_only = _declare(STAFF)


def rule_of(view) -> str | None:
    return getattr(view, "access_rule", None)
