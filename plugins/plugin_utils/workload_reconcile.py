# -*- coding: utf-8 -*-
# Copyright: (c) 2025, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The workload reconcile: one read, the policy and the plan here, one apply.

Callable from any Python on the controller: ``reconcile(io, options, read)`` takes a
``HostIO`` (module runs on the host, the task's check and diff flags, warnings), the
options of the container_workloads action and, optionally, a read of the host (a
registered container_host_info result), and returns the task result. The
container_workloads action is a thin wrapper over it; unit tests pass a fake ``HostIO``.

Module runs per host: one ``container_host_info`` (none when a read is given); one
``container_steps`` of pulls when an image the decision needs is missing (never in check
mode); one ``container_steps`` with every container change. Nothing to do = one run.
"""

from __future__ import annotations

from typing import Any, Protocol

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    container_plan,
    executor_args,
    host_facts,
    host_lock,
    host_read,
    inputs,
    mount_policy,
    ownership,
    redaction,
    refusal,
    trust_options,
    trust_policy,
    workload_spec,
    workload_trust,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.windows_versions import (
    WindowsVersion,
)

INFO_MODULE = "trustbound.wincontainers.container_host_info"
STEPS_MODULE = "trustbound.wincontainers.container_steps"

RULE_NEWER_REVISION = "newer-image-revision-under-process"

# Plans made again when other runs changed the host while this one waited for the lock.
MAX_PLAN_ATTEMPTS = 3

# Inputs surveys send as text are "raw" here and read by plugin_utils/inputs.py, the same
# reading provisioning and the isolation_decision filter use; the trust policy validates
# the trust options (a list is not a trust boundary).
ARGUMENT_SPEC: dict[str, Any] = {
    "workloads": {"type": "raw", "default": []},
    **trust_options.RAW_ARGUMENT_SPEC,
    # Issue 20: limits, image sources and networks per trust group (workload_trust.py).
    **{option: {"type": "raw"} for option in workload_trust.OPTIONS},
    "enforcement": {
        "type": "str",
        "choices": [container_plan.ENFORCE, container_plan.REPORT],
        "default": container_plan.ENFORCE,
    },
    "purge": {"type": "raw", "default": False},
    "owner": {"type": "raw", "default": "trustbound.wincontainers"},
    "adopt": {"type": "list", "elements": "str", "default": []},
    "config_hash_key": {"type": "str", "no_log": True},
    "start_timeout": {"type": "int", "default": 10},
    "keep_going": {"type": "bool", "default": False},
    "refuse_newer_revision_under_process": {"type": "bool", "default": False},
    # The registered result of container_host_info: used instead of reading the host again.
    "host_info": {"type": "dict"},
    "lock_timeout": {"type": "int", "default": 300},
    "lease_id": {"type": "str"},
    "end_lease": {"type": "bool", "default": False},
    "registry_credentials": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "no_log": False,
        "options": {
            "registry": {"type": "str", "required": True},
            "username": {"type": "str", "required": True},
            "password": {"type": "str", "required": True, "no_log": True},
        },
    },
}


NOT_PROVISIONED = "_not_provisioned"


def _as_provisioned(info: dict[str, Any]) -> dict[str, Any]:
    """The read of a host with no engine yet, as a check-mode plan sees it after provisioning.

    Provisioning installs the engine and starts it with no images and no
    containers; what trust decides needs only the OS version and the
    inventory. Hyper-V availability is left to the policy host (see _reconcile).
    """
    seen = dict(info)
    seen["images"] = []
    seen["containers"] = []
    seen[NOT_PROVISIONED] = True
    return seen


class EngineStoppedInCheckMode(Exception):
    """Check mode on a host whose engine is installed but stopped: the task is skipped."""


class WorkloadsFailure(Exception):
    """Ends the task: ``msg`` names the host, the workload and the rule."""

    def __init__(self, msg: str, **extra: Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.extra = extra
        # The workloads a refusal is about (empty when it is not about workloads).
        self.errors: list[workload_spec.SpecProblem] = []


def image_registry(ref: str) -> str:
    """The registry host of an image reference (docker's rule for the first component)."""
    domain, _remote = trust_policy.split_docker_domain(ref.partition("@")[0])
    return domain.lower()


def read_options(args: dict[str, Any], host: str | None) -> dict[str, Any]:
    """``purge`` and ``owner`` read as inputs.py reads them; a refusal names the variable."""
    try:
        purge = inputs.to_bool(args["purge"], "container_workloads_purge")
        owner = inputs.to_text(args["owner"], "container_workloads_owner").strip()
    except inputs.InputTypeError as exc:
        raise WorkloadsFailure(
            f"host {host!r}: refused by rule '{workload_spec.RULE_BAD_VALUE}': {exc}; the owner"
            " label is what keeps other owners' containers out of reach. Nothing was changed.",
            rule=workload_spec.RULE_BAD_VALUE,
        ) from None
    return dict(args, purge=purge, owner=owner)


class HostIO(Protocol):
    """What the reconcile needs of the task it runs in: the host, the task's variables and
    flags, module runs on the host, and warnings for the play's output."""

    host: str | None
    task_vars: dict[str, Any]
    check_mode: bool
    diff: bool

    def run_module(self, name: str, module_args: dict[str, Any]) -> dict[str, Any]: ...

    def warn(self, msg: str) -> None: ...


class ActionHostIO:
    """``HostIO`` over an action plugin: its ``_execute_module``, task flags and display."""

    def __init__(self, action: Any, task_vars: dict[str, Any]) -> None:
        self._action = action
        self.task_vars = task_vars
        self.host = task_vars.get("inventory_hostname")

    @property
    def check_mode(self) -> bool:
        return bool(self._action._task.check_mode)

    @property
    def diff(self) -> bool:
        return bool(self._action._task.diff)

    def run_module(self, name: str, module_args: dict[str, Any]) -> dict[str, Any]:
        def execute(args: dict[str, Any]) -> dict[str, Any]:
            return self._action._execute_module(
                module_name=name, module_args=args, task_vars=self.task_vars
            )

        # The reader returns raw data: rendered and mapped on the controller (host_read.py).
        return host_read.read(execute) if name == INFO_MODULE else execute(module_args)

    def warn(self, msg: str) -> None:
        self._action._display.warning(msg)


def reconcile(
    io: HostIO, options: dict[str, Any], read: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Bring the host's workloads to ``options`` (validated against ``ARGUMENT_SPEC``):
    the task result, with ``module_runs`` and every secret value redacted. ``read`` (a
    registered container_host_info result) stands for ``host_info``: no read is run."""
    if read is not None:
        options = dict(options, host_info=read)
    return WorkloadReconcile(io).run(options)


class WorkloadReconcile:
    """One reconcile of one host's workloads; ``run`` is the whole job."""

    def __init__(self, io: HostIO) -> None:
        self._io = io
        self._host = io.host
        self._task_vars = io.task_vars
        self._module_runs = 0
        self._lease_id: str | None = None
        self._end_lease_after = False

    def run(self, args: dict[str, Any]) -> dict[str, Any]:
        self._secrets: list[str] = redaction.secret_values(
            [c["password"] for c in args["registry_credentials"]],
            args.get("config_hash_key"),
            redaction.workload_secrets(args["workloads"]),
        )
        try:
            outcome = self._keep_going(args) if args["keep_going"] else self._reconcile(args)
        except EngineStoppedInCheckMode as exc:
            outcome = {"skipped": True, "changed": False, "msg": str(exc)}
        except WorkloadsFailure as exc:
            outcome = {"failed": True, "changed": False, "msg": exc.msg, **exc.extra}
        except (workload_spec.WorkloadSpecError, trust_policy.PolicyError) as exc:
            outcome = {
                "failed": True,
                "changed": False,
                "msg": f"{exc}. Nothing was changed.",
                "rule": exc.rule,
            }
        except host_facts.HostFactsError as exc:
            outcome = {"failed": True, "changed": False, "msg": f"host {self._host!r}: {exc}"}
        except refusal.Refusal as exc:
            outcome = {"failed": True, "changed": False, "msg": str(exc), "rule": exc.rule}
        if args["end_lease"] and args.get("lease_id") and not self._io.check_mode:
            self._end_lease(args, outcome)
        outcome["module_runs"] = self._module_runs
        return redaction.redact(outcome, self._secrets)

    # --- module runs --------------------------------------------------------------------

    def _run_module(self, name: str, module_args: dict[str, Any]) -> dict[str, Any]:
        self._module_runs += 1
        return self._io.run_module(name, module_args)

    def _read_host(self, given: dict[str, Any] | None = None) -> dict[str, Any]:
        if given is not None:
            info = _given_host_info(given, self._host)
        else:
            info = self._run_module(INFO_MODULE, {})
        if info.get("failed"):
            raise WorkloadsFailure(
                f"host {self._host!r}: container_host_info failed: {info.get('msg')}"
            )
        engine = info.get("engine") or {}
        foreign = _foreign_engine(engine)
        if foreign:
            raise WorkloadsFailure(f"host {self._host!r}: {foreign}")
        if not engine.get("installed") or engine.get("service_state") != "running":
            if self._io.check_mode and not engine.get("installed"):
                # A dry run of the whole site on a bare host: decide on trust alone.
                return _as_provisioned(info)
            if self._io.check_mode:
                # Installed but stopped: its containers cannot be listed, so no plan is honest.
                raise EngineStoppedInCheckMode(
                    f"check mode: host {self._host!r} has a container engine that is not running"
                    f" (service: {engine.get('service_state')}), so its containers cannot be"
                    " listed and its workloads cannot be planned; a real run of the site"
                    " playbook starts it first. Nothing was changed."
                )
            raise WorkloadsFailure(
                f"host {self._host!r}: the container engine is not running (installed:"
                f" {bool(engine.get('installed'))}, service: {engine.get('service_state')});"
                " provision the host first (role trustbound.wincontainers.container_host)."
                " Nothing was changed."
            )
        if engine.get("api_reachable") is False:
            raise WorkloadsFailure(
                f"host {self._host!r}: the docker service runs but its API does not answer on the"
                f" default pipe ({engine.get('api_error')}); run the container_host role to"
                " repair daemon.json. Nothing was changed."
            )
        return info

    def _end_lease(self, args: dict[str, Any], outcome: dict[str, Any]) -> None:
        """End the lease however the reconcile ended (``lease_ended`` in the result).

        A successful apply that carried the lease ended it; otherwise (nothing to change, a
        refusal, a failed step) an empty container_steps run with the lease id ends it."""
        if outcome.get("host_lock") is not None and not outcome.get("failed"):
            outcome["lease_ended"] = True
            return
        try:
            wait = host_lock.wait_seconds(args["lock_timeout"], self._host, "lock_timeout")
        except refusal.Refusal:
            wait = 0
        reply = self._run_module(
            STEPS_MODULE,
            executor_args.module_args([], lock_timeout=wait, lease_id=args["lease_id"]),
        )
        outcome["lease_ended"] = not reply.get("failed")
        if reply.get("failed"):
            why = f"the lease {args['lease_id']!r} could not be ended: {reply.get('msg')}"
            outcome["failed"] = True
            outcome["msg"] = (
                f"{outcome['msg']}; {why}"
                if outcome.get("msg")
                else (f"host {self._host!r}: {why}")
            )

    def _lock_holder(self) -> str:
        writer = "trustbound.wincontainers.container_workloads"
        return host_lock.holder(writer, self._task_vars, f"owner {self._owner!r}")

    def _run_steps(
        self, steps, secrets, credentials, *, containers=None, replan: bool = True
    ) -> dict[str, Any]:
        """One container_steps run of planned steps, through the one boundary both ways
        (executor_args): rendered command lines in, today's result shape out."""
        args = executor_args.module_args(
            steps,
            secrets=secrets,
            credentials=credentials,
            # The read the plan came from: the executor checks it before any step.
            containers=containers,
            lock_timeout=self._lock_timeout,
            lock_holder=self._lock_holder(),
            # A pull depends on no read: after a wait it is carried out, not planned again.
            replan_after_wait=replan,
            # Admitted while that lease holds the host; a normal end of the apply ends it.
            **({"lease_id": self._lease_id} if self._lease_id else {}),
            # With end_lease the reconcile ends the lease itself, however it ends: a failed
            # apply keeps it, so a keep-going restore's later runs still hold the host.
            **({"keep_lease_on_failure": True} if self._lease_id and self._end_lease_after else {}),
        )
        return executor_args.read_reply(list(steps), self._run_module(STEPS_MODULE, args))

    # --- the job ------------------------------------------------------------------------

    def _keep_going(self, args: dict[str, Any]) -> dict[str, Any]:
        """Reconcile; when a workload's change fails, or a workload is refused, set it aside
        (read again after a failed change) and reconcile the rest.

        A refusal that names no workload of the list (a bad option, an engine that does not
        answer) still ends the task (it is raised). Each workload set aside is reported in
        ``not_reconciled`` with the message of its failure or refusal.
        """
        remaining = inputs.to_list(args["workloads"], "container_workloads")
        not_reconciled: list[dict[str, Any]] = []
        changed = False
        while True:
            try:
                outcome = self._reconcile(dict(args, workloads=remaining))
            except (
                WorkloadsFailure,
                workload_spec.WorkloadSpecError,
                trust_policy.PolicyError,
            ) as exc:
                refused = _refused_names(exc) & _names(remaining)
                if not refused:
                    raise
                text = (
                    exc.msg if isinstance(exc, WorkloadsFailure) else f"{exc}. Nothing was changed."
                )
                not_reconciled += [
                    {
                        "name": name,
                        "msg": text.replace("Nothing was changed.", "Nothing was changed for it."),
                    }
                    for name in sorted(refused)
                ]
                remaining = [w for w in remaining if _name(w) not in refused]
                if not remaining:
                    outcome = {"changed": False}
                    break
                continue
            changed = changed or bool(outcome.get("changed"))
            failed = {w["name"] for w in outcome.get("workloads") or [] if w.get("failed")}
            if not outcome.get("failed") or not failed:
                break
            not_reconciled += [{"name": name, "msg": outcome["msg"]} for name in sorted(failed)]
            remaining = [w for w in remaining if _name(w) not in failed]
            if not remaining:
                break
            # The failed apply changed the host: the next plan starts from a new read.
            args = dict(args, host_info=None)
        last_failure = outcome.get("msg") if outcome.get("failed") else None
        outcome["changed"] = changed
        outcome["not_reconciled"] = not_reconciled
        if not_reconciled:
            names = ", ".join(repr(entry["name"]) for entry in not_reconciled)
            reasons = "; ".join(entry["msg"] for entry in not_reconciled)
            settled = len(remaining) if remaining and not last_failure else 0
            rest = (
                f"; then the others failed too: {last_failure}"
                if last_failure and remaining
                else f"; every other workload was reconciled ({settled} of"
                f" {settled + len(not_reconciled)})"
            )
            outcome.update(
                failed=True,
                msg=f"host {self._host!r}: not brought to their state: {names} ({reasons}){rest}",
            )
        return outcome

    def _reconcile(self, args: dict[str, Any], attempt: int = 1) -> dict[str, Any]:
        host = self._host
        check_mode = bool(self._io.check_mode)
        _check_start_timeout(args["start_timeout"], host)
        args = read_options(args, host)
        self._owner = args["owner"]
        self._lock_timeout = host_lock.wait_seconds(
            args["lock_timeout"], host, "container_workloads_lock_timeout"
        )
        self._lease_id = args["lease_id"]
        self._end_lease_after = bool(args.get("end_lease"))
        self._refuse_newer = args["refuse_newer_revision_under_process"]
        specs = workload_spec.normalise_workloads(args["workloads"], host=host)
        self._secrets = redaction.secret_values(self._secrets, [spec.secret_env for spec in specs])
        hash_key = None
        if args.get("config_hash_key"):
            hash_key = container_plan.host_hash_key(args["config_hash_key"], host or "")
        elif any(spec.secret_env for spec in specs):
            self._io.warn(
                f"host {host!r}: container_workloads_config_hash_key is not set, so the config"
                " hash does not cover secret_env values: a changed secret value does not replace"
                " its container. Set the key (in a vault or an AWX credential) to roll secret"
                " changes out."
            )

        info = self._read_host(args["host_info"])
        engine = info.get("engine") or {}
        pipes = workload_spec.engine_pipe_names(engine.get("daemon_config"))
        if pipes != workload_spec.ENGINE_PIPE_NAMES:
            specs = workload_spec.normalise_workloads(
                args["workloads"], host=host, engine_pipes=pipes
            )
        policy_host = host_facts.policy_host(info, trust_options.trust_hostvars(args), host)
        unprovisioned = bool(info.get(NOT_PROVISIONED))
        if unprovisioned and not policy_host.get("hyperv_available"):
            installable, _why = host_facts.hyperv_installable(info)
            policy_host["hyperv_available"] = installable is not False
        images = list(info.get("images") or [])
        self._data_root = mount_policy.data_root(engine.get("daemon_config"))
        self._refuse(
            ownership.name_conflicts(
                specs,
                info.get("containers") or [],
                owner=args["owner"],
                adopt=args["adopt"],
                host=host,
            )
            + ownership.port_conflicts(
                specs,
                info.get("containers") or [],
                owner=args["owner"],
                purge=args["purge"],
                host=host,
            )
        )

        present = [spec for spec in specs if spec.state != "absent"]
        cpu_problems = workload_spec.refuse_cpus_over_host(
            present, _processors(info.get("machine") or {}), host
        )
        self._refuse(cpu_problems)
        trusted = workload_trust.for_host(  # issue 20: limits, image sources, networks
            specs,
            args,
            host,
            host_boundary=policy_host.get("trust_boundary", ""),
            os_build=host_facts.os_build(info),
            logical_processors=_processors(info.get("machine") or {}),
            existing_networks=info.get("networks"),
        )
        self._refuse(trusted.problems)
        specs = trusted.specs
        present = [spec for spec in specs if spec.state != "absent"]
        # Refusals that do not depend on the image's version come before any pull.
        self._decide_all(present, images, policy_host)
        missing = _missing_images(present, images)
        pulled: list[str] = []
        if missing and not check_mode:
            images += self._pull(missing, args["registry_credentials"])
            pulled = sorted(missing)
        decisions = self._decide_all(present, images, policy_host, pulled)

        desired = []
        for spec in present:
            decision = decisions[spec.name]
            image = container_plan.find_image(images, spec.image)
            decision_view = {
                "isolation": decision.isolation,
                "user": decision.user,
                "reasons": list(decision.reasons),
                "rules": list(decision.rules),
            }
            decision_view["reasons"].extend(trusted.reasons.get(spec.name, []))
            if image is None:
                decision_view["reasons"].append(
                    f"image version unknown: {spec.image} is not on the host and check mode"
                    " does not pull it; decided on trust alone"
                )
                if trust_policy.isolation_undecided(decision):
                    decision_view.update(
                        isolation=trust_policy.UNDECIDED, isolation_note=trust_policy.UNDECIDED_TEXT
                    )
            desired.append(
                container_plan.Desired(
                    spec=spec,
                    isolation=decision.isolation,
                    user=decision.user,
                    trust_boundary=spec.trust_boundary or policy_host.get("trust_boundary", ""),
                    trust_level=spec.trust_level or trust_policy.TRUSTED,
                    image_id=(image or {}).get("id"),
                    decision=decision_view,
                    hash_key=hash_key,
                )
            )
        for spec in specs:
            if spec.state == "absent":
                desired.append(container_plan.Desired(spec=spec, decision={}))

        # The policy accepted the flag above, so it reads as a boolean.
        allow_admin = inputs.optional_bool(
            policy_host.get("allow_container_admin"), "wincontainers_allow_container_admin", False
        )
        actual = container_plan.with_effective_users(info.get("containers") or [], images)
        plan = container_plan.plan(
            desired,
            actual,
            owner=args["owner"],
            purge=args["purge"],
            enforcement=args["enforcement"],
            allow_admin=allow_admin,
            start_timeout=args["start_timeout"],
            networks=trusted.networks,
        )

        outcome: dict[str, Any] = {
            # A pull changes the host even when no container changes.
            "changed": plan.changed or bool(pulled),
            "summary": [_summary_line(entry) for entry in plan.workloads],
            "decisions": {
                _summary_line(entry): list((entry.get("decision") or {}).get("reasons") or [])
                for entry in plan.workloads
            },
            "workloads": plan.workloads,
            "steps": _shown_steps(plan),
            "noncompliant": plan.noncompliant,
            "pulled": pulled,
        }
        if self._io.diff and plan.diffs:
            outcome["diff"] = plan.diffs
        for finding in plan.noncompliant:
            if args["enforcement"] == container_plan.ENFORCE:
                self._io.warn(f"host {host!r}: container {finding['name']!r} {finding['reason']}")

        if plan.steps and not check_mode:
            outcome["plan_attempts"] = attempt
            self._apply(plan, info.get("containers") or [], outcome)
            if outcome.pop("replan", False):
                # Another run changed the host while this one waited for the lock: this plan
                # came from the read before that change, so read and plan again.
                if attempt < MAX_PLAN_ATTEMPTS:
                    return self._reconcile(dict(args, host_info=None), attempt + 1)
                outcome.update(
                    failed=True,
                    changed=bool(pulled),
                    msg=f"host {host!r}: other runs changed the host while this one waited for"
                    f" the host lock, {attempt} times; no step was carried out. Run again when"
                    " they are done.",
                )
        elif unprovisioned:
            outcome["msg"] = (
                f"check mode: host {host!r} has no running container engine yet, so this plan"
                " is decided on trust alone, as the host will be once provisioned (no image"
                " versions known, Hyper-V where provisioning installs it):"
                f" {len(plan.steps)} step(s) planned, none carried out"
            )
        elif check_mode:
            outcome["msg"] = f"check mode: {len(plan.steps)} step(s) planned, none carried out"

        if plan.noncompliant and args["enforcement"] == container_plan.REPORT:
            names = ", ".join(repr(f["name"]) for f in plan.noncompliant)
            outcome.update(
                failed=True,
                msg=(
                    f"host {host!r}: container(s) {names} run as an administrator account and"
                    " the host does not allow admin containers (rule 'admin-user');"
                    " enforcement is 'report', so they were left as they are"
                ),
            )
        return outcome

    def _newer_revision_refusal(self, spec, decision, os_version, policy_host) -> str | None:
        """With refuse_newer_revision_under_process: an image revision newer than the host's
        under process isolation, which fails to start (HCS 0xc0370106), refused before."""
        if not self._refuse_newer or decision.isolation != trust_policy.PROCESS or not os_version:
            return None
        image = WindowsVersion.parse(os_version)
        host = WindowsVersion.parse(policy_host["os_version"])
        if image.build != host.build or image.revision <= host.revision:
            return None
        return (
            f"host {self._host!r}, workload {spec.name!r}: refused by rule"
            f" '{RULE_NEWER_REVISION}': its image {spec.image} is now at revision {image.revision},"
            f" newer than the host's {host.revision}, and it runs under process isolation, where"
            " such containers fail to start (0xc0370106). Patch the host first"
            " (playbooks/patch.yml) or run the workload under Hyper-V isolation"
        )

    def _decide_all(
        self, specs, images, policy_host, pulled=()
    ) -> dict[str, trust_policy.Decision]:
        decisions = {}
        problems: list[str] = []
        refused: list[workload_spec.SpecProblem] = []
        rule = None
        for spec in specs:
            image = container_plan.find_image(images, spec.image)
            os_version = (image or {}).get("os_version") or None
            try:
                decision = trust_policy.decide(spec.policy_input(os_version), policy_host)
            except trust_policy.PolicyError as exc:
                problems.append(str(exc))
                refused.append(workload_spec.SpecProblem(self._host, spec.name, exc.rule, None, ""))
                rule = rule or exc.rule
                continue
            refusals = [
                workload_spec.refuse_network_under_hyperv(spec, decision.isolation, self._host),
                *self._mount_refusals(spec, decision),
            ]
            refusals = [refusal for refusal in refusals if refusal is not None]
            newer = self._newer_revision_refusal(spec, decision, os_version, policy_host)
            if newer is not None:
                problems.append(newer)
                refused.append(
                    workload_spec.SpecProblem(self._host, spec.name, RULE_NEWER_REVISION, None, "")
                )
                rule = rule or RULE_NEWER_REVISION
                continue
            if refusals:
                problems.extend(str(refusal) for refusal in refusals)
                refused.extend(refusals)
                rule = rule or refusals[0].rule
                continue
            decisions[spec.name] = decision
        if problems:
            if not pulled:
                failure = WorkloadsFailure(
                    "; ".join(problems) + ". Nothing was changed.", rule=rule
                )
                failure.errors = refused
                raise failure
            failure = WorkloadsFailure(
                "; ".join(problems) + f". No container was changed; the image(s) pulled to"
                f" learn their OS version stay on the host: {', '.join(pulled)}.",
                rule=rule,
                changed=True,
                pulled=list(pulled),
            )
            failure.errors = refused
            raise failure
        return decisions

    def _refuse(self, problems: list[workload_spec.SpecProblem]) -> None:
        if problems:
            failure = WorkloadsFailure(
                "; ".join(str(p) for p in problems) + ". Nothing was changed.",
                rule=problems[0].rule,
            )
            failure.errors = list(problems)
            raise failure

    def _mount_refusals(self, spec, decision) -> list[workload_spec.SpecProblem]:
        """Host system paths and named pipes, for a workload trust sends to Hyper-V."""
        if not decision.hyperv_required:
            return []
        sources = [mount.source for mount in spec.mounts if mount.source]
        return [
            workload_spec.SpecProblem(self._host, repr(spec.name), rule, "volumes", detail)
            for rule, detail in mount_policy.hyperv_mount_problems(
                sources,
                allow_named_pipes=spec.allow_named_pipe_mounts,
                data_root_path=self._data_root,
            )
        ]

    def _pull(self, refs, credentials) -> list[dict[str, Any]]:
        by_registry = {c["registry"].lower(): c for c in credentials}
        steps = []
        for ref, workload in sorted(refs.items()):
            step = {"action": "pull", "image": ref, "workload": workload}
            registry = image_registry(ref)
            if registry in by_registry:
                step["registry"] = by_registry[registry]["registry"]
            steps.append(step)
        reply = self._run_steps(steps, {}, credentials, replan=False)
        results = reply.get("results") or []
        if reply.get("failed"):
            step = _failed_pull(steps, reply)
            raise WorkloadsFailure(
                f"host {self._host!r}, workload {step['workload']!r}: pulling image"
                f" {step['image']} failed: {_engine_message(reply)}."
                " No container was changed.",
                pull_results=results,
                changed=any(r.get("changed") for r in results),
            )
        return [r["image"] for r in results if r.get("action") == "pull" and r.get("image")]

    def _apply(self, plan, containers, outcome) -> None:
        # No pull runs here: registry passwords stay on the controller.
        reply = self._run_steps(plan.steps, plan.secrets, [], containers=containers)
        results = reply.get("results") or []
        outcome["host_lock"] = reply.get("lock")
        if reply.get("replan"):
            outcome["replan"] = True
            return
        if reply.get("failed") and reply.get("failed_step") is None:
            # Refused before any step: the host lock is held by another run.
            for step in outcome["steps"]:
                step["status"] = "not run"
            outcome.update(failed=True, msg=f"host {self._host!r}: {_engine_message(reply)}")
            return
        by_index = {r.get("index"): r for r in results if not r.get("rollback")}
        for index, step in enumerate(outcome["steps"]):
            ran = by_index.get(index)
            if ran is None:
                step["status"] = "not run"
            else:
                step.update(
                    status="ok" if ran.get("rc") == 0 else "failed",
                    rc=ran.get("rc"),
                    stderr=ran.get("stderr", ""),
                )
        rollback = [r for r in results if r.get("rollback")]
        outcome["rollback"] = rollback
        outcome["changed"] = (
            bool(outcome["pulled"])
            or bool(reply.get("changed"))
            or any(r.get("changed") for r in results)
        )
        if reply.get("failed"):
            failed = reply.get("failed_step")
            step = (
                plan.steps[failed] if isinstance(failed, int) and failed < len(plan.steps) else {}
            )
            workload = step.get("workload", "?")
            undone = ", ".join(
                f"{r.get('action')} {r.get('name')}"
                + ("" if r.get("rc") == 0 else f" (failed: {r.get('stderr')})")
                for r in rollback
            )
            outcome.update(
                failed=True,
                msg=(
                    f"host {self._host!r}, workload {workload!r}: {_engine_message(reply)}"
                    + (f"; rolled back: {undone}" if undone else "")
                    + "; the steps after it were not run"
                ),
            )
            for entry in outcome["workloads"]:
                if entry["name"] == workload:
                    entry["failed"] = True


def _failed_pull(steps: list[dict[str, Any]], reply: dict[str, Any]) -> dict[str, Any]:
    """The pull step that failed: by ``failed_step``, else the result with a non-zero rc, else
    (the module failed before any step, e.g. on its arguments) every image it was to pull."""
    failed = reply.get("failed_step")
    if isinstance(failed, int) and not isinstance(failed, bool) and 0 <= failed < len(steps):
        return steps[failed]
    for result in reply.get("results") or []:
        index = result.get("index")
        if result.get("rc") not in (0, None) and isinstance(index, int) and index < len(steps):
            return steps[index]
    return {
        "workload": ", ".join(sorted({s["workload"] for s in steps})),
        "image": ", ".join(s["image"] for s in steps),
    }


def _processors(machine: dict[str, Any]) -> Any:
    """What dockerd counts: one processor group (at most 64), when the host reports it."""
    group = machine.get("group_processors")
    return group if group is not None else machine.get("logical_processors")


def _foreign_engine(engine: dict[str, Any]) -> str | None:
    r"""Why the executor cannot act on an engine the collection did not install, or None.

    container_steps.ps1 runs only docker.exe in the collection's install path; a docker
    service that runs another dockerd.exe (Microsoft's install-docker-ce.ps1 registers
    %windir%\System32\dockerd.exe) can be read but not changed until container_engine takes
    it over (it re-registers the service with the pinned engine)."""
    binary = str(engine.get("service_binary") or "")
    if engine.get("installed") or engine.get("service_state") != "running" or not binary:
        return None
    cli = (engine.get("install_path") or host_read.INSTALL_PATH) + "\\docker.exe"
    return (
        f"the docker service runs {binary}, an engine this collection did not install"
        f" (rule engine-not-provisioned): the workloads' steps run only {cli}. Provision"
        " the host first (role trustbound.wincontainers.container_host), which registers the"
        " pinned engine in its place and starts the running containers again. Nothing was"
        " changed."
    )


def _check_start_timeout(value: int, host: str | None) -> None:
    if not 1 <= value <= workload_spec.MAX_TIMEOUT_SECONDS:
        raise WorkloadsFailure(
            f"host {host!r}: refused by rule '{workload_spec.RULE_BAD_VALUE}': start_timeout"
            f" must be a whole number of seconds from 1 to {workload_spec.MAX_TIMEOUT_SECONDS}"
            f" (container_workloads_start_timeout), got {value}. Nothing was changed.",
            rule=workload_spec.RULE_BAD_VALUE,
        )


# The sections of a read the deployment decides on.
HOST_INFO_SECTIONS = ("os", "engine", "images", "containers")


def _given_host_info(given: dict[str, Any], host: str | None) -> dict[str, Any]:
    """The ``host_info`` option: a registered container_host_info result, checked for shape.
    A failed read is returned as it is, to fail the task with its own message."""
    if given.get("failed"):
        return given
    problem = host_facts.read_problem(given, HOST_INFO_SECTIONS)
    if problem:
        raise WorkloadsFailure(
            f"host {host!r}: refused by rule '{workload_spec.RULE_BAD_VALUE}': {problem}."
            " Nothing was changed.",
            rule=workload_spec.RULE_BAD_VALUE,
        )
    return given


def _missing_images(specs, images) -> dict[str, str]:
    """Image reference -> first workload that needs it, for images not on the host."""
    missing: dict[str, str] = {}
    for spec in specs:
        if container_plan.find_image(images, spec.image) is None:
            missing.setdefault(spec.image, spec.name)
    return missing


def _shown_steps(plan: Any) -> list[dict[str, Any]]:
    """The planned steps as the result shows them: secrets masked; a create whose isolation
    waits for the image's version (check mode before the pull) says so."""
    undecided = {
        entry.get("name")
        for entry in plan.workloads
        if (entry.get("decision") or {}).get("isolation") == trust_policy.UNDECIDED
    }
    return [
        dict(step, status="planned")
        | (
            {"isolation": trust_policy.UNDECIDED}
            if step.get("action") == "create" and step.get("workload") in undecided
            else {}
        )
        for step in container_plan.masked_steps(plan.steps)
    ]


def _summary_line(entry: dict[str, Any]) -> str:
    decision = entry.get("decision") or {}
    line = f"{entry['name']}: {entry['action']}"
    if decision:
        isolation = decision.get("isolation_note") or decision["isolation"]
        line += f" ({isolation}, {decision['user']})"
    return line


def _engine_message(reply: dict[str, Any]) -> str:
    return str(reply.get("msg") or "container_steps failed without a message").strip()


def _name(entry: Any) -> Any:
    return entry.get("name") if isinstance(entry, dict) else None


def _names(entries: list[Any]) -> set[str]:
    return {name for name in map(_name, entries) if isinstance(name, str)}


def _refused_names(exc: Exception) -> set[str]:
    """The workload names a refusal is about (quoted as ``'web'`` in spec problems)."""
    if isinstance(exc, WorkloadsFailure):
        problems = exc.errors
    else:
        problems = getattr(exc, "errors", None) or [exc]
    return {str(getattr(p, "workload", "") or "").strip("'") for p in problems} - {""}
