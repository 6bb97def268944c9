"""A Debian root with Home Assistant in it, built once and cached.

The machine's Python is too old for a Home Assistant with device-based MQTT discovery, so
the tests run Home Assistant in a Debian root that has a newer one. `debootstrap` builds
the root from the mirror the host's apt already uses, pip installs Home Assistant and the
requirements of the integrations it loads, reaching the package index the host's pip is
configured for, and the finished root is kept under the user's cache directory, keyed by
Debian suite and Home Assistant version. A build goes into a temporary directory that is
renamed into place only when complete, so an interrupted build is never taken for a root.

Every command in the root runs in a private mount namespace (`unshare --mount`): proc, dev,
sys and the bind mounts exist only while that command runs and vanish with it, so neither
a failure nor Ctrl+C nor a kill can leave a mount behind on the host. A run (as opposed to
the build) sees the root read-only, so a cached root stays as it was built.
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

DEFAULT_SUITE = "trixie"
DEFAULT_HA_VERSION = "2026.2.3"
# Debian trixie's Python; Home Assistant 2026.2 needs 3.13 (2026.3 and later need 3.14).
DEFAULT_PYTHON = "python3.13"
# Home Assistant's venv inside the root, and where a run's configuration directory appears.
VENV = PurePosixPath("/opt/homeassistant")
CONFIG_DIR = PurePosixPath("/config")
MARKER = VENV / "backstretch-root.json"
# Home Assistant's own pins, taken from its wheel, and where the wheel is fetched to.
CONSTRAINTS = VENV / "package_constraints.txt"
WHEELS = PurePosixPath("/root/wheels")
# The CA bundle the host's pip uses, copied into the root for pip there.
PIP_CA = PurePosixPath("/usr/local/share/backstretch/pip-ca.pem")
# Besides those Home Assistant always sets up: what the tests' configuration.yaml names
# and the config entry adds.
CONFIGURED_INTEGRATIONS = ("http", "api", "logger", "mqtt")
# pip settings that decide where packages come from; anything else (constraints for the
# host's own environment, a target directory) stays on the host.
PIP_SOURCE_KEYS = (
    "index-url",
    "extra-index-url",
    "find-links",
    "no-index",
    "trusted-host",
    "proxy",
    "cert",
    "timeout",
    "default-timeout",
    "retries",
)
_PIP_LOCATION_KEYS = ("index-url", "extra-index-url", "find-links")
_PIP_SECTION_RANK = {"global": 0, "install": 1, ":env:": 2}
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Runs with Home Assistant's Python in the root: the integrations Home Assistant sets up
# with our configuration (the ones it always sets up, the base platforms and ours, closed
# over dependencies and after-dependencies, as its bootstrap gathers requirements) and
# their requirements, as JSON.
_REQUIREMENTS_SCRIPT = """
import json, sys
from pathlib import Path
import homeassistant
from homeassistant import bootstrap, const
components = Path(homeassistant.__file__).parent / "components"
todo = [*bootstrap.CORE_INTEGRATIONS, *bootstrap.DEFAULT_INTEGRATIONS,
        *map(str, const.BASE_PLATFORMS), *sys.argv[1:]]
seen, requirements = set(), set()
while todo:
    domain = todo.pop()
    if domain in seen:
        continue
    seen.add(domain)
    manifest = json.loads((components / domain / "manifest.json").read_text())
    requirements.update(manifest.get("requirements", []))
    todo += manifest.get("dependencies", []) + manifest.get("after_dependencies", [])
print(json.dumps({"integrations": sorted(seen), "requirements": sorted(requirements)}))
"""

# Runs with /bin/sh in a fresh mount namespace: $1 the root, $2 `ro` or `rw`, then
# SOURCE TARGET MODE triples for bind mounts, `--`, and the command (chroot ROOT ...).
_MOUNT_SCRIPT = """
set -eu
root=$1; mode=$2; shift 2
if [ "$mode" = ro ]; then
  mount --bind "$root" "$root"
  mount -o remount,bind,ro "$root"
