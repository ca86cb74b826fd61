"""Run it on a schedule (cron, a Kubernetes CronJob): logins read the copy it keeps."""

import datetime
import logging

from django.core.management.base import BaseCommand, CommandError

from myprescriptions.saml import config, metadata

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Fetch the IdP metadata from SAML_IDP_METADATA (https), check its signing certificates and cache it."

    def handle(self, *args, **options):
        try:
            checked, path = metadata.refresh()
        except metadata.MetadataError as exc:
            logger.error("idp metadata refresh failed", extra={"error": str(exc)[:300]})
            raise CommandError(f"IdP metadata not refreshed: {exc}. {self._kept()}") from None
        where = f"cached at {path}" if path else "local file checked, nothing to cache"
        self.stdout.write(
            f"IdP metadata OK: {checked.entity_id}, {checked.signing_certs} signing certificate(s), "
            f"first expiry {checked.first_expiry:%Y-%m-%d}; {where}."
        )
        logger.info("idp metadata refreshed", extra={"signing_certs": checked.signing_certs, "cached": bool(path)})
        if checked.expires_soon():
            self.stderr.write(f"Warning: a signing certificate expires on {checked.first_expiry:%Y-%m-%d}.")

    def _kept(self) -> str:
        if not config.metadata_source().startswith(("https://", "http://")):
            return ""
        path = config.cached_metadata_path()
        if not path.exists():
            return "There is no cached copy yet: logins cannot start until a refresh succeeds."
        changed = datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.UTC)
        return f"Logins keep using the last good copy ({path}, from {changed:%Y-%m-%d %H:%M} UTC)."
