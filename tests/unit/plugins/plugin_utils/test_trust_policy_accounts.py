"""Administrator accounts in disguise and names Windows cannot hold (issue 13, item 7)."""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.trust_policy import (
    PolicyError,
    account_name_problem,
    decide,
    is_admin_user,
)

HOST = {
    "name": "winhost01",
    "trust_boundary": "acme",
    "os_version": "10.0.20348.2340",
    "hyperv_available": True,
}
IMAGE = "mcr.microsoft.com/windows/nanoserver:ltsc2022"

ADMINS = [
    "S-1-5-93-2-1",  # ContainerAdministrator
    "s-1-5-32-544",  # BUILTIN\Administrators
    "BUILTIN\\Administrators",
    "Administrators",
    "S-1-5-18",
    "S-1-5-21-1004336348-1177238915-682003330-512",  # Domain Admins
    "S-1-5-21-1004336348-1177238915-682003330-519",  # Enterprise Admins
    "ACME\\Domain Admins",
    "NT SERVICE\\TrustedInstaller",
    "Adm\u0131n",  # not an admin: a different word
    "Adm\u0131nistrator",  # dotless i
    "ContainerAdmin\u0456strator",  # Cyrillic i
    "\uff21dministrator",  # full-width A
    "User Manager\\ContainerAdministrator",
]


@pytest.mark.parametrize("name", [n for n in ADMINS if n != "Adm\u0131n"])
def test_administrators_in_disguise_are_administrators(name):
    assert is_admin_user(name)


@pytest.mark.parametrize(
    "name", ["ContainerUser", "Adm\u0131n", "Jürgen", "svc-web", "S-1-5-93-2-2"]
)
def test_other_accounts_are_not(name):
    assert not is_admin_user(name)


@pytest.mark.parametrize("name", ["S-1-5-93-2-1", "BUILTIN\\Administrators", "Adm\u0131nistrator"])
def test_the_policy_refuses_them(name):
    with pytest.raises(PolicyError) as info:
        decide({"name": "web", "image": IMAGE, "user": name}, HOST)
    assert info.value.rule == "admin-user"


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("Container\u200bAdministrator", "invisible character (U+200B)"),
        ("web\u2060user", "invisible character (U+2060)"),
        ("bad\x07user", "control character"),
        ("a*b", "cannot contain"),
        ("a,b", "cannot contain"),
        ("DOM\\us<er", "cannot contain"),
        ("user.", "ends with a period"),
        ("DOMAIN\\", "names no account"),
    ],
)
def test_names_windows_cannot_hold_are_refused(name, why):
    assert why in account_name_problem(name)
    with pytest.raises(PolicyError) as info:
        decide({"name": "web", "image": IMAGE, "user": name}, HOST)
    assert info.value.rule == "bad-field"
    assert info.value.field == "workload.user"


@pytest.mark.parametrize(
    "name", ["ContainerUser", "NT AUTHORITY\\NetworkService", "web@acme.example", "S-1-5-93-2-2"]
)
def test_ordinary_names_pass(name):
    assert account_name_problem(name) is None
