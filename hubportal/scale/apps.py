from django.apps import AppConfig


class ScaleConfig(AppConfig):
    name = "hubportal.scale"
    label = "scale"
    verbose_name = "National-scale data and benchmarks"
