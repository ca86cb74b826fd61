"""The operator console: Django's admin, read-only, behind SAML login, and visible in the access
log of every person whose health data it shows.

It is mounted only with ADMIN_ENABLED, at ADMIN_PATH (myprescriptions/urls.py). The access rule
middleware already answers 404 to anyone who is not staff; this site additionally requires the
session to come from a SAML login (operators.is_operator). Its own password login, logout and
password change are replaced.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from myprescriptions.hardening import operators
from prescriptions import identity, services
from prescriptions.models import AccessLogEntry, Dispense, Medication, Person, Pharmacy, Practitioner, Prescription
from prescriptions.subject import Subject


class OperatorAdminSite(admin.AdminSite):
    site_header = _("My Prescriptions – operator console")
    site_title = _("Operator console")
    index_title = _("Operator console")
    site_url = "/"

    def has_permission(self, request):
        return operators.is_operator(request)

    def login(self, request, extra_context=None):
        """No password login here: operators log in like everyone else, through SAML."""
        return HttpResponseRedirect(f"{reverse('site:landing')}?login=required")

    def logout(self, request, extra_context=None):
        # 307 keeps the POST (and its CSRF token): the site's logout also ends the IdP session.
        return HttpResponseRedirect(reverse("site:logout"), status=307)

    def password_change(self, request, extra_context=None):
        raise Http404

    def password_change_done(self, request, extra_context=None):
        raise Http404


class ReadOnlyAdmin(admin.ModelAdmin):
    """Operators look; changes go through the services, never through the admin."""

    actions = None
    list_per_page = 50
    show_full_result_count = False

    def has_module_permission(self, request):
        return operators.is_operator(request)

    def has_view_permission(self, request, obj=None):
        return operators.is_operator(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HealthDataAdmin(ReadOnlyAdmin):
    """Pages showing people's health data. Before such a page is rendered, each person shown gets
    an entry in their access log (basis "operator"); if that write fails, the page is not shown."""

    def person_of(self, obj) -> Person:
        raise NotImplementedError

    def item_of(self, obj) -> str:
        return ""

    def _record(self, request, page: str, objects) -> None:
        viewer = request.user.person
        model = self.model._meta.model_name
        with transaction.atomic():
            for obj in objects:
                subject = Subject(self.person_of(obj), viewer, AccessLogEntry.Basis.OPERATOR)
                services.record_access(subject, f"admin:{model}:{page}", self.item_of(obj))

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        # Redirects (bad filter parameters) show nothing; a TemplateResponse is not rendered yet.
        if isinstance(response, TemplateResponse) and "cl" in (response.context_data or {}):
            self._record(request, "list", response.context_data["cl"].result_list)
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            self._record(request, "change", [obj])
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_view_permission(request, obj):
            self._record(request, "history", [obj])
        return super().history_view(request, object_id, extra_context)


class PersonAdmin(HealthDataAdmin):
    list_display = ("full_name", "masked_national_id", "birth_date", "protected_address", "date_of_death")
    fields = ("masked_national_id", "given_name", "family_name", "birth_date", "protected_address", "date_of_death")
    readonly_fields = fields
    ordering = ("family_name", "given_name", "pk")

    @admin.display(description=_("national identity number"))
    def masked_national_id(self, person):
        # The full number is shown only to its owner (see DOMAIN.md).
        return identity.mask(person.national_id)

    def person_of(self, obj):
        return obj


class PrescriptionAdmin(HealthDataAdmin):
    list_display = ("identifier", "patient", "medication", "status", "issued_on", "expires_on")
    list_filter = ("status", "dispensing_group")
    list_select_related = ("patient", "medication")
    ordering = ("-issued_on", "pk")

    def person_of(self, obj):
        return obj.patient

    def item_of(self, obj):
        return obj.identifier


class DispenseAdmin(HealthDataAdmin):
    list_display = ("identifier", "patient", "medication", "handed_over_at", "pharmacy", "status")
    list_filter = ("status",)
    list_select_related = ("patient", "medication", "pharmacy")
    ordering = ("-handed_over_at", "pk")

    def person_of(self, obj):
        return obj.patient

    def item_of(self, obj):
        return obj.identifier


class ReferenceDataAdmin(ReadOnlyAdmin):
    """Drugs, pharmacies and prescribers: no one's health data on their own."""


class UserAdmin(ReadOnlyAdmin):
    list_display = ("username", "is_staff", "is_active", "last_login")
    fields = ("username", "is_staff", "is_active", "last_login", "date_joined")
    readonly_fields = fields
    list_filter = ("is_staff",)
    ordering = ("username",)


# Apps whose models may appear in the console; everything else autodiscovery found is removed.
PROJECT_APPS = frozenset({"accounts", "site", "prescriptions", "proxies", "saml", "hardening"})


def register_models(site=None) -> None:
    site = site or admin.site
    site.register(Person, PersonAdmin)
    site.register(Prescription, PrescriptionAdmin)
    site.register(Dispense, DispenseAdmin)
    for model in (Medication, Pharmacy, Practitioner):
        site.register(model, ReferenceDataAdmin)
    site.register(get_user_model(), UserAdmin)


def keep_only_project_models(site=None) -> None:
    site = site or admin.site
    for model in list(site._registry):
        if model._meta.app_label not in PROJECT_APPS:
            site.unregister(model)
