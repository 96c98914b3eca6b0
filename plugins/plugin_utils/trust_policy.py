# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The trust policy: one workload on one host -> isolation, user and reasons, or a refusal.

Pure and deterministic: no I/O, no clock, no randomness. Every rule, its id
and its source are listed in docs/trust-model.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import inputs
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.windows_versions import (
    HYPERV,
    IMAGE_NEWER_THAN_HOST,
    PROCESS,
    Compatibility,
    VersionFormatError,
    WindowsVersion,
    check_compatibility,
)

TRUSTED = "trusted"
UNTRUSTED = "untrusted"
HOSTILE = "hostile"
TRUST_LEVELS = (TRUSTED, UNTRUSTED, HOSTILE)

AUTO = "auto"
ISOLATION_REQUESTS = (AUTO, PROCESS, HYPERV)
ISOLATION_PREFERENCES = (PROCESS, HYPERV)

DEFAULT_USER = "ContainerUser"

# Policy host key -> inventory variable (the one place for this mapping).
INVENTORY_VARIABLES: dict[str, str] = {
    "trust_boundary": "wincontainers_trust_boundary",
    "isolation_preference": "wincontainers_isolation_preference",
    "allow_isolation_downgrade": "wincontainers_allow_isolation_downgrade",
    "allow_container_admin": "wincontainers_allow_container_admin",
}

HYPERV_HINT = (
    "make Hyper-V available: install the Hyper-V role (Install-WindowsFeature -Name Hyper-V"
    " -IncludeManagementTools, then restart); if the host is a VM, first expose the"
    " virtualization extensions from its parent while the VM is off"
    " (Set-VMProcessor -VMName <vm> -ExposeVirtualizationExtensions $true)"
)

# Refusal rule ids (PolicyError.rule).
RULE_BAD_FIELD = "bad-field"
RULE_TRUST_REQUIRES_HYPERV = "trust-requires-hyperv"
RULE_IMAGE_TOO_NEW = "image-too-new"
RULE_PROCESS_INCOMPATIBLE = "process-incompatible"
RULE_HYPERV_INCOMPATIBLE = "hyperv-incompatible"
RULE_HYPERV_UNAVAILABLE = "hyperv-unavailable"
RULE_ADMIN_USER = "admin-user"

# Rule ids a Decision can list (Decision.rules).
RULE_SAME_TRUST = "same-trust-boundary"
RULE_EXPLICIT_ISOLATION = "explicit-isolation"
RULE_DOWNGRADE_ALLOWED = "isolation-downgrade-allowed"
RULE_HOST_PREFERENCE = "host-preference"
RULE_COMPAT_REQUIRES_HYPERV = "compatibility-requires-hyperv"
RULE_REVISION_PREFERS_HYPERV = "revision-prefers-hyperv"
RULE_REVISION_RISK_ACCEPTED = "newer-image-revision-under-process"
RULE_IMAGE_COMPATIBLE = "image-compatible"
RULE_IMAGE_VERSION_UNKNOWN = "image-version-unknown"
RULE_NON_ADMIN_USER = "non-admin-user"
RULE_ADMIN_USER_ALLOWED = "admin-user-allowed"

COMPATIBILITY_UNKNOWN = "unknown-image-version"

# https://github.com/moby/moby/blob/master/daemon/names/names.go (RestrictedNameChars)
# applied by daemon/names.go after trimming one leading "/".
_CONTAINER_NAME_RE = re.compile(r"/?[a-zA-Z0-9][a-zA-Z0-9_.-]+")

# github.com/distribution/reference regexp.go, as vendored in moby (Go's \\w is ASCII).
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_REMOTE_NAME = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_HOST = rf"(?:{_DOMAIN_NAME}|\[(?:[a-fA-F0-9:]+)\])"
_DOMAIN_AND_PORT = rf"{_HOST}(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN_AND_PORT}/)?{_REMOTE_NAME}"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"
_REFERENCE_RE = re.compile(rf"({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?", re.ASCII)
_ANCHORED_NAME_RE = re.compile(rf"(?:({_DOMAIN_AND_PORT})/)?({_REMOTE_NAME})", re.ASCII)
_IDENTIFIER_RE = re.compile(r"[a-f0-9]{64}")
_DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
_REPOSITORY_NAME_MAX_LENGTH = 255
# Not docker's: a bound so a hostile string cannot make the regex work hard. Docker's
# limits (255-character path, 253-character DNS name, 128-character tag, sha512 digest)
# stay below it.
_REFERENCE_MAX_LENGTH = 1024

