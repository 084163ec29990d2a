from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "hubportal.accounts"
    label = "accounts"
    verbose_name = "People and roles"