fi
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount -t sysfs sysfs "$root/sys"
mount -t tmpfs tmpfs "$root/tmp"
while [ "$1" != -- ]; do
  [ -e "$root$2" ] || mkdir -p "$root$2"
  mount --bind "$1" "$root$2"
  if [ "$3" = ro ]; then mount -o remount,bind,ro "$root$2"; fi
  shift 3
done
shift
exec "$@"
"""


class RootError(Exception):
    """Building the root, or running something in it, failed; the message says where."""


class RootUnavailableError(RootError):
    """This machine cannot build or run a root; the tests skip with the message."""


class NotRootError(RootUnavailableError):
    """Not running as root (debootstrap, chroot and mounts need it)."""


class MissingToolError(RootUnavailableError):
    """A tool the root needs (debootstrap, unshare, chroot) is not installed."""


class NoMirrorError(RootUnavailableError):
    """The host's apt sources name no Debian mirror to build from."""


@dataclass(frozen=True, slots=True)
class RootSpec:
    """Which root: the Debian suite, Home Assistant's version and the suite's Python."""

    suite: str = DEFAULT_SUITE
    ha_version: str = DEFAULT_HA_VERSION
    python: str = DEFAULT_PYTHON

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> RootSpec:
        """HA_TEST_SUITE, HA_TEST_VERSION and HA_TEST_PYTHON override the defaults."""
        return cls(
            suite=environ.get("HA_TEST_SUITE") or DEFAULT_SUITE,
            ha_version=environ.get("HA_TEST_VERSION") or DEFAULT_HA_VERSION,
            python=environ.get("HA_TEST_PYTHON") or DEFAULT_PYTHON,
        )

    @property
    def key(self) -> str:
        return f"{self.suite}-ha{self.ha_version}"

    def marker(self) -> dict[str, str]:
        return {"suite": self.suite, "ha_version": self.ha_version, "python": self.python}


@dataclass(frozen=True, slots=True)
class Tools:
    debootstrap: str
    unshare: str
    chroot: str
    setpriv: str | None


@dataclass(frozen=True, slots=True)
class Bind:
    """A host path bind-mounted into the root for one command."""

    source: Path
    target: PurePosixPath
    read_only: bool = True


@dataclass(frozen=True, slots=True)
class HaRoot:
    """A complete root. `command` builds the argv that runs something in it."""

    path: Path
    spec: RootSpec
    tools: Tools

    @property
    def hass(self) -> str:
        return str(VENV / "bin" / "hass")

    @property
    def python(self) -> str:
        return str(VENV / "bin" / "python")

    def command(
        self,
        argv: Sequence[str],
        *,
        binds: Sequence[Bind] = (),
        env: Mapping[str, str] | None = None,
        writable: bool = False,
        die_with_parent: bool = True,
    ) -> list[str]:
        """An argv that runs `argv` in the root, in a mount namespace of its own, with a
        clean environment (`env` added to PATH, HOME and LANG).

        With `die_with_parent` the command is killed if the process that started it dies
        (setpriv's parent-death signal), so not even a killed test run leaves one behind;
        start it from a thread that lives as long as it should (the main thread).
        """
        mounts: list[str] = []
        for bind in binds:
            mounts += [str(bind.source), str(bind.target), "ro" if bind.read_only else "rw"]
        variables = {"PATH": PATH, "HOME": "/root", "LANG": "C.UTF-8", **(env or {})}
        inner = ["/usr/bin/env", "-i", *(f"{k}={v}" for k, v in variables.items()), *argv]
        command = [self.tools.unshare, "--mount", "--propagation", "private", "--"]
        command += ["/bin/sh", "-c", _MOUNT_SCRIPT, "sh", str(self.path)]
        command += ["rw" if writable else "ro", *mounts, "--", self.tools.chroot, str(self.path)]
        command += inner
        if die_with_parent and self.tools.setpriv:
            command = [self.tools.setpriv, "--pdeathsig", "KILL", "--", *command]
        return command


