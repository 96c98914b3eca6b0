"""audit_formats as an inventory list or as text (an AWX survey's text field)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from audit_builders import HOSTVARS

from ansible_collections.trustbound.wincontainers.plugins.filter.audit_report import audit_report
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import inputs
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.audit_report import (
    read_formats,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("json,html", ["json", "html"]),
        ("json, html", ["json", "html"]),
        ("json html\nsarif", ["json", "html", "sarif"]),
        ('["junit", "json"]', ["junit", "json"]),
        (["json", "html", "json"], ["json", "html"]),
        ("html", ["html"]),
        (("sarif",), ["sarif"]),
    ],
)
def test_formats_are_read_as_a_list_of_names(value, expected):
    assert read_formats(value) == expected


@pytest.mark.parametrize("value", [["json", "pdf"], "json,pdf", '["pdf"]'])
def test_an_unknown_format_is_refused_naming_it(value):
    with pytest.raises(ValueError, match=r"unknown format\(s\) 'pdf'; known formats: json"):
        read_formats(value)


@pytest.mark.parametrize("value", ["", [], None, " , "])
def test_no_format_is_refused(value):
    with pytest.raises(ValueError, match="names no format"):
        read_formats(value)


@pytest.mark.parametrize("value", [[1], ["json", None], 3, {"json": 1}, "[json"])
def test_what_is_not_a_list_of_names_is_refused(value):
    with pytest.raises(ValueError, match="audit_formats must be a list"):
        read_formats(value)


def test_to_names_reads_survey_text_as_the_roles_read_json_lists():
    assert inputs.to_names('["a", "b"]', "v") == ["a", "b"]
    assert inputs.to_names("a,b", "v") == ["a", "b"]
    assert inputs.to_names(None, "v") == []


def test_the_report_filter_returns_the_formats_and_refuses_an_unknown_one():
    hosts = list(HOSTVARS)
    report = audit_report(HOSTVARS, hosts, "2026-01-01T00:00:00Z", formats="json,html")
    assert report["formats"] == ["json", "html"]
    assert audit_report(HOSTVARS, hosts, "2026-01-01T00:00:00Z")["formats"] == [
        "json",
        "junit",
        "sarif",
        "html",
    ]
    with pytest.raises(AnsibleFilterError, match="'pdf'"):
        audit_report(HOSTVARS, hosts, "2026-01-01T00:00:00Z", formats=["json", "pdf"])
