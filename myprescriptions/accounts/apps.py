from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "myprescriptions.accounts"
    label = "accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from myprescriptions.accounts.middleware import mark_login

        user_logged_in.connect(mark_login, dispatch_uid="accounts.mark_login")
