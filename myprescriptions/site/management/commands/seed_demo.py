import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from myprescriptions import demo


class Command(BaseCommand):
    help = "Create or refresh the synthetic demo population (idempotent; ages relative to today)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--write-bundle", metavar="PATH",
            help="only write the demo's FHIR bundle (what seed_demo imports) to PATH, e.g. for import_fhir",
        )

    def handle(self, *args, **options):
        if options["write_bundle"]:
            with open(options["write_bundle"], "w", encoding="utf-8") as handle:
                json.dump(demo.demo_bundle(timezone.localdate()), handle, ensure_ascii=False, indent=1)
            self.stdout.write(self.style.SUCCESS(f"Demo bundle written to {options['write_bundle']}."))
            return
        people = demo.seed()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(people)} people."))