# -- what this machine offers --------------------------------------------------------


def check_prerequisites() -> Tools:
    """The tools a root needs; raises NotRootError or MissingToolError."""
    if os.geteuid() != 0:
        raise NotRootError(
            "the Home Assistant tests need root (debootstrap, chroot and mounts): "
            "run `make test-ha` as root"
        )
    found = {name: _which(name) for name in ("debootstrap", "unshare", "chroot", "setpriv")}
    missing = [name for name in ("debootstrap", "unshare", "chroot") if found[name] is None]
    if missing:
        raise MissingToolError(
            f"{', '.join(missing)} not installed (`make test-ha` installs debootstrap; "
            "unshare and chroot come with util-linux and coreutils)"
        )
    return Tools(
        debootstrap=found["debootstrap"] or "",
        unshare=found["unshare"] or "",
        chroot=found["chroot"] or "",
        setpriv=found["setpriv"],
    )


def _which(name: str) -> str | None:
    # root's PATH usually has the sbin directories, a sudo'd or CI shell may not.
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/bin:/bin")


def default_cache_dir(environ: Mapping[str, str] = os.environ) -> Path:
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "backstretch" / "ha-root"


@dataclass(frozen=True, slots=True)
class AptSource:
    types: tuple[str, ...]
    uris: tuple[str, ...]
    suites: tuple[str, ...]
    components: tuple[str, ...]
    enabled: bool = True


def parse_one_line_sources(text: str) -> list[AptSource]:
    """`deb [options] URI SUITE COMPONENT...` lines (sources.list)."""
    sources = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        kind, _, rest = line.partition(" ")
        rest = rest.strip()
        if rest.startswith("["):
            rest = rest.partition("]")[2].strip()
        words = rest.split()
        if kind not in ("deb", "deb-src") or len(words) < 2:
            continue
        sources.append(AptSource((kind,), (words[0],), (words[1],), tuple(words[2:])))
    return sources


def parse_deb822_sources(text: str) -> list[AptSource]:
    """Paragraphs of `Types:`, `URIs:`, `Suites:`, `Components:` (*.sources files)."""
    sources = []
    for paragraph in _paragraphs(text):
        fields: dict[str, str] = {}
        last = ""
        for line in paragraph:
            if line[:1] in (" ", "\t") and last:
                fields[last] += " " + line.strip()
                continue
            name, _, value = line.partition(":")
            last = name.strip().lower()
            fields[last] = value.strip()
        if "uris" not in fields:
            continue
        sources.append(
            AptSource(
                tuple(fields.get("types", "").split()),
                tuple(fields["uris"].split()),
                tuple(fields.get("suites", "").split()),
                tuple(fields.get("components", "").split()),
                fields.get("enabled", "yes").lower() != "no",
            )
        )
    return sources


def _paragraphs(text: str) -> Iterator[list[str]]:
    paragraph: list[str] = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        if line.strip():
            paragraph.append(line)
        elif paragraph:
            yield paragraph
            paragraph = []
    if paragraph:
        yield paragraph


def host_codename(os_release: Path = Path("/etc/os-release")) -> str | None:
    with contextlib.suppress(OSError):
        for line in os_release.read_text(encoding="utf-8").splitlines():
            name, _, value = line.partition("=")
            if name == "VERSION_CODENAME":
                return value.strip().strip("\"'") or None
    return None


def debian_mirror(sources: Iterable[AptSource], codename: str) -> str | None:
    """The URI of the first enabled binary source for the host's own release: the main
    archive (security and updates suites have other names, third-party ones too)."""
    for source in sources:
        if source.enabled and "deb" in source.types and codename in source.suites:
            return source.uris[0]
    return None