# Administrator accounts and groups, by name (compared on a look-alike skeleton, see
# _skeleton). ContainerAdministrator is the container's built-in admin (virtual account
# "User Manager\\ContainerAdministrator").
_ADMIN_ACCOUNTS = frozenset(
    {
        "containeradministrator",
        "administrator",
        "administrators",
        "domain admins",
        "enterprise admins",
        "schema admins",
        "system",
        "localsystem",
        "trustedinstaller",
    }
)
# Well-known SIDs of administrators (Microsoft's "Well-known SIDs"): LocalSystem, BUILTIN\\
# Administrators, ContainerAdministrator (S-1-5-93-2-1, as Microsoft/hcsshim and go-winio name
# it), TrustedInstaller's service SID.
_ADMIN_SIDS = frozenset(
    {
        "s-1-5-18",
        "s-1-5-32-544",
        "s-1-5-93-2-1",
        "s-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464",
    }
)
# Domain or machine accounts by RID: Administrator (500), Domain Admins (512), Schema Admins
# (518), Enterprise Admins (519).
_ADMIN_SID_RE = re.compile(r"s-1-5-21-[0-9]+-[0-9]+-[0-9]+-(?:500|512|518|519)")
_SID_RE = re.compile(r"s-1(?:-[0-9]+)+", re.IGNORECASE)
# Characters a Windows account name cannot hold (Microsoft, USER_INFO_0 remarks and
# sAMAccountName): " / \\ [ ] : ; | = , + * ? < > and the control characters 1-31.
_ACCOUNT_FORBIDDEN = frozenset('"/\\[]:;|=,+*?<>')
_ACCOUNT_MAX_LENGTH = 256
# Letters of other scripts drawn like Latin ones (Unicode's confusables, the ones an
# administrator name can be spelt with); NFKD handles full-width forms and ligatures.
_CONFUSABLES = str.maketrans(
    {
        "\u0131": "i",  # dotless i
        "\u017f": "s",  # long s
        "\u0430": "a",
        "\u0435": "e",
        "\u043e": "o",
        "\u0440": "p",
        "\u0441": "c",
        "\u0445": "x",
        "\u0456": "i",
        "\u0458": "j",
        "\u0455": "s",
        "\u0443": "y",
        "\u04bb": "h",
        "\u04cf": "l",
        "\u0501": "d",
        "\u03b1": "a",
        "\u03bf": "o",
        "\u03b9": "i",
        "\u03bd": "v",
        "\u03c4": "t",
        "\u0391": "a",
        "\u0392": "b",
        "\u0395": "e",
        "\u0397": "h",
        "\u0399": "i",
        "\u039a": "k",
        "\u039c": "m",
        "\u039d": "n",
        "\u039f": "o",
        "\u03a1": "p",
        "\u03a4": "t",
        "\u03a7": "x",
        "\u0410": "a",
        "\u0412": "b",
        "\u0415": "e",
        "\u041a": "k",
        "\u041c": "m",
        "\u041d": "h",
        "\u041e": "o",
        "\u0420": "p",
        "\u0421": "c",
        "\u0422": "t",
        "\u0425": "x",
        "\u0406": "i",
    }
)


class PolicyError(Exception):
    """A refusal: the workload must not run on this host as asked.

    ``host`` is the host's name (None when not given); ``workload`` the
    workload's name, or ``(unnamed, image '<ref>')`` without one. ``rule`` is
    a short id (``bad-field``, ``trust-requires-hyperv``, ``image-too-new``,
    ``process-incompatible``, ``hyperv-incompatible``, ``hyperv-unavailable``,
    ``admin-user``); ``field`` names the offending input (``workload.<key>``
    or ``host.<key>``) for ``bad-field``, else None.
    """

    def __init__(
        self,
        detail: str,
        *,
        host: str | None,
        workload: str,
        rule: str,
        field: str | None = None,
    ) -> None:
        self.detail = detail
        self.host = host
        self.workload = workload
        self.rule = rule
        self.field = field
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = f"host {_short(self.host)}, " if self.host else ""
        # Docker names never start with "(", so an unnamed label cannot pass for a name.
        what = self.workload if self.workload.startswith("(") else _short(self.workload)
        return f"{where}workload {what}: refused by rule '{self.rule}': {self.detail}"


