#!powershell

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#Requires -Module Ansible.ModuleUtils.ArgvParser
#Requires -Module Ansible.ModuleUtils.CommandUtil
#AnsibleRequires -PowerShell ..module_utils.HostLock

# Carries out the steps the container_engine action plugin planned on the
# controller (which validated the pin and the daemon.json). It decides
# nothing beyond reusing a cached zip whose SHA-256 already matches.

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
        _data_root = @{ type = 'str' }
        lock_timeout = @{ type = 'int'; default = 300 }
        lock_holder = @{ type = 'str'; default = 'trustbound.wincontainers.container_engine' }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
# Windows PowerShell 5.1 renders progress for every chunk Invoke-WebRequest and
# Expand-Archive handle, which slows a download of the engine zip to minutes.
$ProgressPreference = 'SilentlyContinue'

$version = $module.Params.version
$url = $module.Params.url
$checksum = $module.Params.checksum.ToLowerInvariant()
$steps = @($module.Params._steps)
$installPath = Join-Path -Path $env:ProgramFiles -ChildPath 'docker'
$configPath = Join-Path -Path $env:ProgramData -ChildPath 'docker\config\daemon.json'
$dockerd = Join-Path -Path $installPath -ChildPath 'dockerd.exe'
$docker = Join-Path -Path $installPath -ChildPath 'docker.exe'
# The binaries and daemon.json the switch replaces, kept until the new engine answers.
$backupPath = '{0}.previous' -f $installPath
$configBackup = '{0}.previous' -f $configPath
$configStaged = '{0}.new' -f $configPath
$serviceKey = 'HKLM:\SYSTEM\CurrentControlSet\Services\docker'
$eventLogKey = 'HKLM:\SYSTEM\CurrentControlSet\Services\EventLog\Application\docker'
$zip = Join-Path -Path $module.Params.cache_dir -ChildPath ('docker-{0}.zip' -f $version)

if (-not $url) {
    $module.FailJson('url is required (the container_engine action plugin supplies the default)')
}
if ('write_config' -in $steps -and $null -eq $module.Params._daemon_config_text) {
    $module.FailJson('_daemon_config_text is required when _steps contains write_config')
}

$module.Result.steps = $steps
$module.Result.download = @{ path = $zip; url = $url; checksum = $checksum; reused = $false }
$module.Result.changed = $steps.Count -gt 0
$module.Result.rolled_back = $false
$module.Result.containers = @{ restored = @(); not_restarted = @() }
$hostLock = $null
$ranBefore = @()

# Every failure once the host lock is held: the lock record emptied, then the module failed.
Function Exit-Failure {
    param([string]$Message, [Object]$ErrorRecord)
    Exit-HostLock -HostLock $hostLock
    if ($ErrorRecord) { $module.FailJson($Message, $ErrorRecord) }
    $module.FailJson($Message)
}

Function Get-Sha256([string]$path) {
    (Get-FileHash -LiteralPath $path -Algorithm SHA256).Hash.ToLowerInvariant()
}

# Run-Command (CreateProcess) rather than "& dockerd.exe": under the module's
# $ErrorActionPreference = 'Stop', Windows PowerShell 5.1 turns the first line a
# native command writes to stderr into a terminating error.
Function Invoke-Dockerd([string[]]$arguments) {
    Run-Command -command (Argv-ToString -arguments (@($dockerd) + $arguments))
}

Function Get-EngineState {
    $service = Get-Service -Name docker -ErrorAction SilentlyContinue
    $state = if ($service) { ([string]$service.Status).ToLowerInvariant() } else { 'absent' }
    $installed = $null
    if (Test-Path -LiteralPath $dockerd) {
        $run = Invoke-Dockerd @('--version')
        if ($run.rc -eq 0 -and $run.stdout -match 'version ([^,\s]+)') { $installed = $Matches[1] }
    }
    @{ version = $installed; service_state = $state }
}

