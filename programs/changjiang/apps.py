from django.apps import AppConfig


class ChangjiangConfig(AppConfig):
    name = "programs.changjiang"
    label = "program_changjiang"
    verbose_name = "昌江区“科贷通”"

    def ready(self) -> None:
        from kedaitong import programs
        from programs.changjiang.spec import build

        programs.register(build())
