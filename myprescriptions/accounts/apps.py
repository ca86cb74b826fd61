from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "myprescriptions.accounts"
    label = "accounts"
