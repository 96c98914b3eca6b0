# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet audit report: one document from every host's container_audit result, and its
renderings (JSON, JUnit XML, SARIF 2.1.0, one self-contained HTML page).

Pure: the caller passes the time and the scope, and writes the text where it wants.
The JSON schema is documented in docs/audit.md ("Fleet report schema").
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any
from xml.etree import ElementTree

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    audit_findings,
    audit_waivers,
    inputs,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.audit_findings import (
    RULES,
    SEVERITIES,
)

SCHEMA_VERSION = 1
TOOL = "trustbound.wincontainers container_audit"
INFO_URI = "https://github.com/trustbound/wincontainers/blob/main/docs/audit.md"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}


FORMATS = ("json", "junit", "sarif", "html")


def read_formats(value: object) -> list[str]:
    """``audit_formats`` as a list of known formats, in the order given, each once: a list,
    its JSON text or names separated by commas (inputs.to_names); ValueError naming an
    unknown format."""
    try:
        names = inputs.to_names(value, "audit_formats")
    except inputs.InputTypeError as exc:
        raise ValueError(str(exc)) from None
    unknown = [name for name in names if name not in FORMATS]
    if unknown:
        raise ValueError(
            f"audit_formats: unknown format(s) {', '.join(map(repr, unknown))};"
            f" known formats: {', '.join(FORMATS)}"
        )
    if not names:
        raise ValueError(f"audit_formats names no format; known formats: {', '.join(FORMATS)}")
    return list(dict.fromkeys(names))


