#!powershell

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic

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

$version = $module.Params.version
$url = $module.Params.url
$checksum = $module.Params.checksum.ToLowerInvariant()
$steps = @($module.Params._steps)
$installPath = Join-Path -Path $env:ProgramFiles -ChildPath 'docker'
$configPath = Join-Path -Path $env:ProgramData -ChildPath 'docker\config\daemon.json'
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

Function Get-EngineState {
    $service = Get-Service -Name docker -ErrorAction SilentlyContinue
    $state = if ($service) { ([string]$service.Status).ToLowerInvariant() } else { 'absent' }
    $installed = $null
    $dockerd = Join-Path -Path $installPath -ChildPath 'dockerd.exe'
    if (Test-Path -LiteralPath $dockerd) {
        $text = [string](& $dockerd --version 2>$null)
        if ($text -match 'version ([^,\s]+)') { $installed = $Matches[1] }
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
    try {
        Start-Service -Name docker -ErrorAction Stop
    }
    catch {
        # dockerd logs why it stopped to the Application event log.
        $why = Get-WinEvent -FilterHashtable @{ LogName = 'Application'; ProviderName = 'docker'; Level = 2 } -MaxEvents 1 -ErrorAction SilentlyContinue
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
    $machinePath = [Environment]::GetEnvironmentVariable('Path', 'Machine')
    if (($machinePath -split ';') -notcontains $installPath) {
        [Environment]::SetEnvironmentVariable('Path', "$machinePath;$installPath", 'Machine')
    }
}

if (-not $module.CheckMode) {
    if ('install' -in $steps) { Install-Engine }
    if ('register_service' -in $steps) {
        $output = & (Join-Path -Path $installPath -ChildPath 'dockerd.exe') --register-service 2>&1
        if ($LASTEXITCODE -ne 0) {
            $module.FailJson("dockerd --register-service failed (rc $LASTEXITCODE): $output")
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
