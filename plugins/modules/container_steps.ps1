#!powershell

# Copyright: (c) 2025, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#Requires -Module Ansible.ModuleUtils.ArgvParser
#Requires -Module Ansible.ModuleUtils.CommandUtil
#AnsibleRequires -PowerShell ..module_utils.HostLock

# Carries out an ordered list of docker steps planned on the controller
# (plugins/plugin_utils/container_plan.py). It decides nothing: it stops at the
# first failed step, runs that step's planned on_failure steps, and reports.

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
                subnet = @{ type = 'str' }
                workload = @{ type = 'str' }
                image = @{ type = 'str' }
                registry = @{ type = 'str' }
                isolation = @{ type = 'str'; choices = @('process', 'hyperv') }
                user = @{ type = 'str' }
                command = @{ type = 'list'; elements = 'str' }
                entrypoint = @{ type = 'str' }
                env = @{ type = 'dict' }
                ports = @{ type = 'list'; elements = 'str' }
                mounts = @{ type = 'list'; elements = 'str' }
                networks = @{ type = 'list'; elements = 'str' }
                restart_policy = @{ type = 'str' }
                memory_bytes = @{ type = 'str' }
                cpus = @{ type = 'float' }
                storage_bytes = @{ type = 'str' }
                labels = @{ type = 'dict' }
                timeout = @{ type = 'int' }
                force = @{ type = 'bool'; default = $false }
                new_name = @{ type = 'str' }
                on_failure = @{
                    type = 'list'
                    elements = 'dict'
                    options = @{
                        action = @{ type = 'str'; required = $true; choices = @('start', 'stop', 'remove', 'rename') }
                        name = @{ type = 'str'; required = $true }
                        workload = @{ type = 'str' }
                        timeout = @{ type = 'int' }
                        force = @{ type = 'bool'; default = $false }
                        new_name = @{ type = 'str' }
                    }
                }
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
        docker_path = @{ type = 'str'; default = 'docker.exe' }
        lock_timeout = @{ type = 'int'; default = 0 }
        lock_holder = @{ type = 'str'; default = 'trustbound.wincontainers.container_steps' }
        replan_after_wait = @{ type = 'bool'; default = $false }
        lease_id = @{ type = 'str'; default = '' }
        lease_seconds = @{ type = 'int'; default = 0 }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

$steps = $module.Params.steps
# A list of key/value entries, not a dict: Ansible.Basic masks the values of
# no_log suboptions, but only the type name of a no_log dict.
$secrets = @{}
foreach ($entry in $module.Params.secrets) {
    $secrets[$entry.key] = $entry.value
}
$credentials = $module.Params.registry_credentials
$docker = $module.Params.docker_path

$module.Result.changed = $false
$module.Result.results = [System.Collections.Generic.List[Object]]@()
$module.Result.failed_step = $null

Function Invoke-Docker {
    param (
        [string[]]$Arguments,
        [string]$Stdin = '',
        [hashtable]$Environment = $null
    )
    $commandLine = Argv-ToString -arguments (@($docker) + $Arguments)
    $runParams = @{ command = $commandLine; stdin = $Stdin }
    if ($null -ne $Environment) {
        $runParams.environment = $Environment
    }
    Run-Command @runParams
}

Function Resolve-StepValue {
    # A value is either plain text or @{ secret = '<key>' } naming an entry of
    # the no_log 'secrets' option.
    param ($Value)
    if ($Value -is [System.Collections.IDictionary]) {
        $key = $Value['secret']
        if (-not $secrets.ContainsKey($key)) {
            throw "secret '$key' is referenced by a step but missing from the secrets option"
        }
        return [string]$secrets[$key]
    }
    return [string]$Value
}

