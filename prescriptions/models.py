import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Person(models.Model):
    """A person as the population registry knows them."""

    class ProtectedAddress(models.TextChoices):
        NONE = "", _("None")
        CONFIDENTIAL = "7", _("Confidential address (code 7)")
        STRICTLY_CONFIDENTIAL = "6", _("Strictly confidential address (code 6)")

    national_id = models.CharField(_("national identity number"), max_length=11, unique=True)
    given_name = models.CharField(_("given name"), max_length=200)
    family_name = models.CharField(_("family name"), max_length=200)
    # From the registry: the number can only cross-check it (2032 numbers carry no date).
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    protected_address = models.CharField(
        _("protected address"), max_length=1, choices=ProtectedAddress.choices, blank=True, default=""
    )
    date_of_death = models.DateField(_("date of death"), null=True, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def has_protected_address(self) -> bool:
        return bool(self.protected_address)

    def age_on(self, day) -> int | None:
        if self.birth_date is None:
            return None
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - before_birthday


class Practitioner(models.Model):
    hpr_number = models.CharField(_("HPR number"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=200)

    def __str__(self) -> str:
        return self.name


class Pharmacy(models.Model):
    identifier = models.CharField(_("identifier"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name_plural = _("pharmacies")

    def __str__(self) -> str:
        return self.name


class Medication(models.Model):
    """A prescribable or dispensable item: the prescribed one and the dispensed one may differ."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    form = models.CharField(_("form"), max_length=100, blank=True)
    strength = models.CharField(_("strength"), max_length=100, blank=True)
    atc_code = models.CharField(_("ATC code"), max_length=10, blank=True)
    package_number = models.CharField(_("package number"), max_length=20, blank=True)

    def __str__(self) -> str:
        return " ".join(part for part in (self.name, self.strength, self.form) if part)


class Prescription(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled")
        COMPLETED = "completed", _("Completed")

    class DispensingGroup(models.TextChoices):
        A = "A", _("A (narcotic)")
        B = "B", _("B")
        C = "C", _("C")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    identifier = models.CharField(_("prescription identifier"), max_length=64, unique=True)
    patient = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="prescriptions")
    medication = models.ForeignKey(Medication, on_delete=models.PROTECT, related_name="+")
    prescriber = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="+")
    dispensing_group = models.CharField(max_length=1, choices=DispensingGroup.choices, default="C")
    dosage_text = models.TextField(_("dosage"), blank=True)
    indication = models.CharField(_("indication"), max_length=300, blank=True)
    issued_on = models.DateField(_("issue date"))
    earliest_dispense_on = models.DateField(_("earliest dispense date"))
    expires_on = models.DateField(_("expiry date"))
    # "Reit" counts dispenses after the first one.
    reiterations = models.PositiveSmallIntegerField(_("reiterations"), default=0)
    quantity_per_dispense = models.DecimalField(max_digits=10, decimal_places=2)
    quantity_unit = models.CharField(max_length=40, blank=True)
    substitution_reserved = models.BooleanField(_("substitution reserved by prescriber"), default=False)
    blue_basis = models.CharField(_("blue prescription basis"), max_length=20, blank=True)
    blue_code = models.CharField(_("blue prescription code"), max_length=20, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    locked = models.BooleanField(_("locked prescription"), default=False)
    locked_reference = models.CharField(_("locked prescription reference"), max_length=40, blank=True)
    guardian_reserved = models.BooleanField(_("guardian-access reservation"), default=False)

    class Meta:
        indexes = [models.Index(fields=["patient", "status", "expires_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gte=models.F("earliest_dispense_on")), name="prescription_dates_ordered"
            ),
            models.CheckConstraint(condition=Q(quantity_per_dispense__gte=0), name="prescription_quantity_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.identifier}"

    @property
    def dispenses_allowed(self) -> int:
        return 1 + self.reiterations

    @property
    def is_blue(self) -> bool:
        return bool(self.blue_basis)


class Dispense(models.Model):
    class Status(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    identifier = models.CharField(max_length=64, unique=True)
    prescription = models.ForeignKey(Prescription, on_delete=models.CASCADE, related_name="dispenses")
    # Denormalised so that a subject's dispenses are one indexed query.
    patient = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="dispenses")
    handed_over_at = models.DateTimeField(_("handed over"))
    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="+")
    medication = models.ForeignKey(Medication, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=10, decimal_places=2)
    substituted = models.BooleanField(_("generic substitution"), default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.COMPLETED)

    class Meta:
        indexes = [models.Index(fields=["patient", "-handed_over_at"])]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=0), name="dispense_quantity_nonneg")]

    def __str__(self) -> str:
        return self.identifier


class AccessLogEntry(models.Model):
    """One view of a person's health data: who, on what basis, what, when."""

    class Basis(models.TextChoices):
        SELF = "self", _("themselves")
        PARENT = "parent", _("parent")
        POWER_OF_ATTORNEY = "poa", _("power of attorney")
        OPERATOR = "operator", _("operator")

    subject = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="access_log")
    viewer = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    basis = models.CharField(max_length=10, choices=Basis.choices)
    page = models.CharField(max_length=40)
    item = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["subject", "-at"])]
        ordering = ["-at", "-id"]