# The cache is only writable by Administrators and SYSTEM: dockerd runs as LocalSystem,
# and ProgramData's inherited ACL lets local users create files and folders there.
Function Protect-Cache {
    if (-not (Test-Path -LiteralPath $module.Params.cache_dir)) {
        New-Item -Path $module.Params.cache_dir -ItemType Directory -Force | Out-Null
    }
    $acl = New-Object -TypeName Security.AccessControl.DirectorySecurity
    $acl.SetSecurityDescriptorSddlForm('D:P(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)')
    Set-Acl -LiteralPath $module.Params.cache_dir -AclObject $acl
}

Function Get-EngineZip {
    Protect-Cache
    if ((Test-Path -LiteralPath $zip) -and ((Get-Sha256 $zip) -eq $checksum)) {
        $module.Result.download.reused = $true
        return
    }
    $partial = "$zip.partial"
    [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
    $request = @{ Uri = $url; OutFile = $partial; UseBasicParsing = $true }
    if (-not $module.Params.use_proxy) {
        # Windows PowerShell 5.1 has no -NoProxy: an empty WebProxy goes direct.
        [Net.WebRequest]::DefaultWebProxy = New-Object -TypeName Net.WebProxy
    }
    elseif ($module.Params.proxy_url) {
        $request.Proxy = $module.Params.proxy_url
        if ($module.Params.proxy_use_default_credential) { $request.ProxyUseDefaultCredentials = $true }
        elseif ($module.Params.proxy_username) {
            $secret = ConvertTo-SecureString -String ([string]$module.Params.proxy_password) -AsPlainText -Force
            $request.ProxyCredential = New-Object -TypeName PSCredential -ArgumentList $module.Params.proxy_username, $secret
        }
    }
    try {
        Invoke-WebRequest @request
    }
    catch {
        Remove-Item -LiteralPath $partial -Force -ErrorAction SilentlyContinue
        Exit-Failure -Message "Failed to download $url : $($_.Exception.Message)" -ErrorRecord $_
    }
    $actual = Get-Sha256 $partial
    if ($actual -ne $checksum) {
        Remove-Item -LiteralPath $partial -Force
        Exit-Failure -Message ("The checksum for {0} did not match '{1}', it was '{2}'" -f $url, $checksum, $actual)
    }
    Move-Item -LiteralPath $partial -Destination $zip -Force
}

Function Stop-Engine {
    $service = Get-Service -Name docker -ErrorAction SilentlyContinue
    if ($service -and $service.Status -ne 'Stopped') { Stop-Service -Name docker -Force }
}

Function Get-StartError([datetime]$since) {
    # dockerd logs why it stopped to the Application event log (source docker).
    $filter = @{ LogName = 'Application'; ProviderName = 'docker'; Level = 2; StartTime = $since }
    $why = Get-WinEvent -FilterHashtable $filter -MaxEvents 1 -ErrorAction SilentlyContinue
    if ($why) { return $why.Message }
    return $null
}

# Start-Service returning does not mean dockerd started: it reports the service
# running before NewDaemon (moby cmd/dockerd/daemon.go preNotifyReady), so the
# API is the only proof. Returns $null, or why the engine is not answering.
Function Start-Engine {
    $since = Get-Date
    try {
        Start-Service -Name docker -ErrorAction Stop
    }
    catch {
        $detail = Get-StartError $since
        if (-not $detail) { $detail = $_.Exception.Message }
        return "The docker service failed to start: $detail"
    }
    $deadline = $since.AddSeconds($module.Params.start_timeout)
    $last = ''
    while ($true) {
        $run = Run-Command -command (Argv-ToString -arguments @($docker, 'version', '--format', '{{.Server.Version}}'))
        if ($run.rc -eq 0 -and $run.stdout.Trim()) { return $null }
        $last = ($run.stderr + $run.stdout).Trim()
        if ((Get-Service -Name docker).Status -eq 'Stopped') {
            $detail = Get-StartError $since
            if (-not $detail) { $detail = $last }
            return "The docker service started but dockerd exited during start-up: $detail"
        }
        if ((Get-Date) -gt $deadline) {
            return ('dockerd did not answer within {0} s: {1}' -f $module.Params.start_timeout, $last)
        }
        Start-Sleep -Seconds 1
    }
}

# Prepare: the zip verified and unpacked into the module's temporary directory.
# Nothing on the host has changed when this returns.
# The zip is copied into the module's own temporary directory and verified again
# there, then unpacked there; each unpacked file is checked against its entry in
# the verified copy before anything is copied into place.
Function Expand-Engine {
    Get-EngineZip
    $copy = Join-Path -Path $module.Tmpdir -ChildPath ('docker-{0}.zip' -f $version)
    Copy-Item -LiteralPath $zip -Destination $copy -Force
    $actual = Get-Sha256 $copy
    if ($actual -ne $checksum) {
        Exit-Failure -Message ("The checksum for {0} did not match '{1}', it was '{2}'" -f $copy, $checksum, $actual)
    }
    $staging = Join-Path -Path $module.Tmpdir -ChildPath ('docker-{0}' -f $version)
    Expand-Archive -LiteralPath $copy -DestinationPath $staging -Force
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $archive = [IO.Compression.ZipFile]::OpenRead($copy)
    try {
        $sha = [Security.Cryptography.SHA256]::Create()
        foreach ($entry in $archive.Entries | Where-Object { $_.Name }) {
            $stream = $entry.Open()
            try { $expected = [BitConverter]::ToString($sha.ComputeHash($stream)).Replace('-', '').ToLowerInvariant() }
            finally { $stream.Dispose() }
            $unpacked = Join-Path -Path $staging -ChildPath $entry.FullName
            if ((Get-Sha256 $unpacked) -ne $expected) {
                Exit-Failure -Message ('{0} does not match its entry in {1}; nothing was changed' -f $unpacked, $copy)
            }
        }
    }
    finally { $archive.Dispose() }
    Join-Path -Path $staging -ChildPath 'docker'
}

Function Backup-Engine([bool]$hadBinaries, [bool]$hadConfig) {
    if ($hadBinaries) {
        Remove-Item -LiteralPath $backupPath -Recurse -Force -ErrorAction SilentlyContinue
        Copy-Item -LiteralPath $installPath -Destination $backupPath -Recurse -Force
    }
    if ($hadConfig) { Copy-Item -LiteralPath $configPath -Destination $configBackup -Force }
}

Function Restore-Engine([bool]$hadBinaries, [bool]$hadConfig) {
    Stop-Engine
    if ($hadBinaries) {
        Copy-Item -Path (Join-Path -Path $backupPath -ChildPath '*') -Destination $installPath -Recurse -Force
    }
    if ($hadConfig) { Copy-Item -LiteralPath $configBackup -Destination $configPath -Force }
    elseif (Test-Path -LiteralPath $configPath) { Remove-Item -LiteralPath $configPath -Force }
}

Function Remove-Backup {
    Remove-Item -LiteralPath $backupPath -Recurse -Force -ErrorAction SilentlyContinue
    Remove-Item -LiteralPath $configBackup -Force -ErrorAction SilentlyContinue
    Remove-Item -LiteralPath $configStaged -Force -ErrorAction SilentlyContinue
}

Function Add-InstallPathToMachinePath {
    # The raw REG_EXPAND_SZ value: [Environment]::SetEnvironmentVariable would store the
    # expanded text as REG_SZ, freezing entries such as %SystemRoot%\system32.
    $environmentKey = 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager\Environment'
    $machinePath = (Get-Item -LiteralPath $environmentKey).GetValue('Path', '', 'DoNotExpandEnvironmentNames')
    if (($machinePath -split ';' | ForEach-Object { $_.TrimEnd('\') }) -notcontains $installPath) {
        $newPath = '{0};{1}' -f $machinePath.TrimEnd(';'), $installPath
        Set-ItemProperty -LiteralPath $environmentKey -Name Path -Value $newPath -Type ExpandString
    }
}

# Every running container (every owner's, hand-started ones too), read once this run holds
# the host lock and before the engine stops: another writer may have replaced containers
# since the controller's read. --no-trunc: the full ids Restore-Container starts.
# Before an install our docker.exe may not exist yet: the CLI on PATH talks to the same pipe.
Function Get-RunningContainer {
    $cli = if (Test-Path -LiteralPath $docker) { $docker } else { 'docker.exe' }
    $format = '{{.ID}} {{.Names}}'
    try {
        $run = Run-Command -command (Argv-ToString -arguments @($cli, 'ps', '--no-trunc', '--format', $format))
    }
    catch {
        $run = @{ rc = -1; stdout = ''; stderr = $_.Exception.Message }
    }
    if ($run.rc -ne 0) {
        # The API does not answer (daemon.json moved it off the default pipe): nothing can be
        # listed, and the change that repairs it goes on; the controller warns.
        $module.Result.containers.list_error = ('docker ps failed (rc {0}): {1}' -f $run.rc, ($run.stderr + $run.stdout).Trim())
        return , [Collections.Generic.List[object]]@()
    }
    $list = [Collections.Generic.List[object]]@()
    foreach ($line in ($run.stdout -split "`r?`n")) {
        $id, $name = $line.Trim() -split ' ', 2
        if ($id) { $list.Add(@{ id = $id; name = $name }) }
    }
    , $list
}

# After the engine is back: start again each container that ran before it stopped and is
# not running; report those that would not start.
Function Restore-Container {
    $report = @{ restored = [Collections.Generic.List[string]]@(); not_restarted = [Collections.Generic.List[object]]@() }
    foreach ($container in $ranBefore) {
        $id = $container.id
        $state = Run-Command -command (Argv-ToString -arguments @($docker, 'inspect', '--format', '{{.State.Running}}', $id))
        if ($state.rc -eq 0 -and $state.stdout.Trim() -eq 'true') { $report.restored.Add($id); continue }
        $run = Run-Command -command (Argv-ToString -arguments @($docker, 'start', $id))
        if ($run.rc -eq 0) { $report.restored.Add($id) }
        else { $report.not_restarted.Add(@{ id = $id; name = $container.name; error = ($run.stderr + $run.stdout).Trim() }) }
    }
    $module.Result.containers.restored = @($report.restored)
    $module.Result.containers.not_restarted = @($report.not_restarted)
}

# dockerd applies this ACL to its data root only when it creates the root itself
# (moby daemon/daemon_windows.go setupDaemonRoot, pkg/system SddlAdministratorsLocalSystem);
# anything that creates it first (config\daemon.json) leaves ProgramData's inherited ACL.
Function Protect-DataRoot([string]$path) {
    if (-not (Test-Path -LiteralPath $path)) { New-Item -Path $path -ItemType Directory -Force | Out-Null }
    $acl = New-Object -TypeName Security.AccessControl.DirectorySecurity
    $acl.SetSecurityDescriptorSddlForm('D:P(A;OICI;GA;;;BA)(A;OICI;GA;;;SY)')
    Set-Acl -LiteralPath $path -AclObject $acl
}

if (-not $module.CheckMode) {
    # Refused for the lock, the run changed nothing.
    $module.Result.changed = $false
    $hostLock = Enter-HostLock -Module $module -Timeout $module.Params.lock_timeout -Holder $module.Params.lock_holder
    $module.Result.lock = $hostLock.Info
    $module.Result.changed = $steps.Count -gt 0
    $service = Get-Service -Name docker -ErrorAction SilentlyContinue
    $wasRunning = $null -ne $service -and $service.Status -eq 'Running'
    $stopsEngine = @($steps | Where-Object { $_ -in @('install', 'restart', 'unregister_service') }).Count -gt 0
    if ($wasRunning -and $stopsEngine) { $ranBefore = Get-RunningContainer }
    if ('protect_data_root' -in $steps) {
        $root = $module.Params._data_root
        if (-not $root) { $root = Join-Path -Path $env:ProgramData -ChildPath 'docker' }
        Protect-DataRoot $root
    }
    $before = Get-EngineState
    $oldImagePath = $null
    if ($service) { $oldImagePath = [string](Get-ItemProperty -LiteralPath $serviceKey -Name ImagePath -ErrorAction SilentlyContinue).ImagePath }
    # Binaries are only kept when they are about to be replaced.
    $hadBinaries = ('install' -in $steps) -and (Test-Path -LiteralPath $dockerd)
    $hadConfig = Test-Path -LiteralPath $configPath
    $unpacked = $null
    if ('install' -in $steps) { $unpacked = Expand-Engine }
    if ('write_config' -in $steps) {
        New-Item -Path (Split-Path -Path $configPath -Parent) -ItemType Directory -Force | Out-Null
        # UTF-8 without a byte order mark: the text is the controller's canonical JSON.
        [IO.File]::WriteAllText($configStaged, $module.Params._daemon_config_text, (New-Object -TypeName Text.UTF8Encoding -ArgumentList $false))
    }
    if ($hadBinaries -or $hadConfig) { Backup-Engine -hadBinaries $hadBinaries -hadConfig $hadConfig }

    # Switch: from here on a failure puts the previous engine back.
    $failure = $null
    try {
        if ('install' -in $steps -or 'restart' -in $steps) { Stop-Engine }
        if ('install' -in $steps) {
            New-Item -Path $installPath -ItemType Directory -Force | Out-Null
            foreach ($file in Get-ChildItem -LiteralPath $unpacked -File) {
                $target = Join-Path -Path $installPath -ChildPath $file.Name
                try { Copy-Item -LiteralPath $file.FullName -Destination $target -Force -ErrorAction Stop }
                catch { throw ('Failed to replace {0}: {1}' -f $target, $_.Exception.Message) }
            }
            Add-InstallPathToMachinePath
        }
        if ('unregister_service' -in $steps) {
            # The service runs another dockerd.exe: remove it so ours is registered.
            Stop-Engine
            $run = Run-Command -command (Argv-ToString -arguments @('sc.exe', 'delete', 'docker'))
            if ($run.rc -ne 0) { throw ('sc.exe delete docker failed (rc {0}): {1}' -f $run.rc, ($run.stderr + $run.stdout).Trim()) }
        }
        if ('remove_eventlog_source' -in $steps) {
            Remove-Item -LiteralPath $eventLogKey -Recurse -Force -ErrorAction SilentlyContinue
        }
        if ('register_service' -in $steps) {
            $run = Invoke-Dockerd @('--register-service')
            if ($run.rc -ne 0) {
                throw ('dockerd --register-service failed (rc {0}): {1}' -f $run.rc, ($run.stderr + $run.stdout).Trim())
            }
        }
        if ('write_config' -in $steps) { Move-Item -LiteralPath $configStaged -Destination $configPath -Force }
        if ('restart' -in $steps -or 'start' -in $steps) { $failure = Start-Engine }
    }
    catch {
        $failure = $_.Exception.Message
    }

    # Something was switched on an installed engine: put the previous one back.
    $reregistered = 'unregister_service' -in $steps -and $oldImagePath
    $canRollBack = ($null -ne $before.version -and ($hadBinaries -or 'write_config' -in $steps)) -or $reregistered
    if ($failure -and $canRollBack) {
        Restore-Engine -hadBinaries $hadBinaries -hadConfig $hadConfig
        if ($reregistered) {
            # Point the service at the binary it ran before (create it again if it is gone).
            $verb = if (Get-Service -Name docker -ErrorAction SilentlyContinue) { 'config' } else { 'create' }
            Run-Command -command (Argv-ToString -arguments @('sc.exe', $verb, 'docker', 'binPath=', $oldImagePath, 'start=', 'auto')) | Out-Null
        }
        $again = if ($wasRunning) { Start-Engine } else { $null }
        Remove-Backup
        if ($again) {
            Exit-Failure -Message ('{0}; rolling back to docker {1} failed too: {2}' -f $failure, $before.version, $again)
        }
        $module.Result.rolled_back = $true
        Restore-Container
        $running = if ($wasRunning) { ', engine running again' } else { '' }
        Exit-Failure -Message ('{0}; rolled back to docker {1} and the previous daemon.json{2}' -f $failure, $before.version, $running)
    }
    if ($failure) { Exit-Failure -Message $failure }
    Remove-Backup
    if ('restart' -in $steps -or 'start' -in $steps -or $ranBefore.Count -gt 0) { Restore-Container }
    Exit-HostLock -HostLock $hostLock
}

$module.Result.engine = Get-EngineState
$module.ExitJson()
