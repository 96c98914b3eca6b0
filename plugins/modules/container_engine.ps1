#!powershell

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -PowerShell ..module_utils.DockerCli
#AnsibleRequires -PowerShell ..module_utils.HostLock
#AnsibleRequires -PowerShell ansible_collections.ansible.windows.plugins.module_utils.WebRequest

# Carries out the steps the container_engine action plugin planned on the
# controller (which validated the pin and the daemon.json). It decides
# nothing beyond reusing a cached zip whose SHA-256 already matches, and
# measures under the host lock what only the host knows at that moment.

$spec = @{
    options = @{
        runtime = @{ type = 'str'; choices = @('docker'); default = 'docker' }
        version = @{ type = 'str'; required = $true }
        url = @{ type = 'str' }
        checksum = @{ type = 'str'; required = $true }
        cache_dir = @{ type = 'path'; default = 'C:\ProgramData\wincontainers\downloads' }
        # Validated and turned into _steps/_daemon_config_text by the action plugin.
        daemon_config = @{ type = 'dict' }
        require_hyperv_isolation = @{ type = 'bool'; default = $false }
        # The action plugin uses it instead of reading the host again; never sent here.
        host_info = @{ type = 'dict' }
        start_timeout = @{ type = 'int'; default = 120 }
        # The download's proxy, named as ansible.windows' WebRequest options.
        use_proxy = @{ type = 'bool'; default = $true }
        proxy_url = @{ type = 'str' }
        proxy_username = @{ type = 'str' }
        proxy_password = @{ type = 'str'; no_log = $true }
        proxy_use_default_credential = @{ type = 'bool'; default = $false }
        _steps = @{
            type = 'list'
            elements = 'str'
            choices = @('install', 'unregister_service', 'remove_eventlog_source', 'register_service', 'protect_data_root', 'write_config', 'start', 'restart')
            default = @()
        }
        _daemon_config_text = @{ type = 'str' }
        # Paths, ACLs, the service's name and every command line, rendered by the action
        # plugin (plugin_utils/engine_host.py): no constant of the engine is written here.
        _engine_host = @{ type = 'dict'; required = $true }
        lock_timeout = @{ type = 'int'; default = 300 }
        lock_holder = @{ type = 'str'; default = 'trustbound.wincontainers.container_engine' }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
# Windows PowerShell 5.1 renders progress for every chunk Expand-Archive handles.
$ProgressPreference = 'SilentlyContinue'

$version = $module.Params.version
$url = $module.Params.url
$checksum = $module.Params.checksum.ToLowerInvariant()
$steps = @($module.Params._steps)
$engineHost = $module.Params._engine_host
$zip = Join-Path -Path $module.Params.cache_dir -ChildPath ('docker-{0}.zip' -f $version)

if ('write_config' -in $steps -and $null -eq $module.Params._daemon_config_text) {
    $module.FailJson('_daemon_config_text is required when _steps contains write_config')
}

$module.Result.steps = $steps
$module.Result.download = @{ path = $zip; url = $url; checksum = $checksum; reused = $false }
# Check mode says what would change; a run changes nothing until it holds the lock (a run
# refused for the lock changed nothing).
$module.Result.changed = $module.CheckMode -and $steps.Count -gt 0
$module.Result.rolled_back = $false
# The raw runs of the listing and of the one docker start; the controller maps them
# (plugin_utils/engine_restart.py container_report).
$module.Result.containers = @{}
$ranBefore = @()
# docker.exe runs without the host's DOCKER_* variables and without a profile's config.json.
$dockerEnvironment = New-DockerCliEnvironment -Module $module

Function Get-Sha256([string]$path) {
    (Get-FileHash -LiteralPath $path -Algorithm SHA256).Hash.ToLowerInvariant()
}

Function Format-Run([object]$run) {
    '(rc {0}): {1}' -f $run.rc, ($run.stderr + $run.stdout).Trim()
}

Function Get-DockerdVersion([string]$path) {
    if (-not (Test-Path -LiteralPath $path)) { return $null }
    $run = Invoke-NativeCommand -Executable $path -Arguments $engineHost.commands.dockerd_version
    if ($run.rc -eq 0 -and $run.stdout -match $engineHost.version_pattern) { return $Matches[1] }
    $null
}

# ServiceControllerStatus, lower-cased: running, stopped, startpending, stoppending,
# paused, pausepending, continuepending; absent when the service is not registered.
Function Get-ServiceState {
    $service = Get-Service -Name $engineHost.service_name -ErrorAction SilentlyContinue
    if ($service) { return ([string]$service.Status).ToLowerInvariant() }
    'absent'
}

# A service in a pending state accepts no control (ControlService fails with
# ERROR_SERVICE_CANNOT_ACCEPT_CTRL, learn.microsoft.com winsvc ControlService): dockerd
# reports StartPending with Accepts 0 until it has initialised, and the SCM starts it again
# 60 s after it failed (moby cmd/dockerd/service_windows.go Execute, registerService's
# failure actions). Returns the first steady state, or the pending one at the deadline.
# -Gone waits for the service to be absent: DeleteService only marks it, and it goes when
# the last handle to it closes (learn.microsoft.com winsvc DeleteService); until then
# CreateService fails with ERROR_SERVICE_MARKED_FOR_DELETE (1072).
Function Wait-SteadyService([switch]$Gone) {
    $deadline = (Get-Date).AddSeconds($module.Params.start_timeout)
    $state = Get-ServiceState
    while (($state -like '*pending' -or ($Gone -and $state -ne 'absent')) -and (Get-Date) -lt $deadline) {
        Start-Sleep -Seconds 1
        $state = Get-ServiceState
    }
    $state
}

Function Protect-Folder([string]$path, [string]$sddl) {
    if (-not (Test-Path -LiteralPath $path)) { New-Item -Path $path -ItemType Directory -Force | Out-Null }
    $acl = New-Object -TypeName Security.AccessControl.DirectorySecurity
    $acl.SetSecurityDescriptorSddlForm($sddl)
    Set-Acl -LiteralPath $path -AclObject $acl
}

# The download with ansible.windows' WebRequest util: its proxy options (use_proxy,
# proxy_url, proxy_username, proxy_password, proxy_use_default_credential) are read
# from this module's options of the same names.
Function Get-EngineZip {
    Protect-Folder $module.Params.cache_dir $engineHost.cache_sddl
    if ((Test-Path -LiteralPath $zip) -and ((Get-Sha256 $zip) -eq $checksum)) {
        $module.Result.download.reused = $true
        return
    }
    $partial = "$zip.partial"
    $failed = $null
    try {
        $request = Get-AnsibleWindowsWebRequest -Uri $url -Module $module
        Invoke-AnsibleWindowsWebRequest -Module $module -Request $request -Script ({
                param([Net.WebResponse]$Response, [IO.Stream]$Stream)
                $file = [IO.File]::Create($partial)
                try { $Stream.CopyTo($file) } finally { $file.Dispose() }
            }.GetNewClosure())
    }
    catch { $failed = $_ }
    # Invoke-AnsibleWindowsWebRequest sets msg, status_code and elapsed on the module's result.
    foreach ($key in 'msg', 'status_code', 'elapsed') { $module.Result.Remove($key) | Out-Null }
    if ($failed) {
        Remove-Item -LiteralPath $partial -Force -ErrorAction SilentlyContinue
        $module.FailJson("Failed to download $url : $($failed.Exception.Message)", $failed)
    }
    $actual = Get-Sha256 $partial
    if ($actual -ne $checksum) {
        Remove-Item -LiteralPath $partial -Force
        $module.FailJson(("The checksum for {0} did not match '{1}', it was '{2}'" -f $url, $checksum, $actual))
    }
    Move-Item -LiteralPath $partial -Destination $zip -Force
}

# Stopped, and dockerd.exe's process gone: the service reports SERVICE_STOPPED before
# its process has exited, and a running image cannot be overwritten.
Function Stop-Engine {
    $state = Wait-SteadyService
    if ($state -in @('running', 'paused')) {
        Stop-Service -Name $engineHost.service_name -Force -ErrorAction Stop
        $state = Wait-SteadyService
    }
    if ($state -notin @('stopped', 'absent')) {
        throw ('the {0} service is {1}, not stopped, after {2} s' -f $engineHost.service_name, $state, $module.Params.start_timeout)
    }
    foreach ($process in @(Get-Process -Name $engineHost.dockerd_process -ErrorAction SilentlyContinue | Where-Object { $_.Path -eq $engineHost.dockerd })) {
        if (-not $process.WaitForExit($module.Params.start_timeout * 1000)) {
            throw ('{0} (pid {1}) did not exit within {2} s after the service stopped' -f $engineHost.dockerd, $process.Id, $module.Params.start_timeout)
        }
    }
}

# dockerd logs why it stopped to the Application event log (source docker); $otherwise
# when it logged nothing since.
Function Get-StartError([datetime]$since, [string]$otherwise) {
    $filter = @{ LogName = 'Application'; ProviderName = $engineHost.service_name; Level = 2; StartTime = $since }
    $why = Get-WinEvent -FilterHashtable $filter -MaxEvents 1 -ErrorAction SilentlyContinue
    if ($why -and $why.Message) { return $why.Message }
    $otherwise
}

# Start-Service returning does not mean dockerd started: it reports the service
# running before NewDaemon (moby cmd/dockerd/daemon.go preNotifyReady), so the
# API is the only proof. Returns $null, or why the engine is not answering.
Function Start-Engine {
    $since = Get-Date
    try {
        if ((Wait-SteadyService) -ne 'running') { Start-Service -Name $engineHost.service_name -ErrorAction Stop }
    }
    catch {
        return 'The docker service failed to start: {0}' -f (Get-StartError $since $_.Exception.Message)
    }
    $deadline = $since.AddSeconds($module.Params.start_timeout)
    while ($true) {
        $run = Invoke-NativeCommand -Executable $engineHost.docker -Arguments $engineHost.commands.server_version -Environment $dockerEnvironment
        if ($run.rc -eq 0 -and $run.stdout.Trim()) { return $null }
        $last = ($run.stderr + $run.stdout).Trim()
        if ((Get-ServiceState) -eq 'stopped') {
            return 'The docker service started but dockerd exited during start-up: {0}' -f (Get-StartError $since $last)
        }
        if ((Get-Date) -gt $deadline) {
            return ('dockerd did not answer within {0} s: {1}' -f $module.Params.start_timeout, $last)
        }
        Start-Sleep -Seconds 1
    }
}

# Prepare: the zip copied into the module's private temporary directory, the copy's SHA-256
# verified (the cache may change after Get-EngineZip checked it; nobody else writes the
# copy) and unpacked there, and the unpacked dockerd.exe asked its version. Nothing on the
# host has changed when this returns.
Function Expand-Engine {
    Get-EngineZip
    $copy = Join-Path -Path $module.Tmpdir -ChildPath ('docker-{0}.zip' -f $version)
    Copy-Item -LiteralPath $zip -Destination $copy -Force
    $actual = Get-Sha256 $copy
    if ($actual -ne $checksum) {
        $module.FailJson(("The checksum for {0} did not match '{1}', it was '{2}'" -f $copy, $checksum, $actual))
    }
    $staging = Join-Path -Path $module.Tmpdir -ChildPath ('docker-{0}' -f $version)
    Expand-Archive -LiteralPath $copy -DestinationPath $staging -Force
    $unpackedRoot = Join-Path -Path $staging -ChildPath 'docker'
    $staged = Get-DockerdVersion (Join-Path -Path $unpackedRoot -ChildPath 'dockerd.exe')
    if ($staged -ne $version) {
        $module.FailJson(('the dockerd.exe in {0} reports version {1}, not the pinned {2}; nothing was changed' -f $url, $staged, $version))
    }
    $unpackedRoot
}

Function Remove-Backup {
    Remove-Item -LiteralPath $engineHost.install_backup, $engineHost.config_backup, $engineHost.config_staged -Recurse -Force -ErrorAction SilentlyContinue
}

Function Add-InstallPathToMachinePath {
    # The raw REG_EXPAND_SZ value: [Environment]::SetEnvironmentVariable would store the
    # expanded text as REG_SZ, freezing entries such as %SystemRoot%\system32.
    $machinePath = (Get-Item -LiteralPath $engineHost.environment_key).GetValue('Path', '', 'DoNotExpandEnvironmentNames')
    if (($machinePath -split ';' | ForEach-Object { $_.TrimEnd('\') }) -notcontains $engineHost.install_path) {
        $newPath = '{0};{1}' -f $machinePath.TrimEnd(';'), $engineHost.install_path
        Set-ItemProperty -LiteralPath $engineHost.environment_key -Name Path -Value $newPath -Type ExpandString
    }
}

# Every running container's full id (every owner's, hand-started ones too), listed once this
# run holds the host lock and before the engine stops: another writer may have replaced
# containers since the controller's read. Before an install our docker.exe may not exist
# yet: the CLI on PATH talks to the same pipe. When the API does not answer (daemon.json
# moved it off the default pipe) nothing is listed and the change that repairs it goes on.
Function Get-RunningContainer {
    $cli = if (Test-Path -LiteralPath $engineHost.docker) { $engineHost.docker } else { 'docker.exe' }
    try { $run = Invoke-NativeCommand -Executable $cli -Arguments $engineHost.commands.list_running -Environment $dockerEnvironment }
    catch { $run = @{ rc = -1; stdout = ''; stderr = $_.Exception.Message } }
    $module.Result.containers.listed = $run
    if ($run.rc -eq 0) { return @($run.stdout -split '\s+' | Where-Object { $_ }) }
}

# After the engine is back: ONE docker start of every container that ran before it stopped.
# docker/cli startContainersWithoutAttachments (cli/command/container/start.go, v20.10.24 and
# v28.2.2) starts each in turn, prints each started id to stdout and each error to stderr,
# and fails with "Error: failed to start containers: <ids>"; one that runs already answers 304 (moby
# daemon/start.go containerNotModifiedError), which the client takes as success (client
# checkResponseErr: 200-399).
Function Start-RanBefore {
    if ($ranBefore.Count -gt 0) {
        $module.Result.containers.started = Invoke-NativeCommand -Executable $engineHost.docker -Arguments $engineHost.commands.start_container -Batch $ranBefore -Environment $dockerEnvironment
    }
}

# dockerd applies this ACL to its data root only when it creates the root itself (moby
# daemon/daemon_windows.go setupDaemonRoot). Set-Acl on a folder propagates its inheritable
# entries to every existing child (SetNamedSecurityInfo, learn.microsoft.com aclapi), which
# would rewrite the ACLs of the image layers under windowsfilter: with layers there, the
# reset is skipped and reported; the controller warns.
Function Protect-DataRoot {
    if ((Test-Path -LiteralPath $engineHost.layers_path) -and @(Get-ChildItem -LiteralPath $engineHost.layers_path -Force).Count -gt 0) {
        $module.Result.data_root_acl = @{ protected = $false; reason = ('{0} holds image layers' -f $engineHost.layers_path) }
        return
    }
    Protect-Folder $engineHost.data_root $engineHost.data_root_sddl
    $module.Result.data_root_acl = @{ protected = $true; reason = '' }
}

# The switch: from its first change on, a failure puts the previous engine back.
Function Switch-Engine([string]$unpacked) {
    if ('install' -in $steps -or 'restart' -in $steps -or 'protect_data_root' -in $steps) { Stop-Engine }
    if ('install' -in $steps) {
        New-Item -Path $engineHost.install_path -ItemType Directory -Force | Out-Null
        foreach ($file in Get-ChildItem -LiteralPath $unpacked -File) {
            $target = Join-Path -Path $engineHost.install_path -ChildPath $file.Name
            try { Copy-Item -LiteralPath $file.FullName -Destination $target -Force -ErrorAction Stop }
            catch { throw ('Failed to replace {0}: {1}' -f $target, $_.Exception.Message) }
        }
        Add-InstallPathToMachinePath
    }
    if ('unregister_service' -in $steps) {
        # The service runs another dockerd.exe: remove it so ours is registered.
        Stop-Engine
        $run = Invoke-NativeCommand -Executable $engineHost.commands.unregister_service[0] -Arguments @($engineHost.commands.unregister_service | Select-Object -Skip 1)
        if ($run.rc -ne 0) { throw ('sc.exe delete failed {0}' -f (Format-Run $run)) }
        if ((Wait-SteadyService -Gone) -ne 'absent') {
            throw ('the {0} service is marked for deletion and still exists after {1} s: a program holds it open (services.msc, Event Viewer); close it and run again' -f $engineHost.service_name, $module.Params.start_timeout)
        }
    }
    if ('remove_eventlog_source' -in $steps) {
        Remove-Item -LiteralPath $engineHost.eventlog_key -Recurse -Force -ErrorAction SilentlyContinue
    }
    if ('register_service' -in $steps) {
        $run = Invoke-NativeCommand -Executable $engineHost.dockerd -Arguments $engineHost.commands.register_service
        if ($run.rc -ne 0) { throw ('dockerd --register-service failed {0}' -f (Format-Run $run)) }
    }
    if ('protect_data_root' -in $steps) { Protect-DataRoot }
    if ('write_config' -in $steps) { Move-Item -LiteralPath $engineHost.config_staged -Destination $engineHost.config_path -Force }
    if ('restart' -in $steps -or 'start' -in $steps) { Start-Engine }
}

# Puts the previous engine back; returns why it would not start again, or $null.
Function Undo-Switch([bool]$hadBinaries, [bool]$hadConfig, [string]$oldImagePath, [bool]$wasRunning) {
    try {
        Stop-Engine
        if ($hadBinaries) {
            Copy-Item -Path (Join-Path -Path $engineHost.install_backup -ChildPath '*') -Destination $engineHost.install_path -Recurse -Force
        }
        if ($hadConfig) { Copy-Item -LiteralPath $engineHost.config_backup -Destination $engineHost.config_path -Force }
        elseif ('write_config' -in $steps -and (Test-Path -LiteralPath $engineHost.config_path)) { Remove-Item -LiteralPath $engineHost.config_path -Force }
        if ($oldImagePath) {
            # Point the service at the binary it ran before (create it again if it is gone).
            $verb = if ((Get-ServiceState) -eq 'absent') { $engineHost.commands.service_create } else { $engineHost.commands.service_config }
            $run = Invoke-NativeCommand -Executable $verb[0] -Arguments (@($verb | Select-Object -Skip 1) + $oldImagePath)
            if ($run.rc -ne 0) { throw ('{0} failed {1}' -f ($verb -join ' '), (Format-Run $run)) }
        }
        $why = if ($wasRunning) { Start-Engine }
        # Kept when the rollback failed: the only copy of the previous engine.
        Remove-Backup
        $why
    }
    catch {
        $kept = @($engineHost.install_backup, $engineHost.config_backup) | Where-Object { Test-Path -LiteralPath $_ }
        $_.Exception.Message + $(if ($kept) { '; the previous engine is kept in ' + ($kept -join ' and ') })
    }
}

Function Invoke-Change {
    # Checked before anything, the download too: a backup an earlier change left (its rollback
    # failed, or it did not finish) may be the only copy of a working engine, so it is never
    # overwritten or removed here.
    $left = @($engineHost.install_backup, $engineHost.config_backup) | Where-Object { Test-Path -LiteralPath $_ }
    if ($left) {
        $module.FailJson(('{0}: left by an earlier engine change that did not finish; restore the engine from it or delete it, then run again. Nothing was changed' -f ($left -join ' and ')))
    }
    $wasRunning = (Wait-SteadyService) -eq 'running'
    $stopsEngine = @($steps | Where-Object { $_ -in @('install', 'restart', 'unregister_service', 'protect_data_root') }).Count -gt 0
    $beforeVersion = Get-DockerdVersion $engineHost.dockerd
    $oldImagePath = if ('unregister_service' -in $steps) {
        [string](Get-ItemProperty -LiteralPath $engineHost.service_key -Name ImagePath -ErrorAction SilentlyContinue).ImagePath
    }
    # Binaries and daemon.json are only kept when they are about to be replaced: a backup left
    # after a failure is then always the only copy of what it holds.
    $hadBinaries = ('install' -in $steps) -and (Test-Path -LiteralPath $engineHost.dockerd)
    $hadConfig = ('write_config' -in $steps) -and (Test-Path -LiteralPath $engineHost.config_path)
    $unpacked = if ('install' -in $steps) { Expand-Engine }
    if ('write_config' -in $steps) {
        New-Item -Path (Split-Path -Path $engineHost.config_path -Parent) -ItemType Directory -Force | Out-Null
        # UTF-8 without a byte order mark: the text is the controller's canonical JSON.
        [IO.File]::WriteAllText($engineHost.config_staged, $module.Params._daemon_config_text, (New-Object -TypeName Text.UTF8Encoding -ArgumentList $false))
    }
    if ($hadBinaries) { Copy-Item -LiteralPath $engineHost.install_path -Destination $engineHost.install_backup -Recurse -Force }
    if ($hadConfig) { Copy-Item -LiteralPath $engineHost.config_path -Destination $engineHost.config_backup -Force }

    # Listed last before the switch: a listing without a start in the result means the switch
    # failed and the engine did not answer again.
    if ($wasRunning -and $stopsEngine) { $script:ranBefore = @(Get-RunningContainer) }
    try { $failure = Switch-Engine $unpacked }
    catch { $failure = $_.Exception.Message }

    # Something was switched on an installed engine: put the previous one back.
    $canRollBack = ($null -ne $beforeVersion -and ($hadBinaries -or 'write_config' -in $steps)) -or $oldImagePath
    if ($failure -and $canRollBack) {
        $again = Undo-Switch $hadBinaries $hadConfig $oldImagePath $wasRunning
        if ($again) {
            $module.FailJson(('{0}; rolling back to docker {1} failed too: {2}' -f $failure, $beforeVersion, $again))
        }
        $module.Result.rolled_back = $true
        Start-RanBefore
        $running = if ($wasRunning) { ', engine running again' } else { '' }
        $module.FailJson(('{0}; rolled back to docker {1} and the previous daemon.json{2}' -f $failure, $beforeVersion, $running))
    }
    if ($failure) {
        # Nothing switched to roll back: the engine that ran is started again, with its containers
        # (after a start that timed out in the switch, this waits start_timeout once more).
        $why = if ($wasRunning) { try { Start-Engine } catch { $_.Exception.Message } }
        if ($why) { $failure = '{0}; the engine did not start again: {1}' -f $failure, $why }
        elseif ($wasRunning) { Start-RanBefore }
        $module.FailJson($failure)
    }
    Remove-Backup
    Start-RanBefore
}

if (-not $module.CheckMode) {
    $hostLock = Enter-HostLock -Module $module -Timeout $module.Params.lock_timeout -Holder $module.Params.lock_holder
    # Under psrp the module runs in a long-lived process: the handle is closed however the
    # change ends (FailJson's exit runs finally blocks too, about_Try_Catch_Finally).
    try {
        $module.Result.lock = $hostLock.Info
        $module.Result.changed = $steps.Count -gt 0
        Invoke-Change
    }
    finally {
        Exit-HostLock -HostLock $hostLock
    }
}

$module.Result.engine = @{ version = (Get-DockerdVersion $engineHost.dockerd); service_state = (Get-ServiceState) }
$module.ExitJson()
