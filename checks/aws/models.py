"""botocore's service models, loaded once per process and, after the first run, from a fast cache.

botocore reads each model from gzipped JSON: EC2's alone takes about 80 ms to decompress and parse,
which a grade pays on every run before its first EC2 request. The parsed model is kept in the
user's cache folder as Python's marshal format (about 14 ms to read for EC2), one file per botocore
version, service, model type and API version, written whole or not at all. A file that cannot be
read is ignored and written again; model folders of the user's own (``AWS_DATA_PATH``,
``~/.aws/models``) are left to botocore alone, uncached.
"""

from __future__ import annotations

import marshal
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import botocore
import botocore.loaders

FORMAT = 1  # of the files written here; a change of it leaves the old ones unread


def cache_folder(environ: dict[str, str] | None = None) -> Path | None:
    """Where the models are kept: $VALIDATE_TASKS_CACHE, else $XDG_CACHE_HOME or ~/.cache, /validate-tasks."""
    env = os.environ if environ is None else environ
    if env.get("VALIDATE_TASKS_CACHE"):
        base = Path(env["VALIDATE_TASKS_CACHE"])
    else:
        home = env.get("XDG_CACHE_HOME") or (str(Path.home() / ".cache") if Path.home() != Path("/") else "")
        if not home:
            return None
        base = Path(home) / "validate-tasks"
    return base / f"models-{FORMAT}-botocore-{botocore.__version__}"


def _plain(value: Any) -> Any:
    """JSON's values as marshal takes them: OrderedDicts as dicts (which keep their order)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class CachedLoader(botocore.loaders.Loader):  # type: ignore[misc]
    """botocore's loader, reading and writing the cache above for each data file it loads."""

    def __init__(self, folder: Path | None, **settings: Any) -> None:
        super().__init__(**settings)
        self.folder = folder
        self._within = threading.local()  # inside a model's assembly: its parts are not kept apart

    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        """A service's model with its extras, as botocore assembles it (its API versions listed once)."""

        def assemble() -> Any:
            self._within.depth = getattr(self._within, "depth", 0) + 1
            try:
                return super(CachedLoader, self).load_service_model(service_name, type_name, api_version)
            finally:
                self._within.depth -= 1

        return self._cached(f"{service_name}.{type_name}.{api_version or 'latest'}", assemble)

    def load_data(self, name: str) -> Any:
        """A data file (``endpoints``, ``partitions``): kept apart unless it is part of a model kept whole."""
        inside = getattr(self._within, "depth", 0) > 0
        return self._cached(name, lambda: super(CachedLoader, self).load_data(name), disk=not inside)

    def _cached(self, key: str, load: Any, *, disk: bool = True) -> Any:
        memo = self.__dict__.setdefault("_memo", {})
        if key in memo:
            return memo[key]
        name = key.replace("/", "~").replace(os.sep, "~")
        path = self.folder / f"{name}.marshal" if self.folder is not None and disk else None
        found = None
        if path is not None:
            try:
                found = marshal.loads(path.read_bytes())  # plain dicts keep their order, as botocore reads them
            except (OSError, ValueError, EOFError, TypeError):
                found = None
        if found is None:
            found = load()
            if path is not None:
                _write(path, marshal.dumps(_plain(found)))
        memo[key] = found
        return found


def _write(path: Path, data: bytes) -> None:
    """The file whole or not at all; a folder that cannot be written leaves the cache unused."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temporary, path)
    except OSError:
        return


def create_loader(search_path: str | None = None) -> Any:
    """The loader a process uses: cached, unless the user has model folders of their own (``AWS_DATA_PATH``,
    or ``~/.aws/models``, which botocore reads before its own): those are botocore's alone to read."""
    if search_path or (Path.home() / ".aws" / "models").is_dir():
        return botocore.loaders.create_loader(search_path)
    return CachedLoader(cache_folder())
