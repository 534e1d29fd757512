from django.apps import AppConfig


class SeedConfig(AppConfig):
    name = "qualify.seed"
    label = "seed"
    verbose_name = "Demo and scale data"

    def ready(self) -> None:
        from qualify.audit.registry import register_actions

        # Scale data sets are written in bulk (qualify.seed.scale); their events say so.
        register_actions({"seed.row.loaded": "Row loaded in bulk by qualify seed (scale data)"})
