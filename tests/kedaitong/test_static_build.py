"""The production static build: collectstatic with a manifest storage, as `DJANGO_ENV=production` runs it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

STATIC = Path(settings.BASE_DIR) / "static"
SOURCE_MAP = re.compile(rb"[#@] sourceMappingURL=(\S+?)(?:\s*\*/)?\s*$", re.MULTILINE)


def test_no_static_file_names_a_source_map_that_is_not_there():
    """A reference to a missing map makes the manifest storage fail ("Post-processing ... failed!")."""
    missing = []
    for path in STATIC.rglob("*"):
        if path.suffix not in (".js", ".css"):
            continue
        for match in SOURCE_MAP.finditer(path.read_bytes()):
            target = match.group(1).decode()
            if not target.startswith("data:") and not (path.parent / target).exists():
                missing.append(f"{path.relative_to(STATIC)} → {target}")
    assert not missing, f"strip these references (scripts/vendor.sh does): {missing}"


def test_collectstatic_with_the_manifest_storage_hashes_the_vendored_files(settings, tmp_path):
    """What production's CompressedManifestStaticFilesStorage does first (its compression is WhiteNoise's own)."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    for name in ("vendor/chartjs/chart.umd.min.js", "vendor/pico/pico.min.css", "js/dashboard.js"):
        hashed = manifest[name]
        assert hashed != name and (tmp_path / hashed).exists(), name
    # django-ninja's ReDoc viewer is left out (the API's page is Swagger UI): nothing names it.
    assert not [path for path in manifest if "redoc" in path]
    assert "ninja/swagger-ui-bundle.js" in manifest


def test_the_production_build_does_not_compress_source_maps(settings):
    """Brotli on the source maps took half of the production build's time; a developer's tools fetch them as they are."""
    from whitenoise.compress import Compressor

    compressor = Compressor(extensions=settings.WHITENOISE_SKIP_COMPRESS_EXTENSIONS, quiet=True)
    assert not compressor.should_compress("ninja/swagger-ui-bundle.js.map")
    assert compressor.should_compress("ninja/swagger-ui-bundle.js")
    assert not compressor.should_compress("img/logo.png")
