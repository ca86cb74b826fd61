from django.contrib.auth.models import AbstractUser
from django.db import models

from prescriptions.models import Person


class User(AbstractUser):
    """A login. Citizens have no password: they come through SAML and are linked to their Person."""

    person = models.OneToOneField(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="user")


class UsedAssertion(models.Model):
    """SAML assertion IDs seen, kept until they expire, shared by every app process (replay cache)."""

    assertion_id = models.CharField(max_length=256, unique=True)
    not_on_or_after = models.DateTimeField(db_index=True)