def host_debian_mirror(etc: Path = Path("/etc")) -> str:
    """The Debian mirror the host's apt uses, read from its sources; raises NoMirrorError."""
    codename = host_codename(etc / "os-release")
    sources: list[AptSource] = []
    with contextlib.suppress(OSError):
        sources += parse_one_line_sources((etc / "apt/sources.list").read_text(encoding="utf-8"))
    directory = etc / "apt/sources.list.d"
    for path in sorted(directory.glob("*.list")) if directory.is_dir() else []:
        sources += parse_one_line_sources(path.read_text(encoding="utf-8"))
    for path in sorted(directory.glob("*.sources")) if directory.is_dir() else []:
        sources += parse_deb822_sources(path.read_text(encoding="utf-8"))
    mirror = debian_mirror(sources, codename) if codename else None
    if mirror is None:
        raise NoMirrorError(
            f"no Debian mirror for '{codename or 'this release'}' in the host's apt sources "
            f"({etc}/apt/sources.list, {etc}/apt/sources.list.d/)"
        )
    return mirror


@dataclass(frozen=True, slots=True)
class PipSettings:
    """Where the host's pip finds packages, as environment variables for pip in the root.

    Local directories the settings name (a `file://` index, a find-links folder) are
    bind-mounted read-only at the same path; the host's CA bundle is copied in.
    """

    env: dict[str, str] = field(default_factory=dict)
    local_dirs: tuple[Path, ...] = ()
    cert: Path | None = None

    def describe(self) -> str:
        """The settings' names only: a value may hold a password."""
        names = sorted(key.removeprefix("PIP_").lower().replace("_", "-") for key in self.env)
        return ", ".join(names) or "pip's defaults"


def parse_pip_config_list(text: str) -> dict[str, str]:
    """`pip config list` output (`section.key='value'`), the winning value for each key:
    environment over the install section over the global one."""
    ranked: dict[str, tuple[int, str]] = {}
    for line in text.splitlines():
        name, sep, raw = line.partition("=")
        section, dot, key = name.rpartition(".")
        if not sep or not dot or section not in _PIP_SECTION_RANK:
            continue
        try:
            value = ast.literal_eval(raw.strip())
        except (ValueError, SyntaxError):
            value = raw.strip()
        rank = _PIP_SECTION_RANK[section]
        if key not in ranked or rank >= ranked[key][0]:
            ranked[key] = (rank, str(value))
    return {key: value for key, (_, value) in ranked.items()}


def pip_settings_from(config: Mapping[str, str]) -> PipSettings:
    env: dict[str, str] = {}
    local: list[Path] = []
    cert: Path | None = None
    for key in PIP_SOURCE_KEYS:
        value = config.get(key)
        if value is None:
            continue
        if key == "cert":
            if Path(value).is_file():
                cert = Path(value)
                env["PIP_CERT"] = str(PIP_CA)
            continue
        if key in _PIP_LOCATION_KEYS:
            kept = []
            for item in value.split():
                path = _local_path(item)
                if path is None:
                    kept.append(item)
                elif path.exists():
                    kept.append(item)
                    local.append(_local_tree(key, path))
            if not kept:
                continue
            value = " ".join(kept)
        env["PIP_" + key.upper().replace("-", "_")] = value
    return PipSettings(env, tuple(dict.fromkeys(local)), cert)


def _local_tree(key: str, path: Path) -> Path:
    """The directory to bind for a local location. A PEP 503 index is by convention the
    `simple/` folder of a repository whose files lie beside it (its pages link to them)."""
    if key != "find-links" and path.name == "simple":
        return path.parent
    return path if path.is_dir() else path.parent


def _local_path(location: str) -> Path | None:
    parts = urlsplit(location)
    if parts.scheme == "file":
        return Path(parts.path)
    if not parts.scheme:
        return Path(location)
    return None


