from pathlib import Path

import polib
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand


def catalogue_dirs() -> list[Path]:
    """LOCALE_PATHS and the locale folders of our own apps (not those of installed packages,
    which ship compiled catalogues)."""
    base = Path(settings.BASE_DIR).resolve()
    dirs = [Path(p) for p in settings.LOCALE_PATHS]
    for app in apps.get_app_configs():
        candidate = Path(app.path).resolve() / "locale"
        if candidate.is_relative_to(base) and ".venv" not in candidate.parts and candidate.is_dir():
            dirs.append(candidate)
    return list(dict.fromkeys(dirs))


class Command(BaseCommand):
    # Compiling catalogues needs no database: it runs before the first migrate and at image build.
    requires_system_checks = []
    help = "Compile our .po catalogues to .mo in pure Python (no GNU gettext needed)."

    def handle(self, *args, **options):
        count = 0
        for locale_dir in catalogue_dirs():
            for po_path in Path(locale_dir).glob("*/LC_MESSAGES/*.po"):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
                count += 1
        self.stdout.write(f"Compiled {count} message catalogue(s).")
