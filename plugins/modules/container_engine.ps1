#!powershell

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#Requires -Module Ansible.ModuleUtils.ArgvParser
#Requires -Module Ansible.ModuleUtils.CommandUtil

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
        _steps = @{
            type = 'list'
            elements = 'str'
            choices = @('install', 'register_service', 'write_config', 'start', 'restart')
            default = @()
        }
        _daemon_config_text = @{ type = 'str' }
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

Function Get-EngineZip {
    if ((Test-Path -LiteralPath $zip) -and ((Get-Sha256 $zip) -eq $checksum)) {
        $module.Result.download.reused = $true
        return
    }
    New-Item -Path $module.Params.cache_dir -ItemType Directory -Force | Out-Null
    $partial = "$zip.partial"
    [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
    try {
        Invoke-WebRequest -Uri $url -OutFile $partial -UseBasicParsing
    }
    catch {
        Remove-Item -LiteralPath $partial -Force -ErrorAction SilentlyContinue
        $module.FailJson("Failed to download $url : $($_.Exception.Message)", $_)
    }
    $actual = Get-Sha256 $partial
    if ($actual -ne $checksum) {
        Remove-Item -LiteralPath $partial -Force
        $module.FailJson(("The checksum for {0} did not match '{1}', it was '{2}'" -f $url, $checksum, $actual))
    }
    Move-Item -LiteralPath $partial -Destination $zip -Force
}

Function Stop-Engine {
    $service = Get-Service -Name docker -ErrorAction SilentlyContinue
    if ($service -and $service.Status -ne 'Stopped') { Stop-Service -Name docker -Force }
}

Function Start-Engine {
    $since = Get-Date
    try {
        Start-Service -Name docker -ErrorAction Stop
    }
    catch {
        # dockerd logs why it stopped to the Application event log; older errors are not this one.
        $filter = @{ LogName = 'Application'; ProviderName = 'docker'; Level = 2; StartTime = $since }
        $why = Get-WinEvent -FilterHashtable $filter -MaxEvents 1 -ErrorAction SilentlyContinue
        $detail = if ($why) { $why.Message } else { $_.Exception.Message }
        $module.FailJson("The docker service failed to start: $detail", $_)
    }
}

Function Install-Engine {
    Get-EngineZip
    $staging = Join-Path -Path $module.Params.cache_dir -ChildPath ('docker-{0}' -f $version)
    Remove-Item -LiteralPath $staging -Recurse -Force -ErrorAction SilentlyContinue
    Expand-Archive -LiteralPath $zip -DestinationPath $staging -Force
    Stop-Engine
    New-Item -Path $installPath -ItemType Directory -Force | Out-Null
    Copy-Item -Path (Join-Path -Path $staging -ChildPath 'docker\*') -Destination $installPath -Recurse -Force
    Remove-Item -LiteralPath $staging -Recurse -Force
    # The raw REG_EXPAND_SZ value: [Environment]::SetEnvironmentVariable would store the
    # expanded text as REG_SZ, freezing entries such as %SystemRoot%\system32.
    $environmentKey = 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager\Environment'
    $machinePath = (Get-Item -LiteralPath $environmentKey).GetValue('Path', '', 'DoNotExpandEnvironmentNames')
    if (($machinePath -split ';' | ForEach-Object { $_.TrimEnd('\') }) -notcontains $installPath) {
        $newPath = '{0};{1}' -f $machinePath.TrimEnd(';'), $installPath
        Set-ItemProperty -LiteralPath $environmentKey -Name Path -Value $newPath -Type ExpandString
    }
}

if (-not $module.CheckMode) {
    if ('install' -in $steps) { Install-Engine }
    if ('register_service' -in $steps) {
        $run = Invoke-Dockerd @('--register-service')
        if ($run.rc -ne 0) {
            $module.FailJson(('dockerd --register-service failed (rc {0}): {1}' -f $run.rc, ($run.stderr + $run.stdout).Trim()))
        }
    }
    if ('write_config' -in $steps) {
        New-Item -Path (Split-Path -Path $configPath -Parent) -ItemType Directory -Force | Out-Null
        # UTF-8 without a byte order mark: the text is the controller's canonical JSON.
        [IO.File]::WriteAllText($configPath, $module.Params._daemon_config_text, (New-Object -TypeName Text.UTF8Encoding -ArgumentList $false))
    }
    if ('restart' -in $steps) { Stop-Engine; Start-Engine }
    elseif ('start' -in $steps) { Start-Engine }
}

$module.Result.engine = Get-EngineState
$module.ExitJson()