@dataclass(frozen=True)
class Decision:
    """What the policy decided for one workload on one host."""

    isolation: str
    user: str
    reasons: tuple[str, ...]
    rules: tuple[str, ...]
    hyperv_required: bool
    downgraded: bool
    compatibility: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "isolation": self.isolation,
            "user": self.user,
            "reasons": list(self.reasons),
            "rules": list(self.rules),
            "hyperv_required": self.hyperv_required,
            "downgraded": self.downgraded,
            "compatibility": self.compatibility,
        }


# --- helpers other modules reuse -------------------------------------------------------

# What a plan shows for an isolation only the image's OS version decides (check mode, before
# the pull): "undecided" in data, this text for people.
UNDECIDED = "undecided"
UNDECIDED_TEXT = "process or Hyper-V, decided after the pull: image version unknown"


def isolation_undecided(decision: Decision) -> bool:
    """Whether ``decision`` chose process isolation only because the image's OS version was
    unknown: once it is known, an image process isolation cannot run, or one whose revision
    differs (Hyper-V available), gets Hyper-V (the host-preference path of _choose_isolation)."""
    return (
        decision.isolation == PROCESS
        and RULE_IMAGE_VERSION_UNKNOWN in decision.rules
        and RULE_HOST_PREFERENCE in decision.rules
    )


