from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "hubportal.privacy"
    label = "privacy"
    verbose_name = "Personal data and retention"
