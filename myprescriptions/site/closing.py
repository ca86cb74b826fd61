"""The service is closing in favour of a successor; from SERVICE_CLOSES_ON it runs in closed mode."""

from django.conf import settings
from django.utils import timezone


def closes_on():
    return settings.SERVICE_CLOSES_ON


def is_closed(today=None) -> bool:
    return (today or timezone.localdate()) >= closes_on()