def _skeleton(text: str) -> str:
    """A comparison form: compatibility-decomposed, marks and invisible characters dropped,
    look-alike letters mapped to Latin, case folded."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(
        ch for ch in decomposed if unicodedata.category(ch) not in ("Mn", "Me", "Cf", "Cc")
    )
    return kept.translate(_CONFUSABLES).casefold().translate(_CONFUSABLES)


def is_admin_user(name: str) -> bool:
    """True for an administrator account or group, whatever its case, domain or spelling.

    ``ContainerAdministrator``, ``Administrator``, ``Administrators`` (also
    ``BUILTIN\\Administrators``), ``Domain Admins``, ``Enterprise Admins``, ``Schema Admins``,
    ``NT AUTHORITY\\SYSTEM``, ``LocalSystem``, ``TrustedInstaller``, their SIDs (S-1-5-18,
    S-1-5-32-544, S-1-5-93-2-1, RID 500/512/518/519), with or without ``.\\``,
    ``DOMAIN\\`` or ``User Manager\\`` before them or an ``@domain`` suffix, and spelt with
    look-alike letters (dotless i, Cyrillic or Greek letters, full-width forms).
    """
    if not isinstance(name, str):
        raise TypeError(f"user name must be a string, got {type(name).__name__}")
    account = _skeleton(name).strip().rsplit("\\", 1)[-1].split("@", 1)[0].strip()
    return (
        account in _ADMIN_ACCOUNTS
        or account in _ADMIN_SIDS
        or _ADMIN_SID_RE.fullmatch(account) is not None
    )


def account_name_problem(name: str) -> str | None:
    """Why Windows could not hold ``name`` as an account (``[DOMAIN\\]account``, ``account@domain``
    or a SID), or None. Invisible (format) characters are refused as well: they make one
    account look like another."""
    if len(name) > _ACCOUNT_MAX_LENGTH:
        return f"is longer than {_ACCOUNT_MAX_LENGTH} characters"
    for ch in name:
        category = unicodedata.category(ch)
        if category == "Cc":
            return "holds a control character"
        if category == "Cf" or (category.startswith("Z") and ch != " "):
            return (
                f"holds an invisible character (U+{ord(ch):04X}), which makes one account"
                " name look like another"
            )
    if _SID_RE.fullmatch(name.strip()):
        return None
    domain, _sep, account = name.rpartition("\\")
    account = account.split("@", 1)[0]
    if not account.strip():
        return "names no account"
    bad = sorted({ch for ch in account if ch in _ACCOUNT_FORBIDDEN})
    if bad or any(ch in _ACCOUNT_FORBIDDEN - {"\\"} for ch in domain):
        shown = " ".join(bad) if bad else "a character"
        return (
            f"holds {shown}, which Windows account names cannot contain"
            ' (" / \\ [ ] : ; | = , + * ? < >)'
        )
    if account.endswith("."):
        return "ends with a period, which Windows account names cannot"
    return None


def validate_container_name(name: object) -> None:
    """Raise ValueError when docker would refuse ``name`` as a container name."""
    if not isinstance(name, str):
        raise ValueError(f"container name must be a string, got {type(name).__name__}")
    if _CONTAINER_NAME_RE.fullmatch(name) is None:
        raise ValueError(
            f"invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
            " (docker's rule: at least two characters, starting with a letter or digit)"
        )


def validate_image_reference(ref: object) -> None:
    """Raise ValueError when docker would refuse ``ref`` as an image to pull.

    A port of github.com/distribution/reference (``ParseNormalizedNamed``:
    ``splitDockerDomain``, ``ReferenceRegexp``, the 255-character path limit)
    and go-digest's ``Validate``, as vendored in moby. The error texts are
    docker's.
    """
    if not isinstance(ref, str):
        raise ValueError(f"an image reference must be a string, got {type(ref).__name__}")
    if not ref:
        raise ValueError("repository name must have at least one component")
    if len(ref) > _REFERENCE_MAX_LENGTH:
        raise ValueError(
            f"invalid reference format: longer than {_REFERENCE_MAX_LENGTH} characters"
        )
    if _IDENTIFIER_RE.fullmatch(ref):
        raise ValueError(
            f"invalid repository name ({ref}), cannot specify 64-byte hexadecimal strings"
        )
    domain, remainder = split_docker_domain(ref)
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        raise ValueError(f"invalid reference format: repository name ({remote}) must be lowercase")
    match = _REFERENCE_RE.fullmatch(f"{domain}/{remainder}")
    if match is None:
        raise ValueError("invalid reference format")
    name, _tag, digest = match.groups()
    name_match = _ANCHORED_NAME_RE.fullmatch(name)
    path = name_match.group(2) if name_match else name
    if len(path) > _REPOSITORY_NAME_MAX_LENGTH:
        raise ValueError(
            f"repository name must not be more than {_REPOSITORY_NAME_MAX_LENGTH} characters"
        )
    if digest:
        algorithm, encoded = digest.split(":", 1)
        size = _DIGEST_HEX_LENGTHS.get(algorithm)
        if size is None:
            raise ValueError("unsupported digest algorithm")
        if len(encoded) != size:
            raise ValueError("invalid checksum digest length")
        if re.fullmatch(r"[a-f0-9]+", encoded) is None:
            raise ValueError("invalid checksum digest format")


def split_docker_domain(name: str) -> tuple[str, str]:
    """``(domain, remote)`` as docker reads a reference: ``nginx`` -> ``docker.io``,
    ``library/nginx`` (distribution/reference ``splitDockerDomain``)."""
    maybe_domain, sep, maybe_remote = name.partition("/")
    if not sep:
        return "docker.io", f"library/{name}"
    if (
        maybe_domain == "localhost"
        or any(c in maybe_domain for c in ".:")
        or maybe_domain.lower() != maybe_domain
    ):
        domain, remote = maybe_domain, maybe_remote
    else:
        domain, remote = "docker.io", name
    if domain == "index.docker.io":  # legacyDefaultDomain
        domain = "docker.io"
    if domain == "docker.io" and "/" not in remote:
        remote = f"library/{remote}"
    return domain, remote


def host_from_inventory(
    hostvars: Mapping[str, Any],
    os_version: str,
    hyperv_available: bool,
    name: str | None = None,
) -> dict[str, Any]:
    """Map the ``wincontainers_*`` inventory variables onto the policy's host dict.

    Only variables that are set are copied, so ``decide()`` applies its
    defaults (and refuses a missing trust boundary) in one place.
    """
    host: dict[str, Any] = {
        "os_version": os_version,
        "hyperv_available": hyperv_available,
    }
    resolved_name = name if name is not None else hostvars.get("inventory_hostname")
    if resolved_name is not None:
        host["name"] = resolved_name
    for key, variable in INVENTORY_VARIABLES.items():
        if variable in hostvars:
            host[key] = hostvars[variable]
    return host


# --- validated inputs ---------------------------------------------------------------


@dataclass(frozen=True)
class _Host:
    name: str | None
    trust_boundary: str
    version: WindowsVersion
    hyperv_available: bool
    isolation_preference: str
    allow_isolation_downgrade: bool
    allow_container_admin: bool


@dataclass(frozen=True)
class _Workload:
    label: str
    image: str
    trust_boundary: str
    trust_level: str
    isolation: str
    user: str
    image_version: WindowsVersion | None


class _Refuser:
    """Builds PolicyErrors that name the host and the workload."""

    def __init__(self, host_name: str | None, workload_label: str) -> None:
        self.host_name = host_name
        self.workload_label = workload_label

    def refuse(self, rule: str, detail: str, field: str | None = None) -> PolicyError:
        return PolicyError(
            detail, host=self.host_name, workload=self.workload_label, rule=rule, field=field
        )

    def bad(self, field: str, detail: str) -> PolicyError:
        return self.refuse(RULE_BAD_FIELD, f"field '{field}' {detail}", field=field)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _workload_label(workload: object) -> str:
    if isinstance(workload, Mapping):
        name = workload.get("name")
        if isinstance(name, str) and name and not name.startswith("("):
            return name
        image = workload.get("image")
        if isinstance(image, str) and image:
            return f"(unnamed, image {_short(image)})"
    return "(unnamed)"


def _host_name(host: object) -> str | None:
    if isinstance(host, Mapping):
        name = host.get("name")
        if isinstance(name, str) and name:
            return name
    return None


def _optional(mapping: Mapping[str, Any], key: str, default: Any) -> Any:
    value = mapping.get(key)
    return default if value is None else value


def _flag(refuser: _Refuser, host: Mapping[str, Any], key: str) -> bool:
    """Ansible's boolean conversion (inputs.to_bool): surveys and INI inventories send text."""
    variable = INVENTORY_VARIABLES.get(key, f"host.{key}")
    try:
        return inputs.optional_bool(host.get(key), variable, False)
    except inputs.InputTypeError as exc:
        raise refuser.bad(f"host.{key}", f"({exc})") from None