def host_pip_settings(python: str = sys.executable) -> PipSettings:
    """The package sources of the host's pip: its config files and PIP_* variables, as
    `pip config list` reports them."""
    listed = subprocess.run(
        [python, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return pip_settings_from(parse_pip_config_list(listed.stdout))


# -- building --------------------------------------------------------------------------


def ensure_root(
    spec: RootSpec,
    *,
    cache: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> HaRoot:
    """The cached root for `spec`, built first if there is none. Raises RootError."""
    tools = check_prerequisites()
    cache = cache or default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    final = cache / spec.key
    with _build_lock(cache / f".{spec.key}.lock", progress):
        if _is_complete(final, spec):
            progress(f"using the cached Home Assistant root {final}")
            return HaRoot(final, spec, tools)
        for stale in (final, *cache.glob(f".build-{spec.key}-*")):
            if stale.exists():
                # An older layout or an interrupted build; nobody else builds (we hold the lock).
                _remove_tree(stale)
        mirror = host_debian_mirror()
        pip = host_pip_settings()
        log = cache / f"{spec.key}.build.log"
        building = Path(tempfile.mkdtemp(prefix=f".build-{spec.key}-", dir=cache))
        started = time.monotonic()
        try:
            _Builder(tools, spec, building, mirror, pip, log, progress).build()
            building.rename(final)
        finally:
            if building.exists():
                _remove_tree(building)
        progress(f"built {final} in {time.monotonic() - started:.0f} s")
    return HaRoot(final, spec, tools)


def _is_complete(path: Path, spec: RootSpec) -> bool:
    marker = path / MARKER.relative_to("/")
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(recorded, dict) and all(
        recorded.get(key) == value for key, value in spec.marker().items()
    )


@contextlib.contextmanager
def _build_lock(path: Path, progress: Callable[[str], None]) -> Iterator[None]:
    """One builder per root at a time; the others wait and then use what it built."""
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress("another process is building this root; waiting for it")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _member(directory: Path, name: str) -> bytes:
    """One file from the only wheel in `directory`."""
    wheels = list(directory.glob("*.whl"))
    if len(wheels) != 1:
        raise RootError(f"expected one wheel in {directory}, found {len(wheels)}")
    try:
        with zipfile.ZipFile(wheels[0]) as wheel:
            return wheel.read(name)
    except (KeyError, zipfile.BadZipFile) as exc:
        raise RootError(f"{wheels[0].name}: no {name} ({exc})") from None


def _remove_tree(path: Path) -> None:
    """rm -r, refusing a tree with a mount inside it (the host's /dev, bound into it)."""
    inside = str(path.resolve()) + "/"
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text(encoding="utf-8").splitlines():
            mount_point = line.split()[4].replace("\\040", " ")
            if (mount_point + "/").startswith(inside):
                raise RootError(f"{mount_point} is mounted inside {path}; not removing it")
    shutil.rmtree(path)


@dataclass
class _Builder:
    tools: Tools
    spec: RootSpec
    path: Path
    mirror: str
    pip: PipSettings
    log: Path
    progress: Callable[[str], None]

    def build(self) -> None:
        self.log.write_text("", encoding="utf-8")
        self.progress(
            f"building a Debian {self.spec.suite} root with Home Assistant "
            f"{self.spec.ha_version} (a few minutes, once; log: {self.log})"
        )
        packages = f"{self.spec.python}-venv,{self.spec.python}-dev,gcc,g++,libc6-dev"
        # Its own namespace too: debootstrap mounts proc and sys in the target, and a
        # failed run would leave them there.
        namespace = [self.tools.unshare, "--mount", "--propagation", "private", "--"]
        debootstrap = [self.tools.debootstrap, "--variant=minbase"]
        debootstrap += [f"--include={packages},ca-certificates", self.spec.suite]
        self._run(
            "debootstrap",
            [*self._die_with_parent(), *namespace, *debootstrap, str(self.path), self.mirror],
        )
        self._trust_host_certificates()
        self._run_in_root("update-ca-certificates", ["update-ca-certificates"])
        self._run_in_root("venv", [self.spec.python, "-m", "venv", str(VENV)])
        self.progress(f"installing Home Assistant {self.spec.ha_version} ({self.pip.describe()})")
        # Home Assistant pins what it was tested with in package_constraints.txt, inside
        # its wheel: fetch the wheel first, so that it installs against them too.
        wheels = self.path / WHEELS.relative_to("/")
        self._pip("download", "--no-deps", "--only-binary=:all:", "--dest", str(WHEELS), self._ha)
        constraints = self.path / CONSTRAINTS.relative_to("/")
        constraints.write_bytes(_member(wheels, "homeassistant/package_constraints.txt"))
        self._pip("install", "-c", str(CONSTRAINTS), self._ha)
        found = json.loads(
            self._run_in_root(
                "finding requirements",
                [str(VENV / "bin/python"), "-c", _REQUIREMENTS_SCRIPT, *CONFIGURED_INTEGRATIONS],
                capture=True,
            )
        )
        requirements: list[str] = found["requirements"]
        self.progress(
            f"installing {len(requirements)} requirements of "
            f"{len(found['integrations'])} integrations"
        )
        self._pip("install", "-c", str(CONSTRAINTS), *requirements)
        (self.path / CONFIG_DIR.relative_to("/")).mkdir(exist_ok=True)
        shutil.rmtree(wheels)
        shutil.rmtree(self.path / "root/.cache", ignore_errors=True)
        marker = {**self.spec.marker(), **found, "built": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        (self.path / MARKER.relative_to("/")).write_text(
            json.dumps(marker, indent=2) + "\n", encoding="utf-8"
        )

    def _trust_host_certificates(self) -> None:
        """The host's own CAs (a proxy's, a company's) go into the root's store, and the
        bundle the host's pip uses beside it, so pip in the root reaches the same index."""
        local = Path("/usr/local/share/ca-certificates")
        target = self.path / "usr/local/share/ca-certificates"
        if local.is_dir():
            shutil.copytree(local, target, dirs_exist_ok=True)
        if self.pip.cert is not None:
            bundle = self.path / PIP_CA.relative_to("/")
            bundle.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.pip.cert, bundle)
        # pip resolves the index's host with the host's resolver (same network).
        resolv = self.path / "etc/resolv.conf"
        resolv.unlink(missing_ok=True)
        shutil.copyfile("/etc/resolv.conf", resolv)

    def _die_with_parent(self) -> list[str]:
        return [self.tools.setpriv, "--pdeathsig", "KILL", "--"] if self.tools.setpriv else []

    @property
    def _ha(self) -> str:
        return f"homeassistant=={self.spec.ha_version}"

    def _pip(self, command: str, *arguments: str) -> None:
        binds = [Bind(path, PurePosixPath(path)) for path in self.pip.local_dirs]
        self._run_in_root(
            f"pip {command}",
            [str(VENV / "bin/python"), "-m", "pip", command, "--no-input", *arguments],
            env={**self.pip.env, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
            binds=binds,
        )

    def _run_in_root(
        self,
        step: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        binds: Sequence[Bind] = (),
        capture: bool = False,
    ) -> str:
        root = HaRoot(self.path, self.spec, self.tools)
        return self._run(
            step, root.command(argv, env=env, binds=binds, writable=True), capture=capture
        )

    def _run(self, step: str, command: Sequence[str], *, capture: bool = False) -> str:
        """Run one step, its output appended to the build log (stdout returned instead
        with `capture`)."""
        started = time.monotonic()
        with self.log.open("a", encoding="utf-8") as log:
            log.write(f"\n### {step}\n")
            log.flush()
            done = subprocess.run(
                command,
                stdout=subprocess.PIPE if capture else log,
                stderr=log,
                text=True,
                check=False,
            )
            log.write(f"### {step}: exit {done.returncode}, {time.monotonic() - started:.1f} s\n")
        if done.returncode != 0:
            tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-15:])
            raise RootError(
                f"building the Home Assistant root: {step} failed (exit {done.returncode}); "
                f"the end of {self.log}:\n{tail}"
            )
        return done.stdout or ""
