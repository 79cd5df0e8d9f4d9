from django.apps import AppConfig


class QuzhouConfig(AppConfig):
    name = "programs.quzhou"
    label = "program_quzhou"
    verbose_name = "衢州市科技金融合作贷款"

    def ready(self) -> None:
        from kedaitong import programs
        from programs.quzhou.spec import build

        programs.register(build())