def _inventory_note(key: str) -> str:
    variable = INVENTORY_VARIABLES.get(key)
    return f"(inventory variable {variable}) " if variable else ""


def _boundary(refuser: _Refuser, value: object, field: str, note: str = "") -> str:
    if not isinstance(value, str) or not value.strip():
        got = "an empty string" if isinstance(value, str) else inputs.describe(value)
        raise refuser.bad(
            field, f"{note}must be a non-empty string naming a trust boundary, got {got}"
        )
    return value


def _choice(
    refuser: _Refuser, value: object, field: str, choices: tuple[str, ...], note: str = ""
) -> str:
    if not isinstance(value, str) or value not in choices:
        # The value is not quoted: input that cannot be read may hold a secret.
        raise refuser.bad(
            field, f"{note}must be one of {', '.join(choices)}, got {inputs.describe(value)}"
        )
    return value


def _validate_host(refuser: _Refuser, host: object) -> _Host:
    if not isinstance(host, Mapping):
        raise refuser.bad("host", f"must be a mapping, got {type(host).__name__}")
    name = host.get("name")
    if name is not None and (not isinstance(name, str) or not name):
        raise refuser.bad("host.name", f"must be a non-empty string, got {_short(name)}")
    if host.get("trust_boundary") is None:
        raise refuser.bad(
            "host.trust_boundary",
            f"{_inventory_note('trust_boundary')}is required: name the organisation or tenant"
            " that owns the host and its kernel",
        )
    boundary = _boundary(
        refuser, host["trust_boundary"], "host.trust_boundary", _inventory_note("trust_boundary")
    )
    if host.get("os_version") is None:
        raise refuser.bad("host.os_version", "is required ('10.0.BUILD.REVISION')")
    try:
        version = WindowsVersion.parse(host["os_version"])
    except VersionFormatError as exc:
        raise refuser.bad("host.os_version", f"is malformed: {exc}") from None
    hyperv_available = _flag(refuser, host, "hyperv_available")
    preference = _choice(
        refuser,
        _optional(host, "isolation_preference", PROCESS),
        "host.isolation_preference",
        ISOLATION_PREFERENCES,
        _inventory_note("isolation_preference"),
    )
    return _Host(
        name=name,
        trust_boundary=boundary,
        version=version,
        hyperv_available=hyperv_available,
        isolation_preference=preference,
        allow_isolation_downgrade=_flag(refuser, host, "allow_isolation_downgrade"),
        allow_container_admin=_flag(refuser, host, "allow_container_admin"),
    )


