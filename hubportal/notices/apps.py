from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "hubportal.notices"
    label = "notices"
    verbose_name = "Notices"
