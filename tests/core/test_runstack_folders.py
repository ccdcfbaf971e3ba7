"""`manage.py runstack` (make run) makes the folders its processes need, since importing the
settings makes none: the filesystem broker's, beat's, the uploads' and STATIC_ROOT, without which
whitenoise warns in every web process that runs with DEBUG off."""

from pathlib import Path

from core.management.commands.runstack import prepare_folders


def test_runstack_makes_the_folders_the_stack_needs(settings, tmp_path: Path) -> None:
    var = tmp_path / "var"
    settings.STATIC_ROOT = var / "staticfiles"
    settings.MEDIA_ROOT = var / "media"
    settings.CELERY_BEAT_SCHEDULE_FILENAME = str(var / "celery" / "beat-schedule")
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(var / "celery" / "queue"),
        "data_folder_out": str(var / "celery" / "queue"),
        "processed_folder": str(var / "celery" / "processed"),
        "control_folder": str(var / "celery" / "control"),
        "store_processed": False,
    }
    prepare_folders()
    made = sorted(path.relative_to(var).as_posix() for path in var.rglob("*"))
    assert made == [
        "celery",
        "celery/control",
        "celery/processed",
        "celery/queue",
        "media",
        "staticfiles",
    ]
    prepare_folders()  # a second `make run` finds them in place


def test_on_redis_only_beat_uploads_and_static_files_get_folders(settings, tmp_path: Path) -> None:
    settings.STATIC_ROOT = tmp_path / "staticfiles"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_BEAT_SCHEDULE_FILENAME = str(tmp_path / "celery" / "beat-schedule")
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_timeout": 5}
    prepare_folders()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["celery", "media", "staticfiles"]
