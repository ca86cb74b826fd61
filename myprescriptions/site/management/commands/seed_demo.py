from django.core.management.base import BaseCommand

from myprescriptions import demo


class Command(BaseCommand):
    help = "Create or refresh the synthetic demo population (idempotent; ages relative to today)."

    def handle(self, *args, **options):
        people = demo.seed()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(people)} people."))