def _validate_workload(refuser: _Refuser, workload: object, host: _Host) -> _Workload:
    if not isinstance(workload, Mapping):
        raise refuser.bad("workload", f"must be a mapping, got {type(workload).__name__}")
    name = workload.get("name")
    if name is not None:
        try:
            validate_container_name(name)
        except ValueError as exc:
            raise refuser.bad("workload.name", f"is not a valid container name: {exc}") from None
    image = workload.get("image")
    if image is None:
        raise refuser.bad("workload.image", "is required (the image reference to run)")
    try:
        validate_image_reference(image)
    except ValueError as exc:
        raise refuser.bad("workload.image", f"is not a valid image reference: {exc}") from None
    boundary_value = workload.get("trust_boundary")
    boundary = (
        host.trust_boundary
        if boundary_value is None
        else _boundary(refuser, boundary_value, "workload.trust_boundary")
    )
    trust_level = _choice(
        refuser, _optional(workload, "trust_level", TRUSTED), "workload.trust_level", TRUST_LEVELS
    )
    isolation = _choice(
        refuser, _optional(workload, "isolation", AUTO), "workload.isolation", ISOLATION_REQUESTS
    )
    user = _optional(workload, "user", DEFAULT_USER)
    if not isinstance(user, str) or not user.strip():
        raise refuser.bad(
            "workload.user", f"must be a non-empty account name, got {inputs.describe(user)}"
        )
    problem = account_name_problem(user)
    if problem is not None:
        raise refuser.bad("workload.user", f"is not a Windows account name: it {problem}")
    image_version = None
    if workload.get("image_os_version") is not None:
        try:
            image_version = WindowsVersion.parse(workload["image_os_version"])
        except VersionFormatError as exc:
            raise refuser.bad("workload.image_os_version", f"is malformed: {exc}") from None
    return _Workload(
        label=refuser.workload_label,
        image=image,
        trust_boundary=boundary,
        trust_level=trust_level,
        isolation=isolation,
        user=user,
        image_version=image_version,
    )


# --- the decision ---------------------------------------------------------------------


class _Trail:
    """Reasons and rule ids, in the order the rules applied."""

    def __init__(self) -> None:
        self.reasons: list[str] = []
        self.rules: list[str] = []

    def add(self, rule: str, text: str) -> None:
        self.reasons.append(f"[{rule}] {text}")
        if rule not in self.rules:
            self.rules.append(rule)


def _trust_reasons(trail: _Trail, wl: _Workload, host: _Host) -> bool:
    """Rule 1. Return True when trust demands a separate kernel (Hyper-V)."""
    cross_boundary = wl.trust_boundary != host.trust_boundary
    untrusted = wl.trust_level in (UNTRUSTED, HOSTILE)
    if cross_boundary:
        trail.add(
            RULE_TRUST_REQUIRES_HYPERV,
            f"workload trust boundary {wl.trust_boundary!r} differs from the host's"
            f" {host.trust_boundary!r}: a different trust boundary must not share the host"
            " kernel, so Hyper-V isolation is required",
        )
    if untrusted:
        trail.add(
            RULE_TRUST_REQUIRES_HYPERV,
            f"trust_level {wl.trust_level!r}: only hypervisor-isolated containers provide a"
            " security boundary, so Hyper-V isolation is required",
        )
    if not (cross_boundary or untrusted):
        trail.add(
            RULE_SAME_TRUST,
            f"trusted workload inside the host's trust boundary {host.trust_boundary!r}:"
            " process isolation is acceptable",
        )
    return cross_boundary or untrusted