Function Get-CreateArgument {
    param ($Step, [hashtable]$SecretEnvironment)
    $argv = [System.Collections.Generic.List[string]]@(
        'create', '--name', $Step.name, '--isolation', $Step.isolation, '--user', $Step.user
    )
    if ($Step.entrypoint) {
        $argv.AddRange([string[]]@('--entrypoint', $Step.entrypoint))
    }
    if ($Step.env) {
        foreach ($envName in $Step.env.Keys) {
            $envValue = $Step.env[$envName]
            if ($envValue -is [System.Collections.IDictionary]) {
                # "-e NAME" makes the CLI copy the value from its own
                # environment: secrets stay off the command line.
                $SecretEnvironment[$envName] = Resolve-StepValue -Value $envValue
                $argv.AddRange([string[]]@('--env', $envName))
            }
            else {
                $argv.AddRange([string[]]@('--env', "$envName=$envValue"))
            }
        }
    }
    foreach ($port in @($Step.ports | Where-Object { $_ })) {
        $argv.AddRange([string[]]@('--publish', $port))
    }
    foreach ($mount in @($Step.mounts | Where-Object { $_ })) {
        $argv.AddRange([string[]]@('--volume', $mount))
    }
    $networks = @($Step.networks | Where-Object { $_ })
    if ($networks.Count -gt 0) {
        $argv.AddRange([string[]]@('--network', $networks[0]))
    }
    if ($Step.restart_policy) {
        $argv.AddRange([string[]]@('--restart', $Step.restart_policy))
    }
    if ($Step.memory_bytes -and $Step.memory_bytes -ne '0') {
        $argv.AddRange([string[]]@('--memory', [string]$Step.memory_bytes))
    }
    if ($Step.cpus) {
        $argv.AddRange([string[]]@('--cpus', $Step.cpus.ToString([System.Globalization.CultureInfo]::InvariantCulture)))
    }
    if ($Step.storage_bytes -and $Step.storage_bytes -ne '0') {
        $argv.AddRange([string[]]@('--storage-opt', "size=$($Step.storage_bytes)"))
    }
    if ($Step.labels) {
        foreach ($labelName in $Step.labels.Keys) {
            $argv.AddRange([string[]]@('--label', "$labelName=$($Step.labels[$labelName])"))
        }
    }
    $argv.Add($Step.image)
    foreach ($word in @($Step.command | Where-Object { $null -ne $_ })) {
        $argv.Add([string]$word)
    }
    return , $argv.ToArray()
}

Function Get-ImageSummary {
    param ([string]$Image)
    $inspect = Invoke-Docker -Arguments @('image', 'inspect', '--format', '{{json .}}', $Image)
    if ($inspect.rc -ne 0) {
        return $null
    }
    # Not ConvertFrom-Json: on Windows PowerShell 5.1 it refuses keys that differ only in case,
    # which image labels may have.
    $data = [Ansible.Basic.AnsibleModule]::FromJson($inspect.stdout)
    @{
        id = $data.Id
        repo_tags = @($data.RepoTags | Where-Object { $null -ne $_ })
        repo_digests = @($data.RepoDigests | Where-Object { $null -ne $_ })
        os_version = [string]$data.OsVersion
        user = [string]$data.Config.User
    }
}

Function Invoke-Pull {
    param ($Step)
    if (-not $Step.registry) {
        $pull = Invoke-Docker -Arguments @('pull', $Step.image)
    }
    else {
        $credential = $credentials | Where-Object { $_.registry -eq $Step.registry } | Select-Object -First 1
        if ($null -eq $credential) {
            return @{ rc = 1; stderr = "no registry credentials for '$($Step.registry)'" }
        }
        # A client config directory of this run's own (in the user's temp directory, closed
        # to other users): the login never touches the profile's config.json, concurrent
        # runs cannot log each other out, and nothing of it stays on disk.
        $config = Join-Path -Path ([IO.Path]::GetTempPath()) -ChildPath ('wincontainers-' + [Guid]::NewGuid())
        $null = New-Item -Path $config -ItemType Directory
        try {
            # The password goes through stdin; Run-Command ends it with CRLF, which
            # "docker login --password-stdin" strips.
            $loginArguments = @('--config', $config, 'login', $Step.registry, '--username', $credential.username, '--password-stdin')
            $login = Invoke-Docker -Arguments $loginArguments -Stdin $credential.password
            if ($login.rc -ne 0) {
                return @{ rc = $login.rc; stderr = $login.stderr }
            }
            $pull = Invoke-Docker -Arguments @('--config', $config, 'pull', $Step.image)
        }
        finally {
            $null = Invoke-Docker -Arguments @('--config', $config, 'logout', $Step.registry)
            Remove-Item -LiteralPath $config -Recurse -Force -ErrorAction SilentlyContinue
        }
    }
    $outcome = @{ rc = $pull.rc; stderr = $pull.stderr }
    if ($pull.rc -eq 0) {
        $outcome.image = Get-ImageSummary -Image $Step.image
    }
    $outcome
}

