"""Finding a project's provider verifications: `provider_verification/test_<provider>*.py` modules, each
holding a module-level `ProviderVerification`. Imported directly (not through pytest) so the CLI and the
pipeline can call the harness with their own broker, version and publish options."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

from contracts.verification import ProviderVerification

__all__ = ["find_verifications"]


def find_verifications(folder: Path, provider: str | None = None) -> dict[str, list[ProviderVerification]]:
    """Provider name -> its verifications found in `folder` (optionally only those of `provider`)."""
    found: dict[str, list[ProviderVerification]] = {}
    if not folder.is_dir():
        return found
    pattern = f"test_{provider}*.py" if provider else "test_*.py"
    project = str(folder.resolve().parent)
    if project not in sys.path:
        sys.path.insert(0, project)  # the modules import their project's packages and helpers
    for path in sorted(folder.glob(pattern)):
        # Keyed by the file's full path: two projects may both have provider_verification/test_sample.py.
        digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
        name = f"_contracts_verification_{digest}_{path.stem}"
        module = sys.modules.get(name)
        if module is None:
            spec = importlib.util.spec_from_file_location(name, path)
            if spec is None or spec.loader is None:
                continue
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        for value in vars(module).values():
            if not isinstance(value, ProviderVerification) or provider not in (None, value.provider):
                continue
            if value not in found.setdefault(value.provider, []):
                found[value.provider].append(value)
    return found