def _choose_isolation(
    refuser: _Refuser,
    trail: _Trail,
    wl: _Workload,
    host: _Host,
    *,
    hyperv_required: bool,
    process_compat: Compatibility | None,
) -> tuple[str, bool]:
    """Rules 2 and 3. Return (isolation, downgraded)."""
    if wl.isolation == HYPERV:
        trail.add(RULE_EXPLICIT_ISOLATION, "the workload asks for Hyper-V isolation")
        return HYPERV, False

    if wl.isolation == PROCESS:
        trail.add(RULE_EXPLICIT_ISOLATION, "the workload asks for process isolation")
        if not hyperv_required:
            return PROCESS, False
        if wl.trust_level == HOSTILE:
            raise refuser.refuse(
                RULE_TRUST_REQUIRES_HYPERV,
                "isolation 'process' asked for a hostile workload; hostile workloads always run"
                " under Hyper-V isolation and are never downgraded"
                " (remove 'isolation: process' or use 'auto' or 'hyperv')",
            )
        if not host.allow_isolation_downgrade:
            raise refuser.refuse(
                RULE_TRUST_REQUIRES_HYPERV,
                f"isolation 'process' asked, but trust requires Hyper-V isolation"
                f" (trust_level {wl.trust_level!r}, trust boundary {wl.trust_boundary!r},"
                f" host's {host.trust_boundary!r}); use 'auto' or 'hyperv', or set"
                " wincontainers_allow_isolation_downgrade: true on the host to accept the risk",
            )
        trail.add(
            RULE_DOWNGRADE_ALLOWED,
            "WARNING: ISOLATION DOWNGRADED: trust requires Hyper-V isolation but the host allows"
            " downgrades (wincontainers_allow_isolation_downgrade) and the workload asks for"
            " process isolation; it shares the host kernel, which is NOT a security boundary",
        )
        return PROCESS, True

    if hyperv_required:
        trail.add(RULE_TRUST_REQUIRES_HYPERV, "isolation 'auto': Hyper-V, as trust requires")
        return HYPERV, False
    preference = host.isolation_preference
    trail.add(
        RULE_HOST_PREFERENCE,
        f"isolation 'auto': trust allows either, so the host's preference {preference!r} applies",
    )
    if preference == HYPERV or process_compat is None:
        return preference, False
    if not process_compat.can_run:
        trail.add(
            RULE_COMPAT_REQUIRES_HYPERV,
            f"process isolation cannot run this image ({process_compat.reason}): Hyper-V instead",
        )
        return HYPERV, False
    if process_compat.prefer_hyperv:
        if host.hyperv_available:
            trail.add(
                RULE_REVISION_PREFERS_HYPERV,
                f"{process_compat.reason}: Hyper-V chosen because it is available",
            )
            return HYPERV, False
        trail.add(
            RULE_REVISION_RISK_ACCEPTED,
            f"{process_compat.reason}; Hyper-V is not available on this host, so process"
            " isolation is kept",
        )
    return PROCESS, False


def _hyperv_why(wl: _Workload, trail: _Trail, hyperv_required: bool) -> str:
    if hyperv_required:
        return "trust requires it"
    if wl.isolation == HYPERV:
        return "the workload asks for it"
    if RULE_COMPAT_REQUIRES_HYPERV in trail.rules:
        # The compatibility rule's own reason (e.g. the February 2020 baseline) names the fix.
        prefix = f"[{RULE_COMPAT_REQUIRES_HYPERV}] process isolation cannot run this image ("
        suffix = "): Hyper-V instead"
        detail = next((r for r in trail.reasons if r.startswith(prefix)), "")
        why = "process isolation cannot run the image on this host"
        return f"{why}: {detail[len(prefix) : -len(suffix)]}" if detail.endswith(suffix) else why
    return "the host's isolation_preference is 'hyperv'"


