"""botocore's service models, loaded once per process and, after the first run, from a fast cache.

botocore reads each model from gzipped JSON: EC2's alone takes about 80 ms to decompress and parse,
which a grade pays on every run before its first EC2 request. The parsed model is kept in the
user's cache folder as Python's marshal format (about 14 ms to read for EC2), one file per botocore
version, service, model type and API version, written whole or not at all.

The cache is never a way in. A file is read only when:

- it is the current user's, a regular file (not a link), in a folder that is the current user's and
  that no one else may write (the folder is made so, mode 0700);
- its content is bound to the botocore files it was made from: their path (inside the folders
  botocore reads its data from), size and SHA-256 are kept in the file, and each is checked against
  the file on disk before the model is used.

Anything else is ignored (and, where the folder is the user's own, written again). What decides where
a request goes is never cached at all: endpoint rule sets and the partitions file are read from
botocore's own files every time (they are small). Model folders of the user's own (``AWS_DATA_PATH``,
``~/.aws/models``) are left to botocore alone, uncached; on a system without POSIX ownership the
cache is not used.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any

import botocore
import botocore.loaders

FORMAT = 2  # of the files written here; a change of it leaves the old ones unread
JSON_ENDINGS = tuple(getattr(botocore.loaders, "_JSON_OPEN_METHODS", {".json": None, ".json.gz": None}))
NEVER_CACHED = ("endpoint-rule-set-", "partitions")  # where requests go: always botocore's own files


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


def private_folder(folder: Path, *, make: bool) -> bool:
    """Whether ``folder`` is the current user's alone: theirs, a folder, and writable by no one else.
    With ``make``, a folder that does not exist is made so (its parents as the user's umask says)."""
    if os.name != "posix":
        return False
    try:
        if make and not os.path.lexists(folder):
            folder.parent.mkdir(parents=True, exist_ok=True)
            folder.mkdir(mode=0o700)
        st = os.stat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _digest(path: str) -> tuple[int, str] | None:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    return len(data), hashlib.sha256(data).hexdigest()


class _Recording:
    """botocore's file loader, noting which files each load read (for the cache to be bound to them)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.read = threading.local()

    def exists(self, file_path: str) -> bool:
        return bool(self.inner.exists(file_path))

    def load_file(self, file_path: str) -> Any:
        found = self.inner.load_file(file_path)
        noted = getattr(self.read, "files", None)
        if found is not None and noted is not None:
            for ext in JSON_ENDINGS:  # the one it read: the first that is a file, in botocore's order
                if os.path.isfile(file_path + ext):
                    noted.append(os.path.realpath(file_path + ext))
                    break
        return found


class CachedLoader(botocore.loaders.Loader):  # type: ignore[misc]
    """botocore's loader, reading and writing the cache above for each data file it loads."""

    def __init__(self, folder: Path | None, **settings: Any) -> None:
        super().__init__(**settings)
        self.recording = _Recording(self.file_loader)
        self.file_loader = self.recording  # type: ignore[assignment]  # the same calls, noted
        self.folder = folder if folder is not None and private_folder(folder, make=True) else None
        self._within = threading.local()  # inside a model's assembly: its parts are not kept apart

    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        """A service's model with its extras, as botocore assembles it (its API versions listed once)."""

        def assemble() -> Any:
            self._within.depth = getattr(self._within, "depth", 0) + 1
            try:
                return super(CachedLoader, self).load_service_model(service_name, type_name, api_version)
            finally:
                self._within.depth -= 1

        key = f"{service_name}.{type_name}.{api_version or 'latest'}"
        return self._cached(key, assemble, disk=not type_name.startswith(NEVER_CACHED))

    def load_data(self, name: str) -> Any:
        """A data file (``endpoints``): kept apart unless it is part of a model kept whole."""
        inside = getattr(self._within, "depth", 0) > 0
        cached = not inside and not name.startswith(NEVER_CACHED)
        return self._cached(name, lambda: super(CachedLoader, self).load_data(name), disk=cached)

    def _roots(self) -> tuple[str, ...]:
        """The folders botocore reads its data from: a kept model's files must lie in one of them."""
        return tuple(os.path.join(os.path.realpath(p), "") for p in self.search_paths)

    def _cached(self, key: str, load: Any, *, disk: bool = True) -> Any:
        memo = self.__dict__.setdefault("_memo", {})
        recording = self.recording.read
        outer = getattr(recording, "files", None)
        if key not in memo:
            name = key.replace("/", "~").replace(os.sep, "~")
            path = self.folder / f"{name}.marshal" if self.folder is not None and disk else None
            kept = _read(path, self._roots()) if path is not None else None
            if kept is not None:
                memo[key] = kept
            else:
                recording.files = []
                try:
                    found = load()
                    sources = list(dict.fromkeys(recording.files))
                finally:
                    recording.files = outer
                memo[key] = (found, sources)
                if path is not None:
                    _write(path, found, sources)
        found, sources = memo[key]
        if outer is not None:  # a part of a model being assembled: the model is bound to its files too
            outer.extend(sources)
        return found


def _read(path: Path, roots: tuple[str, ...]) -> tuple[Any, list[str]] | None:
    """The model kept at ``path`` and its sources, or None: not the user's own, or not made from the botocore
    files there are."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return None
            kept = marshal.loads(f.read())  # plain dicts keep their order, as botocore reads them
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not (isinstance(kept, dict) and kept.get("format") == FORMAT and isinstance(kept.get("sources"), list)):
        return None
    sources = kept["sources"]
    if not sources:
        return None
    for source in sources:
        if not (isinstance(source, (list, tuple)) and len(source) == 3):
            return None
        where, size, digest = source
        if not isinstance(where, str) or not where.startswith(roots) or _digest(where) != (size, digest):
            return None
    return kept.get("model"), [source[0] for source in sources]


def _write(path: Path, model: Any, sources: list[str]) -> None:
    """The file whole or not at all, under a name no one can guess first; a folder that cannot be written
    leaves the cache unused."""
    bound = []
    for source in sources:
        found = _digest(source)
        if found is None:
            return
        bound.append((source, *found))
    if not bound:
        return
    try:
        data = marshal.dumps({"format": FORMAT, "sources": bound, "model": _plain(model)})
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".model-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except (OSError, ValueError):
        return


def create_loader(search_path: str | None = None) -> Any:
    """The loader a process uses: cached, unless the user has model folders of their own (``AWS_DATA_PATH``,
    or ``~/.aws/models``, which botocore reads before its own): those are botocore's alone to read."""
    if search_path or (Path.home() / ".aws" / "models").is_dir():
        return botocore.loaders.create_loader(search_path)
    return CachedLoader(cache_folder())
