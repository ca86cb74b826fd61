from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from prescriptions.models import Person


class ParentalResponsibility(models.Model):
    """Registered in the population registry: this parent may act for this child while under 16."""

    parent = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="children_links")
    child = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="parent_links")

    class Meta:
        verbose_name_plural = _("parental responsibilities")
        constraints = [
            models.UniqueConstraint(fields=["parent", "child"], name="one_responsibility_per_pair"),
            models.CheckConstraint(condition=~Q(parent=F("child")), name="no_parent_of_oneself"),
        ]


class PowerOfAttorney(models.Model):
    """The grantor lets the holder see the grantor's own prescriptions. Whether it is in force on a
    given day is decided by proxies.access alone; rows are never deleted, ended ones are history."""

    grantor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="powers_granted")
    holder = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="powers_held")
    starts_on = models.DateField(_("start"))
    # Null means open-ended.
    ends_on = models.DateField(_("end"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when either party ended it early; the row then stays as history.
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("power of attorney")
        verbose_name_plural = _("powers of attorney")
        constraints = [
            models.CheckConstraint(condition=~Q(grantor=F("holder")), name="no_poa_to_oneself"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")), name="poa_end_after_start"
            ),
            models.UniqueConstraint(
                fields=["grantor", "holder"], condition=Q(ended_at__isnull=True), name="one_open_poa_per_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grantor} → {self.holder}"
