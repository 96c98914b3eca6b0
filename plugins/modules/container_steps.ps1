#!powershell

# Copyright: (c) 2025, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -PowerShell ..module_utils.DockerCli
#AnsibleRequires -PowerShell ..module_utils.HostLock

# A narrow executor: it runs the docker command lines the controller rendered
# (plugins/plugin_utils/executor_args.py) and decides nothing. It stops at the first failed
# step, runs that step's on_failure steps, and returns each command's raw outcome; the
# controller maps them to results.

$spec = @{
    options = @{
        steps = @{
            type = 'list'
            elements = 'dict'
            required = $true
            options = @{
                action = @{
                    type = 'str'
                    required = $true
                    choices = @('pull', 'create', 'start', 'wait_running', 'stop', 'remove', 'rename', 'remove_image', 'ensure_network')
                }
                name = @{ type = 'str' }
                workload = @{ type = 'str' }
                image = @{ type = 'str' }
                container_id = @{ type = 'str' }
                commands = @{
                    type = 'list'
                    elements = 'dict'
                    default = @()
                    options = @{
                        argv = @{ type = 'list'; elements = 'str'; required = $true }
                        env = @{ type = 'dict' }
                        stdin = @{ type = 'str' }
                        capture = @{ type = 'bool'; default = $false }
                        undo = @{
                            type = 'list'
                            elements = 'dict'
                            options = @{
                                argv = @{ type = 'list'; elements = 'str'; required = $true }
                            }
                        }
                    }
                }
                skip_if = @{
                    type = 'dict'
                    options = @{
                        argv = @{ type = 'list'; elements = 'str'; required = $true }
                        env = @{ type = 'dict' }
                        stdin = @{ type = 'str' }
                        capture = @{ type = 'bool'; default = $false }
                        undo = @{
                            type = 'list'
                            elements = 'dict'
                            options = @{
                                argv = @{ type = 'list'; elements = 'str'; required = $true }
                            }
                        }
                    }
                }
                poll = @{
                    type = 'dict'
                    options = @{
                        command = @{
                            type = 'dict'
                            required = $true
                            options = @{
                                argv = @{ type = 'list'; elements = 'str'; required = $true }
                                env = @{ type = 'dict' }
                                stdin = @{ type = 'str' }
                                capture = @{ type = 'bool'; default = $false }
                                undo = @{
                                    type = 'list'
                                    elements = 'dict'
                                    options = @{
                                        argv = @{ type = 'list'; elements = 'str'; required = $true }
                                    }
                                }
                            }
                        }
                        success = @{ type = 'str'; required = $true }
                        failure = @{ type = 'list'; elements = 'str'; default = @() }
                        successes = @{ type = 'int'; default = 1 }
                        interval = @{ type = 'int'; default = 1 }
                        timeout = @{ type = 'int'; default = 10 }
                    }
                }
                diagnose = @{
                    type = 'list'
                    elements = 'dict'
                    default = @()
                    options = @{
                        argv = @{ type = 'list'; elements = 'str'; required = $true }
                        env = @{ type = 'dict' }
                        stdin = @{ type = 'str' }
                        capture = @{ type = 'bool'; default = $false }
                        undo = @{
                            type = 'list'
                            elements = 'dict'
                            options = @{
                                argv = @{ type = 'list'; elements = 'str'; required = $true }
                            }
                        }
                    }
                }
                'finally' = @{
                    type = 'list'
                    elements = 'dict'
                    default = @()
                    options = @{
                        argv = @{ type = 'list'; elements = 'str'; required = $true }
                        env = @{ type = 'dict' }
                        stdin = @{ type = 'str' }
                        capture = @{ type = 'bool'; default = $false }
                        undo = @{
                            type = 'list'
                            elements = 'dict'
                            options = @{
                                argv = @{ type = 'list'; elements = 'str'; required = $true }
                            }
                        }
                    }
                }
                on_failure = @{
                    type = 'list'
                    elements = 'dict'
                    options = @{
                        action = @{
                            type = 'str'
                            required = $true
                            choices = @('pull', 'create', 'start', 'wait_running', 'stop', 'remove', 'rename', 'remove_image', 'ensure_network')
                        }
                        name = @{ type = 'str' }
                        workload = @{ type = 'str' }
                        image = @{ type = 'str' }
                        container_id = @{ type = 'str' }
                        commands = @{
                            type = 'list'
                            elements = 'dict'
                            default = @()
                            options = @{
                                argv = @{ type = 'list'; elements = 'str'; required = $true }
                                env = @{ type = 'dict' }
                                stdin = @{ type = 'str' }
                                capture = @{ type = 'bool'; default = $false }
                                undo = @{
                                    type = 'list'
                                    elements = 'dict'
                                    options = @{
                                        argv = @{ type = 'list'; elements = 'str'; required = $true }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        preconditions = @{
            type = 'list'
            elements = 'dict'
            default = @()
            options = @{
                argv = @{ type = 'list'; elements = 'str'; required = $true }
                rc = @{ type = 'int'; default = 0 }
                stdout = @{ type = 'str'; default = '' }
            }
        }
        secrets = @{
            type = 'list'
            elements = 'dict'
            no_log = $true
            default = @()
            options = @{
                # The secret's name, not a secret: no_log false says so to validate-modules.
                key = @{ type = 'str'; required = $true; no_log = $false }
                value = @{ type = 'str'; required = $true; no_log = $true }
            }
        }
        # Used by the action plugin, which passes each password as a secret - ignored here.
        registry_credentials = @{
            type = 'list'
            elements = 'dict'
            default = @()
            options = @{
                registry = @{ type = 'str'; required = $true }
                username = @{ type = 'str'; required = $true }
                password = @{ type = 'str'; required = $true; no_log = $true }
            }
        }
        lock_timeout = @{ type = 'int'; default = 0 }
        lock_holder = @{ type = 'str'; default = 'trustbound.wincontainers.container_steps' }
        replan_after_wait = @{ type = 'bool'; default = $false }
        lease_id = @{ type = 'str'; default = '' }
        lease_seconds = @{ type = 'int'; default = 0 }
        keep_lease_on_failure = @{ type = 'bool'; default = $false }
        keep_lease = @{ type = 'bool'; default = $false }
        client_config = @{ type = 'str' }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

$steps = $module.Params.steps
# Key/value entries, not a dict: Ansible.Basic masks no_log suboption values, not dict values.
$secrets = @{}
foreach ($entry in $module.Params.secrets) {
    $secrets[$entry.key] = $entry.value
}
# Only the docker.exe the collection installs: container_engine.ps1 puts it in
# $env:ProgramFiles\docker beside dockerd.exe. No caller chooses the executable.
$docker = Join-Path -Path $env:ProgramFiles -ChildPath 'docker\docker.exe'
# The first words the controller renders (executor_args.py, docker_argv.py), and the
# CLI's global options, refused so a command can never reach another daemon or config.
$allowed = @('create', 'start', 'stop', 'rm', 'rename', 'pull', 'login', 'logout', 'logs', 'image', 'container', 'network')
$globalOptions = @('-H', '--host', '--context', '-c', '--config', '-l', '--log-level', '-D', '--debug', '--tls')

$module.Result.changed = $false
$module.Result.outcomes = [System.Collections.Generic.List[Object]]@()
$module.Result.failed_step = $null

# Every command in the options, however nested (a step's commands and their undo, skip_if,
# poll, diagnose, finally, on_failure steps; the preconditions): each has an argv.
Function Find-DockerCommand {
    param ($Node)
    if ($Node -is [Collections.IDictionary]) {
        if ($Node.ContainsKey('argv')) {
            $Node
        }
        foreach ($value in $Node.Values) {
            Find-DockerCommand -Node $value
        }
    }
    elseif ($Node -is [Collections.IList]) {
        foreach ($item in $Node) {
            Find-DockerCommand -Node $item
        }
    }
}

Function Assert-Command {
    param ($Command)
    $argv = @($Command.argv)
    if ($argv.Count -eq 0 -or $allowed -notcontains $argv[0]) {
        $module.FailJson("refused: '$($argv | Select-Object -First 1)' is not a docker subcommand this executor runs")
    }
    foreach ($word in $argv) {
        if ($word -eq '--') {
            break
        }
        if ($globalOptions -contains ($word -split '=', 2)[0]) {
            $module.FailJson("refused: the global option '$word' is not allowed")
        }
    }
    if ($Command.env) {
        foreach ($key in $Command.env.Values | Where-Object { -not $secrets.ContainsKey($_) }) {
            $module.FailJson("refused: secret '$key' is referenced by a step but missing from the secrets option")
        }
    }
    if ($Command.stdin -and -not $secrets.ContainsKey($Command.stdin)) {
        $module.FailJson("refused: secret '$($Command.stdin)' is referenced by a step but missing from the secrets option")
    }
}

Function Invoke-Docker {
    param ($Command)
    $environment = $baseEnvironment.Clone()
    if ($Command.env) {
        foreach ($name in $Command.env.Keys) {
            $environment[$name] = [string]$secrets[$Command.env[$name]]
        }
    }
    $stdin = if ($Command.stdin) { $secrets[$Command.stdin] } else { '' }
    $outcome = Invoke-NativeCommand -Executable $docker -Arguments $Command.argv -Stdin $stdin -Environment $environment
    if (-not $Command.capture) {
        $outcome.Remove('stdout')
    }
    $outcome
}

# Until the success answer came Poll.successes times in a row (not failed), or an error, a
# failure answer or the deadline (failed).
Function Invoke-Poll {
    param ($Poll)
    $deadline = [DateTime]::UtcNow.AddSeconds($Poll.timeout)
    $seen = 0
    while ($true) {
        $done = Invoke-Docker -Command @{ argv = $Poll.command.argv; capture = $true }
        $status = "$($done.stdout)".Trim()
        $seen = if ($done.rc -eq 0 -and $status -eq $Poll.success) { $seen + 1 } else { 0 }
        $over = $done.rc -ne 0 -or $Poll.failure -contains $status -or [DateTime]::UtcNow -gt $deadline
        if ($seen -ge $Poll.successes -or $over) {
            return $done + @{ failed = $seen -lt $Poll.successes }
        }
        Start-Sleep -Seconds $Poll.interval
    }
}

Function Invoke-Step {
    param ($Step, [int]$Index, [hashtable]$Mark = @{})
    $outcome = @{ index = $Index; failed = $false; commands = [System.Collections.Generic.List[Object]]@() } + $Mark
    try {
        if ($Step.skip_if -and (Invoke-Docker -Command $Step.skip_if).rc -eq 0) {
            $outcome.skipped = $true
            return $outcome
        }
        foreach ($command in @($Step.commands)) {
            $done = Invoke-Docker -Command $command
            $outcome.commands.Add($done)
            if ($done.rc -ne 0) {
                $outcome.failed = $true
                foreach ($undo in @($command.undo | Where-Object { $_ })) {
                    $null = Invoke-Docker -Command $undo
                }
                break
            }
        }
        if (-not $outcome.failed -and $Step.poll) {
            $polled = Invoke-Poll -Poll $Step.poll
            $outcome.failed = $polled.failed
            $polled.Remove('failed')
            $outcome.poll = $polled
        }
        if ($outcome.failed) {
            $outcome.diagnose = @(foreach ($command in @($Step.diagnose)) { Invoke-Docker -Command @{ argv = $command.argv; capture = $true } })
        }
    }
    catch {
        $outcome.failed = $true
        $outcome.stderr = $_.Exception.Message
    }
    finally {
        foreach ($command in @($Step.finally)) {
            # A failed logout loses no outcome.
            try { $null = Invoke-Docker -Command $command } catch { $outcome.finally_error = $_.Exception.Message }
        }
    }
    $outcome
}

foreach ($command in (Find-DockerCommand -Node @($steps, $module.Params.preconditions))) {
    Assert-Command -Command $command
}

if ($module.CheckMode) {
    $module.Result.changed = $steps.Count -gt 0
    $module.Result.carried_out = $false
    $module.Result.msg = "check mode: $($steps.Count) step(s) planned, none carried out"
    $module.ExitJson()
}

# No DOCKER_* variable and a client config of the run's own (DockerCli.psm1): a login lasts
# the run, in the config.json the controller rendered.
$baseEnvironment = New-DockerCliEnvironment -Module $module -ClientConfig $module.Params.client_config

$keepOnFailure = $module.Params.keep_lease_on_failure -or $module.Params.keep_lease
$hostLock = Enter-HostLock -Module $module -Timeout $module.Params.lock_timeout -Holder $module.Params.lock_holder -LeaseId $module.Params.lease_id
try {
    $module.Result.lock = $hostLock.Info
    $module.Result.replan = $false
    $replan = $null
    if ($module.Params.replan_after_wait -and $hostLock.Info.contended) {
        $replan = 'another run held the host lock when this one arrived'
    }
    foreach ($check in $module.Params.preconditions) {
        $done = Invoke-Docker -Command @{ argv = $check.argv; capture = $true }
        if (-not $replan -and ($done.rc -ne $check.rc -or ($done.stdout -replace "`r", '').Trim() -ne $check.stdout.Trim())) {
            $replan = "the host no longer matches the read: $($check.argv -join ' ')"
        }
    }
    if ($replan) {
        # The plan predates the host's state; a lease this run was let in on stays as it was.
        Exit-HostLock -HostLock $hostLock -KeepLease
        $module.Result.replan = $true
        $module.Result.msg = "$replan; no step carried out, since the plan predates that change"
        $module.ExitJson()
    }
    for ($i = 0; $i -lt $steps.Count; $i++) {
        $outcome = Invoke-Step -Step $steps[$i] -Index $i
        $module.Result.outcomes.Add($outcome)
        if (-not $outcome.failed) {
            $module.Result.changed = $module.Result.changed -or ($steps[$i].commands.Count -gt 0 -and -not $outcome.skipped)
            continue
        }
        $module.Result.failed_step = $i
        $undoSteps = @($steps[$i].on_failure | Where-Object { $_ })
        for ($p = 0; $p -lt $undoSteps.Count; $p++) {
            $undone = Invoke-Step -Step $undoSteps[$p] -Index $i -Mark @{ rollback = $true; position = $p }
            $module.Result.outcomes.Add($undone)
            $module.Result.changed = $module.Result.changed -or -not $undone.failed
        }
        # A failed run ends any lease, unless asked to keep the one it was given.
        Exit-HostLock -HostLock $hostLock -KeepLease:$keepOnFailure
        $named = @($steps[$i].name, $steps[$i].image) | Where-Object { $_ } | Select-Object -First 1
        $module.FailJson("step $i ($($steps[$i].action) $named) failed")
    }
    # A normal end leaves the lease asked for (none: an empty record).
    if ($module.Params.keep_lease) {
        Exit-HostLock -HostLock $hostLock -KeepLease
    }
    else {
        Exit-HostLock -HostLock $hostLock -LeaseId $module.Params.lease_id -LeaseSeconds $module.Params.lease_seconds
    }
}
finally {
    # Safe twice: under psrp the module runs in a long-lived process, so no path may leave
    # the handle open. An exception is a failed run: the lease as on a failed step.
    Exit-HostLock -HostLock $hostLock -KeepLease:$keepOnFailure
}
$module.Result.msg = "$($steps.Count) step(s) carried out"
$module.ExitJson()
