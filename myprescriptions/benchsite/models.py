from django.db import models


class Fortune(models.Model):
    """TechEmpower's fortune table, grouped by an indexed topic so the baseline reads by an index."""

    topic = models.PositiveSmallIntegerField(db_index=True)
    message = models.CharField(max_length=2048)
