from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from myprescriptions.site import closing

# Visitors follow these links from every page: https only, never javascript: or http:.
https_only = URLValidator(
    schemes=["https"], message=_("Enter a full address starting with https://."), code="https_only"
)
TEXT_FIELDS = ("text_nb", "text_nn", "text_en")
TEXT_HELP = _(
    "Leave all three empty for the standard text. A blank line starts a new paragraph. Write {closes_on}, "
    "{successor_url} and {poa_registration_url} where the closing date and the two addresses go. The text "
    "is shown until the closing date; from then on the standard text says that the service has closed."
)


class NoticeVersion(models.Model):
    """One saved version of the closing notice, written by an operator in the admin.

    The newest row is the notice in force. Rows are never changed or deleted (the admin only adds),
    so the table is the notice's change history: who changed what, when and why.
    Empty texts mean the standard, translated text; empty addresses mean the settings'.
    """

    created_at = models.DateTimeField(_("saved at"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept as written at the time, so the history survives the operator's account.
    author = models.CharField(_("author"), max_length=150, blank=True, editable=False)
    change_note = models.CharField(
        _("reason for the change"), max_length=200, help_text=_("Shown only in this history.")
    )
    text_nb = models.TextField(_("text in Bokmål"), blank=True, help_text=TEXT_HELP)
    text_nn = models.TextField(_("text in Nynorsk"), blank=True, help_text=TEXT_HELP)
    text_en = models.TextField(_("text in English"), blank=True, help_text=TEXT_HELP)
    successor_url = models.URLField(
        _("address of the new service"),
        max_length=500,
        blank=True,
        validators=[https_only],
        help_text=_("Leave empty to use the address from the settings."),
    )
    poa_registration_url = models.URLField(
        _("address for registering powers of attorney again"),
        max_length=500,
        blank=True,
        validators=[https_only],
        help_text=_("Leave empty to use the address from the settings."),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        get_latest_by = ["created_at", "pk"]
        verbose_name = _("closing notice version")
        verbose_name_plural = _("closing notice versions")

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.author}".strip()

    def clean(self):
        super().clean()
        texts = {name: getattr(self, name).strip() for name in TEXT_FIELDS}
        filled = [name for name, text in texts.items() if text]
        if filled and len(filled) != len(TEXT_FIELDS):
            message = _("Write the text in all three languages, or leave all three empty for the standard text.")
            raise ValidationError({name: message for name in TEXT_FIELDS if name not in filled})
        errors = {}
        for name in filled:
            unknown, missing = closing.placeholder_problems(texts[name])
            problems = []
            if unknown:
                problems.append(
                    _("Unknown placeholders: %(names)s.") % {"names": ", ".join("{%s}" % n for n in sorted(unknown))}
                )
            if missing:
                problems.append(
                    _("The text must contain %(names)s, so that visitors always get the date and both addresses.")
                    % {"names": ", ".join("{%s}" % n for n in sorted(missing))}
                )
            if problems:
                errors[name] = problems
        if errors:
            raise ValidationError(errors)

    def text_for(self, language_code: str) -> str:
        return getattr(self, f"text_{language_code}", "") or ""
