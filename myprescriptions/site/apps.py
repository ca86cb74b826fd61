from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class SiteConfig(AppConfig):
    name = "myprescriptions.site"
    label = "site"
    verbose_name = _("Public pages")

    def ready(self):
        from myprescriptions.site import closing
        from myprescriptions.site.models import NoticeVersion

        # This process shows an operator's edit at once; others within closing.CACHE_SECONDS.
        post_save.connect(closing.forget_cached_notice, sender=NoticeVersion, dispatch_uid="notice-cache")