def open_findings(findings: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The findings no waiver in force covers: those that count."""
    return [f for f in findings if not f.get("waived")]


def build_fleet(
    results: Mapping[str, Mapping[str, Any]],
    *,
    generated_at: str,
    scope: Mapping[str, Any],
    waivers: Sequence[audit_waivers.Waiver] = (),
) -> dict[str, Any]:
    """``results``: host -> its container_audit result (registered), or a failure.

    ``waivers`` (audit_waivers.read) mark the findings they cover as waived on the run's
    date: those stay listed everywhere but leave the counts (``waived`` counts them)."""
    day = audit_waivers.run_day(generated_at)
    hosts = []
    everything: list[dict[str, Any]] = []
    failed = []
    for name in sorted(results):
        result = results[name] or {}
        error = None
        if result.get("failed") or result.get("unreachable") or "summary" not in result:
            error = str(result.get("msg") or "the host was not audited")
            failed.append(name)
        findings = audit_findings.sorted_findings(result.get("findings") or [])
        audit_waivers.apply(findings, waivers, day)
        everything.extend(findings)
        hosts.append(
            {
                "name": name,
                "error": error,
                "facts": dict(result.get("facts") or {}),
                "containers": [dict(c) for c in result.get("containers") or []],
                "findings": findings,
                "not_evaluated": [dict(n) for n in result.get("not_evaluated") or []],
                "by_severity": audit_findings.counts(open_findings(findings)),
                "waived": len(findings) - len(open_findings(findings)),
            }
        )
    everything = audit_findings.sorted_findings(everything)
    status = audit_waivers.apply([dict(f) for f in everything], waivers, day)
    used = sorted({f["id"] for f in everything})
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": TOOL,
        "generated_at": generated_at,
        "scope": dict(scope),
        "summary": {
            "hosts_audited": len(hosts) - len(failed),
            "hosts_failed": failed,
            "containers": sum(len(h["containers"]) for h in hosts),
            "findings": len(open_findings(everything)),
            "by_severity": audit_findings.counts(open_findings(everything)),
            "waived": len(everything) - len(open_findings(everything)),
            "waived_by_severity": audit_findings.counts([f for f in everything if f.get("waived")]),
        },
        "waivers": [dict(w.to_dict(), status=status[w.index]) for w in waivers],
        "hosts": hosts,
        "findings": everything,
        "rules": {
            rule_id: {
                "title": RULES[rule_id].title,
                "severity": RULES[rule_id].severity,
                "source": RULES[rule_id].source,
                "fix": RULES[rule_id].fix,
            }
            for rule_id in used
            if rule_id in RULES
        },
    }


def fails(fleet: Mapping[str, Any], threshold: str | None) -> list[dict[str, Any]]:
    """Findings at or above ``threshold`` (none when it is empty or ``none``)."""
    if not threshold or threshold == "none":
        return []
    audit_findings.severity_rank(threshold)
    return [
        f
        for f in open_findings(fleet["findings"])
        if audit_findings.at_or_above(f["severity"], threshold)
    ]


def to_json(fleet: Mapping[str, Any]) -> str:
    return json.dumps(fleet, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --- JUnit --------------------------------------------------------------------------------


def to_junit(fleet: Mapping[str, Any], threshold: str = "high") -> str:
    """A testsuite per host, a testcase per host and rule; failed when a finding of that rule is
    at or above ``threshold``, skipped when the rule could not be evaluated there."""
    suites = ElementTree.Element("testsuites", name="trustbound.wincontainers audit")
    total = failures = 0
    for host in fleet["hosts"]:
        suite = ElementTree.SubElement(suites, "testsuite", name=host["name"])
        cases = failed = skipped = errors = 0
        if host["error"]:
            case = ElementTree.SubElement(suite, "testcase", classname=host["name"], name="audit")
            ElementTree.SubElement(case, "error", message=host["error"]).text = host["error"]
            cases, errors = 1, 1
        by_rule: dict[str, list[dict[str, Any]]] = {}
        for finding in host["findings"]:
            by_rule.setdefault(finding["id"], []).append(finding)
        skipped_ids = {n["id"]: n["reason"] for n in host["not_evaluated"]}
        for rule_id in RULES if not host["error"] else ():
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname=host["name"],
                name=f"{rule_id} {RULES[rule_id].title}",
            )
            cases += 1
            found = by_rule.get(rule_id, [])
            blocking = [f for f in open_findings(found) if _blocks(f, threshold)]
            waived = [f for f in found if f.get("waived")]
            if blocking:
                failed += 1
                text = "\n".join(_finding_line(f) for f in blocking)
                ElementTree.SubElement(
                    case,
                    "failure",
                    message=f"{len(blocking)} {RULES[rule_id].severity} finding(s)",
                    type=RULES[rule_id].severity,
                ).text = text
                if len(found) > len(blocking):  # the waived and non-blocking ones, kept
                    ElementTree.SubElement(case, "system-out").text = "\n".join(
                        _finding_line(f) for f in found
                    )
            elif found and len(waived) == len(found):
                skipped += 1
                ElementTree.SubElement(
                    case, "skipped", message=f"waived: {_waiver_text(waived[0]['waived'])}"
                )
                ElementTree.SubElement(case, "system-out").text = "\n".join(
                    _finding_line(f) for f in found
                )
            elif found:
                ElementTree.SubElement(case, "system-out").text = "\n".join(
                    _finding_line(f) for f in found
                )
            elif rule_id in skipped_ids:
                skipped += 1
                ElementTree.SubElement(case, "skipped", message=skipped_ids[rule_id])
        suite.set("tests", str(cases))
        suite.set("failures", str(failed))
        suite.set("errors", str(errors))
        suite.set("skipped", str(skipped))
        total += cases
        failures += failed
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    ElementTree.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + ElementTree.tostring(suites, encoding="unicode")
        + "\n"
    )


def _blocks(finding: Mapping[str, Any], threshold: str | None) -> bool:
    if not threshold or threshold == "none":
        return False
    return audit_findings.at_or_above(finding["severity"], threshold)


def _waiver_text(waiver: Mapping[str, Any]) -> str:
    return f"{waiver['reason']} (accepted by {waiver['accepted_by']}, until {waiver['expires']})"


def _finding_line(finding: Mapping[str, Any]) -> str:
    where = f"container {finding['container']}: " if finding.get("container") else ""
    line = f"[{finding['severity']}] {where}{finding['detail']}. Fix: {finding['fix']}"
    if finding.get("waived"):
        return f"WAIVED {line} Waiver: {_waiver_text(finding['waived'])}"
    if finding.get("waiver_expired"):
        return f"{line} Waiver expired: {_waiver_text(finding['waiver_expired'])}"
    return line


# --- SARIF --------------------------------------------------------------------------------


def to_sarif(fleet: Mapping[str, Any]) -> str:
    rules = [
        {
            "id": rule.id,
            "name": rule.title,
            "shortDescription": {"text": rule.title},
            "fullDescription": {"text": rule.source},
            "help": {"text": rule.fix},
            "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
            "properties": {"severity": rule.severity},
        }
        for rule in RULES.values()
    ]
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = []
    for finding in fleet["findings"]:
        where = finding["host"] + (f"/{finding['container']}" if finding.get("container") else "")
        properties: dict[str, Any] = {
            "severity": finding["severity"],
            "evidence": finding["evidence"],
        }
        extra: dict[str, Any] = {}
        if finding.get("waived"):
            waiver = finding["waived"]
            extra["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": _waiver_text(waiver),
                    "properties": dict(waiver),
                }
            ]
        if finding.get("waiver_expired"):
            properties["waiver_expired"] = finding["waiver_expired"]
        results.append(
            {
                **extra,
                "ruleId": finding["id"],
                "ruleIndex": index[finding["id"]],
                "level": _SARIF_LEVEL[finding["severity"]],
                "message": {"text": f"{where}: {finding['detail']}. Fix: {finding['fix']}"},
                "locations": [
                    {
                        "logicalLocations": [
                            {"name": where, "fullyQualifiedName": where, "kind": "resource"}
                        ]
                    }
                ],
                "properties": properties,
            }
        )
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": TOOL, "informationUri": INFO_URI, "rules": rules}},
                "invocations": [
                    {
                        "executionSuccessful": not fleet["summary"]["hosts_failed"],
                        "endTimeUtc": fleet["generated_at"],
                    }
                ],
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


# --- HTML ---------------------------------------------------------------------------------

_LABEL = {"critical": "CRITICAL", "high": "HIGH", "medium": "MEDIUM", "low": "LOW"}

_CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;
color:#1b1f24;background:#f6f7f9}
header{background:#14324a;color:#fff;padding:16px 24px}
header h1{margin:0 0 4px;font-size:20px}
header p{margin:0;color:#cfe0ee}
main{padding:16px 24px;max-width:1400px}
section{background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:12px 16px;
margin:0 0 16px}
h2{font-size:16px;margin:0 0 10px}
.counts{display:flex;gap:10px;flex-wrap:wrap}
.count{border-radius:6px;padding:8px 14px;min-width:120px;border:2px solid}
.count b{display:block;font-size:22px}
.sev-critical{background:#fde2e1;border-color:#b42318;color:#7a1610}
.sev-high{background:#feeadb;border-color:#c4561b;color:#7c3210}
.sev-medium{background:#fef5d4;border-color:#a37a00;color:#5c4500}
.sev-low{background:#e7f0fb;border-color:#2f6fb3;color:#1c4470}
.sev-ok{background:#e3f4e8;border-color:#2e7d46;color:#1d5430}
.badge{display:inline-block;border:1px solid;border-radius:4px;padding:0 6px;font-weight:600;
font-size:12px;white-space:nowrap}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #d8dde3;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4;font-weight:600}
.scroll{overflow-x:auto;max-width:100%}
.matrix th[scope=row]{position:sticky;left:0;z-index:1;min-width:150px}
.matrix td.cell{min-width:150px;font-size:12px}
#findings td:nth-child(2){min-width:190px}
#findings td.fix{min-width:260px}
#nomatch td{color:#4a5663;font-style:italic}
.matrix td.cell .badge{margin-bottom:3px}
.matrix td.empty{color:#8a96a3;text-align:center}
.facts{font-size:12px;color:#4a5663}
.fix{color:#1c4470}
code{font-size:12px;background:#f0f2f4;padding:0 3px;border-radius:3px;word-break:break-all}
.filters{display:flex;gap:16px;align-items:center;flex-wrap:wrap;margin-bottom:10px}
.filters label{font-weight:600}
select{font:inherit;padding:2px 6px}
#shown{color:#4a5663}
.errors li{color:#7a1610}
@media print{
body{background:#fff}
header{background:#fff;color:#000;border-bottom:2px solid #000}
header p{color:#000}
.filters{display:none}
tr.finding{display:table-row!important}
tr[data-host]{display:table-row!important}
#nomatch{display:none!important}
.scroll{overflow:visible}
section{break-inside:avoid;border-color:#999}
.count,.badge{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"""

_JS = """
(function(){
  var host=document.getElementById('f-host'), sev=document.getElementById('f-sev');
  var nomatch=document.getElementById('nomatch');
  var order={critical:0,high:1,medium:2,low:3};
  function apply(){
    var rows=document.querySelectorAll('tr.finding'), shown=0;
    for(var i=0;i<rows.length;i++){
      var r=rows[i];
      var ok=(host.value===''||r.getAttribute('data-host')===host.value)&&
        (sev.value===''||order[r.getAttribute('data-severity')]<=order[sev.value]);
      r.style.display=ok?'':'none';
      if(ok){shown++;}
    }
    var hosts=document.querySelectorAll('#matrix tbody tr[data-host]');
    for(var j=0;j<hosts.length;j++){
      hosts[j].style.display=(host.value===''||hosts[j].getAttribute('data-host')===host.value)?'':'none';
    }
    if(nomatch){nomatch.style.display=(shown===0&&rows.length>0)?'':'none';}
    document.getElementById('shown').textContent=shown+' of '+rows.length+' finding(s) shown';
  }
  host.addEventListener('change',apply); sev.addEventListener('change',apply); apply();
})();
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _badge(severity: str) -> str:
    return f'<span class="badge sev-{_e(severity)}">{_LABEL.get(severity, _e(severity))}</span>'


def _cell(host: Mapping[str, Any], container: Mapping[str, Any]) -> str:
    worst = None
    for finding in open_findings(host["findings"]):
        if finding.get("container") == container["name"]:
            rank = audit_findings.severity_rank(finding["severity"])
            if worst is None or rank < audit_findings.severity_rank(worst):
                worst = finding["severity"]
    status = _badge(worst) if worst else '<span class="badge sev-ok">OK</span>'
    css = f"sev-{worst}" if worst else "sev-ok"
    managed = "managed" if container.get("managed") else "unmanaged"
    user = container.get("user") or "?"
    admin = " (admin)" if container.get("admin") else ""
    trust = f"{container.get('trust_boundary')} / {container.get('trust_level')}"
    return (
        f'<td class="cell {css}" data-host="{_e(host["name"])}"'
        f' data-container="{_e(container["name"])}">{status}<br>'
        f"isolation: <b>{_e(container.get('isolation') or '?')}</b><br>"
        f"user: <b>{_e(user)}</b>{_e(admin)}<br>"
        f'trust: {_e(trust)}<br><span class="facts">{_e(managed)},'
        f" {_e(container.get('state'))}</span></td>"
    )


def _matrix(fleet: Mapping[str, Any]) -> str:
    names = sorted({c["name"] for h in fleet["hosts"] for c in h["containers"]})
    head = "".join(f"<th>{_e(n)}</th>" for n in names)
    rows = []
    for host in fleet["hosts"]:
        by_name = {c["name"]: c for c in host["containers"]}
        facts = host["facts"]
        label = (
            f'<b>{_e(host["name"])}</b><br><span class="facts">{_e(facts.get("os_version"))}'
            f"<br>boundary: {_e(facts.get('trust_boundary') or 'not set')}"
            f"{'<br>multi-tenant' if facts.get('multi_tenant') else ''}</span>"
        )
        if host["error"]:
            label += '<br><span class="badge sev-critical">NOT AUDITED</span>'
        cells = "".join(
            _cell(host, by_name[n]) if n in by_name else '<td class="empty">&mdash;</td>'
            for n in names
        )
        rows.append(f'<tr data-host="{_e(host["name"])}"><th scope="row">{label}</th>{cells}</tr>')
    return (
        '<div class="scroll"><table class="matrix" id="matrix"><thead><tr>'
        f"<th>host \\ workload</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _findings_table(fleet: Mapping[str, Any]) -> str:
    rows = []
    for f in fleet["findings"]:
        evidence = ", ".join(
            f"{_e(k)}: <code>{_e(json.dumps(v, ensure_ascii=False))}</code>"
            for k, v in sorted(f["evidence"].items())
        )
        waiver = ""
        if f.get("waived"):
            waiver = (
                '<br><span class="badge sev-ok">WAIVED</span> '
                f'<span class="facts">{_e(_waiver_text(f["waived"]))}</span>'
            )
        elif f.get("waiver_expired"):
            waiver = (
                '<br><span class="badge">WAIVER EXPIRED</span> '
                f'<span class="facts">{_e(_waiver_text(f["waiver_expired"]))}</span>'
            )
        rows.append(
            f'<tr class="finding" data-host="{_e(f["host"])}" data-severity="{_e(f["severity"])}"'
            f' data-id="{_e(f["id"])}" data-waived="{"yes" if f.get("waived") else "no"}">'
            f"<td>{_badge(f['severity'])}{waiver}</td>"
            f"<td><code>{_e(f['id'])}</code><br>{_e(f['title'])}</td>"
            f"<td>{_e(f['host'])}</td><td>{_e(f.get('container') or '(host)')}</td>"
            f'<td class="detail">{_e(f["detail"])}<br><span class="facts">{evidence}</span></td>'
            f'<td class="fix">{_e(f["fix"])}<br><span class="facts">Source: {_e(f["rule"])}'
            "</span></td></tr>"
        )
    if not rows:
        rows.append('<tr><td colspan="6">No findings.</td></tr>')
    else:
        rows.append(
            '<tr id="nomatch" style="display:none"><td colspan="6">No finding matches the'
            " filters.</td></tr>"
        )
    return (
        '<table id="findings"><thead><tr><th>severity</th><th>rule</th><th>host</th>'
        "<th>container</th><th>what was found (evidence)</th><th>fix</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def to_html(fleet: Mapping[str, Any]) -> str:
    summary = fleet["summary"]
    scope = fleet["scope"]
    counts = "".join(
        f'<div class="count sev-{s}" id="count-{s}"><b>{summary["by_severity"][s]}</b>'
        f"{_LABEL[s]}</div>"
        for s in SEVERITIES
    )
    counts += (
        f'<div class="count sev-ok" id="count-waived"><b>{summary.get("waived", 0)}</b>WAIVED</div>'
    )
    host_options = "".join(
        f'<option value="{_e(h["name"])}">{_e(h["name"])}</option>' for h in fleet["hosts"]
    )
    sev_options = "".join(
        f'<option value="{s}">{_LABEL[s]}{"" if s == "low" else " and above"}</option>'
        for s in SEVERITIES
    )
    errors = "".join(
        f"<li>{_e(h['name'])}: {_e(h['error'])}</li>" for h in fleet["hosts"] if h["error"]
    )
    grouped: dict[tuple[str, str], list[str]] = {}
    for h in fleet["hosts"]:
        for n in h["not_evaluated"]:
            grouped.setdefault((n["id"], n["reason"]), []).append(h["name"])
    not_evaluated = "".join(
        f"<li><code>{_e(rule_id)}</code> on {_e(', '.join(names))}: {_e(reason)}</li>"
        for (rule_id, reason), names in sorted(grouped.items())
    )
    scope_text = ", ".join(f"{_e(k)}: {_e(v)}" for k, v in sorted(scope.items()))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Windows container audit, {_e(fleet["generated_at"])}</title>
<style>{_CSS}</style></head>
<body>
<header><h1>Windows container audit</h1>
<p id="run">Run {_e(fleet["generated_at"])} &middot; {summary["hosts_audited"]} host(s) audited,
{len(summary["hosts_failed"])} not audited &middot; {summary["containers"]} container(s)
&middot; scope: {scope_text}</p></header>
<main>
<section><h2>Findings by severity</h2><div class="counts" id="counts">{counts}</div>
{f'<ul class="errors">{errors}</ul>' if errors else ""}</section>
<section><h2>Hosts &times; workloads: isolation, user and trust</h2>
<p class="facts">Each cell shows the container's worst finding (or OK), its isolation, the
account it runs as and its trust boundary / level (unknown for containers started by hand).</p>
{_matrix(fleet)}</section>
<section><h2>Findings, most severe first</h2>
<div class="filters"><label for="f-host">Host</label><select id="f-host">
<option value="">all hosts</option>{host_options}</select>
<label for="f-sev">Severity</label><select id="f-sev"><option value="">all</option>
{sev_options}</select><span id="shown"></span></div>
{_findings_table(fleet)}</section>
<section><h2>Not evaluated</h2><ul class="facts">{not_evaluated or "<li>none</li>"}</ul></section>
</main>
<script>{_JS}</script>
</body></html>
"""