Function Invoke-WaitRunning {
    # Succeeds once the container is seen running on two polls in a row, a second
    # apart; fails as soon as it has exited, with its exit code and last log lines.
    # State.Running is also true while a restart policy restarts a crashing
    # container, so only State.Status "running" counts.
    param ($Step)
    $timeout = if ($null -ne $Step.timeout) { $Step.timeout } else { 10 }
    $deadline = [DateTime]::UtcNow.AddSeconds($timeout)
    $seenRunning = 0
    while ($true) {
        $inspect = Invoke-Docker -Arguments @('container', 'inspect', '--format', '{{json .State}}', $Step.name)
        if ($inspect.rc -ne 0) {
            return @{ rc = $inspect.rc; stderr = $inspect.stderr }
        }
        $state = [Ansible.Basic.AnsibleModule]::FromJson($inspect.stdout)
        if ($state.Status -eq 'running') {
            $seenRunning++
            if ($seenRunning -ge 2) {
                return @{ rc = 0; stderr = '' }
            }
        }
        else {
            $seenRunning = 0
        }
        if ($state.Status -in @('exited', 'dead')) {
            $logs = Invoke-Docker -Arguments @('logs', '--tail', '20', $Step.name)
            $lastLines = (($logs.stdout + $logs.stderr).Trim())
            return @{
                rc = 1
                stderr = "container '$($Step.name)' exited with code $($state.ExitCode) right after start; last log lines: $lastLines"
                exit_code = $state.ExitCode
            }
        }
        if ([DateTime]::UtcNow -gt $deadline) {
            return @{ rc = 1; stderr = "container '$($Step.name)' is not running after $timeout seconds (status $($state.Status))" }
        }
        Start-Sleep -Seconds 1
    }
}

Function Invoke-Step {
    param ($Step)
    switch ($Step.action) {
        'pull' {
            return Invoke-Pull -Step $Step
        }
        'create' {
            $secretEnvironment = @{}
            $argv = Get-CreateArgument -Step $Step -SecretEnvironment $secretEnvironment
            $environment = $null
            if ($secretEnvironment.Count -gt 0) {
                $environment = @{}
                foreach ($entry in [Environment]::GetEnvironmentVariables().GetEnumerator()) {
                    $environment[$entry.Key] = $entry.Value
                }
                foreach ($envName in $secretEnvironment.Keys) {
                    $environment[$envName] = $secretEnvironment[$envName]
                }
            }
            $created = Invoke-Docker -Arguments $argv -Environment $environment
            if ($created.rc -ne 0) {
                return $created
            }
            foreach ($network in @($Step.networks | Where-Object { $_ } | Select-Object -Skip 1)) {
                $connected = Invoke-Docker -Arguments @('network', 'connect', $network, $Step.name)
                if ($connected.rc -ne 0) {
                    # This step created the container: do not leave it half made, or the
                    # next run would take it for the finished one.
                    $null = Invoke-Docker -Arguments @('rm', '--force', $Step.name)
                    return $connected
                }
            }
            return $created
        }
        'start' {
            return Invoke-Docker -Arguments @('start', $Step.name)
        }
        'wait_running' {
            return Invoke-WaitRunning -Step $Step
        }
        'stop' {
            $timeout = if ($null -ne $Step.timeout) { $Step.timeout } else { 10 }
            # -t: "--time" is deprecated from docker 28 on, "--timeout" unknown before it.
            return Invoke-Docker -Arguments @('stop', '-t', [string]$timeout, $Step.name)
        }
        'remove' {
            $argv = @('rm')
            if ($Step.force) {
                $argv += '--force'
            }
            return Invoke-Docker -Arguments ($argv + @($Step.name))
        }
        'rename' {
            return Invoke-Docker -Arguments @('rename', $Step.name, $Step.new_name)
        }
        'remove_image' {
            # Without --force: docker refuses an image a container still uses.
            return Invoke-Docker -Arguments @('image', 'rm', $Step.image)
        }
        'ensure_network' {
            # User NAT networks do not survive a reboot on Server 2019 and later (Microsoft,
            # network-drivers-topologies.md): create it when docker does not know it.
            $found = Invoke-Docker -Arguments @('network', 'inspect', $Step.name)
            if ($found.rc -eq 0) {
                return $found
            }
            return Invoke-Docker -Arguments @('network', 'create', '--driver=nat', "--subnet=$($Step.subnet)", $Step.name)
        }
    }
}

