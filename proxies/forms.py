from django import forms
from django.utils.translation import gettext_lazy as _

from prescriptions import identity


class GrantForm(forms.Form):
    """Step one of granting: whose number, and until when. Step two shows the holder's name."""

    national_id = forms.CharField(
        label=_("National identity number of the person who will hold the power of attorney"),
        help_text=_("11 digits."),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}),
    )
    ends_on = forms.DateField(
        label=_("Last day (optional)"),
        help_text=_("Leave it empty for a power of attorney without an end date."),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_national_id(self):
        try:
            return identity.parse(self.cleaned_data["national_id"])
        except identity.InvalidIdentityNumber:
            raise forms.ValidationError(
                _("This is not a valid national identity number. Check that all 11 digits are right."),
                code="invalid_number",
            ) from None

    def clean_ends_on(self):
        ends_on = self.cleaned_data.get("ends_on")
        if ends_on is not None and ends_on < self.today:
            raise forms.ValidationError(_("The last day cannot be in the past."), code="end_in_past")
        return ends_on
