"""The closing notice in the admin (mounted only with ADMIN_ENABLED). Operators add versions;
saved versions can be viewed but never changed or deleted, so the history stays complete."""

from django.contrib import admin
from django.db.models import Subquery
from django.utils.translation import gettext_lazy as _

from myprescriptions.site.models import NoticeVersion


@admin.register(NoticeVersion)
class NoticeVersionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "author", "change_note", "is_current")
    list_display_links = ("created_at",)
    ordering = ("-created_at", "-pk")
    readonly_fields = ("created_at", "author")
    fieldsets = (
        (None, {"fields": ("change_note",)}),
        (_("Text"), {"fields": ("text_nb", "text_nn", "text_en")}),
        (_("Addresses"), {"fields": ("successor_url", "poa_registration_url")}),
        (_("Saved"), {"fields": ("created_at", "author")}),
    )

    @admin.display(boolean=True, description=_("in force"))
    def is_current(self, obj):
        return obj.pk == obj.newest_pk

    def get_queryset(self, request):
        newest = NoticeVersion.objects.order_by("-created_at", "-pk").values("pk")[:1]
        return super().get_queryset(request).annotate(newest_pk=Subquery(newest))

    def get_changeform_initial_data(self, request):
        # A new version starts as a copy of the one in force, so an edit is a small change.
        initial = super().get_changeform_initial_data(request)
        newest = NoticeVersion.objects.order_by("-created_at", "-pk").first()
        if newest is not None:
            for name in ("text_nb", "text_nn", "text_en", "successor_url", "poa_registration_url"):
                initial.setdefault(name, getattr(newest, name))
        return initial

    def save_model(self, request, obj, form, change):
        obj.created_by = request.user
        obj.author = request.user.get_full_name() or request.user.get_username()
        super().save_model(request, obj, form, change)

    # Whoever may use the console (its site decides: operators who logged in through SAML) may
    # add a version; nobody may change or delete one.
    def has_module_permission(self, request):
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request, obj=None):
        return self.admin_site.has_permission(request)

    def has_add_permission(self, request):
        return self.admin_site.has_permission(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