Function Format-StepResult {
    param ($Step, [int]$Index, $Outcome, [bool]$Rollback)
    $result = @{
        index = $Index
        action = $Step.action
        name = if ($Step.name) { $Step.name } else { $Step.image }
        workload = $Step.workload
        changed = ($Step.action -ne 'wait_running') -and ($Outcome.rc -eq 0)
        rc = $Outcome.rc
        stderr = [string]$Outcome.stderr
        rollback = $Rollback
    }
    if ($Outcome.ContainsKey('image')) {
        $result.image = $Outcome.image
    }
    if ($Outcome.ContainsKey('exit_code')) {
        $result.exit_code = $Outcome.exit_code
    }
    $result
}

if ($module.CheckMode) {
    for ($i = 0; $i -lt $steps.Count; $i++) {
        $module.Result.results.Add(@{
                index = $i
                action = $steps[$i].action
                name = if ($steps[$i].name) { $steps[$i].name } else { $steps[$i].image }
                workload = $steps[$i].workload
                changed = $steps[$i].action -ne 'wait_running'
                rc = $null
                stderr = ''
                rollback = $false
            })
    }
    $module.Result.changed = $steps.Count -gt 0
    $module.Result.msg = "check mode: $($steps.Count) step(s) planned, none carried out"
    $module.ExitJson()
}

$hostLock = Enter-HostLock -Module $module -Timeout $module.Params.lock_timeout -Holder $module.Params.lock_holder -LeaseId $module.Params.lease_id
# A normal end leaves the lease asked for (none: an empty record); a failed run ends any lease.
$lease = @{ LeaseId = $module.Params.lease_id; LeaseSeconds = $module.Params.lease_seconds }
$module.Result.lock = $hostLock.Info
$module.Result.replan = $false
if ($module.Params.replan_after_wait -and $hostLock.Info.contended) {
    # The plan was made from a read taken before the other run's change; a lease this run
    # was let in on stays as it was.
    Exit-HostLock -HostLock $hostLock -KeepLease
    $module.Result.replan = $true
    $module.Result.msg = 'another run held the host lock when this one arrived; no step carried out, since the plan predates that run''s change'
    $module.ExitJson()
}

for ($i = 0; $i -lt $steps.Count; $i++) {
    $step = $steps[$i]
    try {
        $outcome = Invoke-Step -Step $step
    }
    catch {
        $outcome = @{ rc = 1; stderr = $_.Exception.Message }
    }
    $module.Result.results.Add((Format-StepResult -Step $step -Index $i -Outcome $outcome -Rollback $false))
    if ($outcome.rc -eq 0) {
        if ($step.action -ne 'wait_running') {
            $module.Result.changed = $true
        }
        continue
    }

    $module.Result.failed_step = $i
    $failureMessage = "step $i ($($step.action) $($step.name)) failed: $(([string]$outcome.stderr).Trim())"
    foreach ($undo in @($step.on_failure | Where-Object { $_ })) {
        try {
            $undoOutcome = Invoke-Step -Step $undo
        }
        catch {
            $undoOutcome = @{ rc = 1; stderr = $_.Exception.Message }
        }
        if ($undoOutcome.rc -eq 0) {
            $module.Result.changed = $true
        }
        $module.Result.results.Add((Format-StepResult -Step $undo -Index $i -Outcome $undoOutcome -Rollback $true))
    }
    Exit-HostLock -HostLock $hostLock
    $module.FailJson($failureMessage)
}

Exit-HostLock -HostLock $hostLock @lease
$module.Result.msg = "$($steps.Count) step(s) carried out"
$module.ExitJson()