def decide(workload: Mapping[str, Any], host: Mapping[str, Any]) -> Decision:
    """Decide isolation and user for one workload on one host, or raise PolicyError.

    ``host`` keys: ``trust_boundary`` and ``os_version`` (required),
    ``hyperv_available``, ``isolation_preference``, ``allow_isolation_downgrade``,
    ``allow_container_admin``, ``name``. Workload keys: ``image`` (required),
    ``name``, ``trust_boundary``, ``trust_level``, ``isolation``, ``user``,
    ``image_os_version``; other keys are ignored.
    """
    refuser = _Refuser(_host_name(host), _workload_label(workload))
    valid_host = _validate_host(refuser, host)
    wl = _validate_workload(refuser, workload, valid_host)
    trail = _Trail()

    # Empty when the image's OS version is unknown.
    compat: dict[str, Compatibility] = {}
    if wl.image_version is not None:
        compat = {
            isolation: check_compatibility(valid_host.version, wl.image_version, isolation)
            for isolation in (PROCESS, HYPERV)
        }
        if compat[HYPERV].rule == IMAGE_NEWER_THAN_HOST:
            raise refuser.refuse(
                RULE_IMAGE_TOO_NEW,
                f"{compat[HYPERV].reason}; use an image built for build"
                f" {valid_host.version.build} or older, or a newer host",
            )

    hyperv_required = _trust_reasons(trail, wl, valid_host)
    isolation, downgraded = _choose_isolation(
        refuser,
        trail,
        wl,
        valid_host,
        hyperv_required=hyperv_required,
        process_compat=compat.get(PROCESS),
    )

    compatibility = COMPATIBILITY_UNKNOWN
    if not compat:
        trail.add(
            RULE_IMAGE_VERSION_UNKNOWN,
            "the image's OS version is unknown (not pulled or not inspected yet): decided on"
            " trust alone; the version check runs once the image's OsVersion is known",
        )
    else:
        chosen = compat[isolation]
        if not chosen.can_run:
            if isolation == PROCESS:
                raise refuser.refuse(
                    RULE_PROCESS_INCOMPATIBLE,
                    f"isolation 'process' cannot run this image: {chosen.reason};"
                    " use 'auto' or 'hyperv', or an image matching the host build",
                )
            also = ""
            if wl.isolation == AUTO and not compat[PROCESS].can_run:
                also = f"; process isolation cannot either: {compat[PROCESS].reason}"
            raise refuser.refuse(
                RULE_HYPERV_INCOMPATIBLE,
                f"Hyper-V isolation cannot run this image: {chosen.reason}{also}",
            )
        compatibility = chosen.rule
        trail.add(RULE_IMAGE_COMPATIBLE, f"{isolation} isolation: {chosen.reason}")

    if isolation == HYPERV and not valid_host.hyperv_available:
        raise refuser.refuse(
            RULE_HYPERV_UNAVAILABLE,
            f"Hyper-V isolation is needed ({_hyperv_why(wl, trail, hyperv_required)}) but"
            f" Hyper-V is not available on the host (hyperv_available is false); {HYPERV_HINT}",
        )

    user = wl.user
    if is_admin_user(user):
        if not valid_host.allow_container_admin:
            raise refuser.refuse(
                RULE_ADMIN_USER,
                f"user {user!r} is an administrator account; run as {DEFAULT_USER}"
                " (or another non-admin account), or set wincontainers_allow_container_admin:"
                " true on the host to accept it",
            )
        trail.add(
            RULE_ADMIN_USER_ALLOWED,
            f"WARNING: user {user!r} is an administrator account, allowed because the host"
            " sets wincontainers_allow_container_admin; an admin process that escapes a"
            " process-isolated container is not treated as a security bug by Microsoft",
        )
    else:
        trail.add(RULE_NON_ADMIN_USER, f"user {user!r} is not an administrator account")

    return Decision(
        isolation=isolation,
        user=user,
        reasons=tuple(trail.reasons),
        rules=tuple(trail.rules),
        hyperv_required=hyperv_required,
        downgraded=downgraded,
        compatibility=compatibility,
    )
