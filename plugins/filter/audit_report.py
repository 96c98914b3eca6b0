# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: audit_report
short_description: Build the fleet audit report from every host's container_audit result
version_added: 0.1.0
author: trustbound.wincontainers maintainers (@trustbound)
description:
  - Gathers the registered M(trustbound.wincontainers.container_audit) result of each host into
    one fleet document (schema in C(docs/audit.md)) and renders it as JSON, JUnit XML, SARIF
    2.1.0 and one self-contained HTML page.
  - A host without a result (unreachable, failed) is listed as not audited.
positional: hosts, generated_at, scope
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: The hosts audited (C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
  generated_at:
    description: The run's time, ISO 8601 in UTC.
    type: str
    required: true
  scope:
    description: What was audited (target pattern, limit, check mode), shown in the report.
    type: dict
    default: {}
  result_var:
    description: The variable each host registered the container_audit result in.
    type: str
    default: container_audit_result
  junit_threshold:
    description: JUnit test cases fail for findings at or above this severity.
    type: str
    default: high
    choices: [critical, high, medium, low]
  fail_on:
    description: Severity at or above which RV(_value.failing) lists findings; V(none) lists none.
    type: str
    default: none
    choices: [critical, high, medium, low, none]
  waivers:
    description:
      - Accepted risks (C(wincontainers_audit_waivers)), a list or its JSON text. Each has
        C(rule) (a rule id), C(host) (a host name or a glob such as C(ws2016-*)), C(reason),
        C(expires) (a date C(YYYY-MM-DD), in force to the end of that day), C(accepted_by),
        and optionally C(container) (a name or glob).
      - A finding a waiver in force covers stays in every rendering, marked waived, and
        leaves the counts and RV(_value.failing); after the expiry date it counts again and
        shows the expired waiver. An invalid waiver is refused, naming its index and field.
    type: raw
    default: []
  formats:
    description:
      - The renderings to write (C(audit_formats)), returned as RV(_value.formats).
      - A list, its JSON text, or names separated by commas (C("json,html"), as an AWX
        survey's text field sends it). An unknown format is refused, naming it.
    type: raw
    default: [json, junit, sarif, html]
"""

EXAMPLES = r"""
- name: Build the fleet report
  ansible.builtin.set_fact:
    audit: >-
      {{ hostvars | trustbound.wincontainers.audit_report(ansible_play_hosts_all,
           now(utc=true, fmt='%Y-%m-%dT%H:%M:%SZ'), {'target': 'windows'}) }}
  run_once: true
"""

RETURN = r"""
_value:
  description: The fleet document and its renderings.
  type: dict
  contains:
    fleet:
      description: The fleet document (C(schema_version) 1).
      type: dict
    json:
      description: The fleet document as JSON text.
      type: str
    junit:
      description: JUnit XML text.
      type: str
    sarif:
      description: SARIF 2.1.0 JSON text.
      type: str
    html:
      description: The self-contained HTML page.
      type: str
    failing:
      description: The findings at or above O(fail_on) that no waiver in force covers.
      type: list
      elements: dict
    formats:
      description: O(formats) as a list of known formats, each once.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import audit_report as report
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import audit_waivers

NOT_AUDITED = "no container_audit result: the host was unreachable or the play stopped on it"


def audit_report(
    hostvars,
    hosts,
    generated_at,
    scope=None,
    *,
    result_var="container_audit_result",
    junit_threshold="high",
    fail_on="none",
    formats=report.FORMATS,
    waivers=None,
):
    try:
        wanted = report.read_formats(formats)
        accepted = audit_waivers.read(waivers)
    except ValueError as exc:
        raise AnsibleFilterError(f"audit_report: {exc}") from None
    results = {}
    for host in hosts or []:
        variables = hostvars.get(host) or {}
        result = variables.get(result_var) if hasattr(variables, "get") else None
        results[str(host)] = dict(result) if result else {"failed": True, "msg": NOT_AUDITED}
    fleet = report.build_fleet(
        results, generated_at=str(generated_at), scope=dict(scope or {}), waivers=accepted
    )
    try:
        failing = report.fails(fleet, fail_on)
        junit = report.to_junit(fleet, junit_threshold)
    except ValueError as exc:
        raise AnsibleFilterError(
            f"audit_report: {exc} (audit_fail_on, audit_junit_threshold)"
        ) from None
    return {
        "fleet": fleet,
        "json": report.to_json(fleet),
        "junit": junit,
        "sarif": report.to_sarif(fleet),
        "html": report.to_html(fleet),
        "failing": failing,
        "formats": wanted,
    }


class FilterModule:
    def filters(self):
        return {"audit_report": audit_report}
