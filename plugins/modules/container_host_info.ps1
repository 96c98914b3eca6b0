#!powershell

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -PowerShell ..module_utils.DockerCli
#AnsibleRequires -PowerShell ..module_utils.HostLock

# Read-only, and raw: registry, CIM and feature values (property_reads names the first two),
# daemon.json's bytes, the docker service's configuration, the data root's SDDL, the host
# lock's record, and the output of the docker commands the controller renders (docker_reads).
# The action plugin of the same name maps all of it to the facts contract
# (plugins/plugin_utils/host_read.py); a value this module leaves out of engine is one it did
# not find.

$spec = @{
    options = @{
        docker_reads = @{
            type = 'list'
            elements = 'dict'
            default = @()
            options = @{
                argv = @{ type = 'list'; elements = 'str'; required = $true }
                ids_from = @{ type = 'int' }
                stop_unless_ok = @{ type = 'bool'; default = $false }
                return_stdout = @{ type = 'bool'; default = $true }
            }
        }
        dockerd_version_argv = @{ type = 'list'; elements = 'str'; default = @() }
        property_reads = @{
            type = 'list'
            elements = 'dict'
            default = @()
            options = @{
                source = @{ type = 'str'; required = $true }
                cim = @{ type = 'bool'; default = $false }
                properties = @{ type = 'list'; elements = 'str'; required = $true }
            }
        }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

$installPath = Join-Path -Path $env:ProgramFiles -ChildPath 'docker'
$configPath = Join-Path -Path $env:ProgramData -ChildPath 'docker\config\daemon.json'
$serviceKey = 'HKLM:\SYSTEM\CurrentControlSet\Services\docker'

# The registry keys (Get-ItemProperty) and CIM classes (Get-CimInstance: Win32_Processor has
# one instance per socket) the controller names: each instance's properties it asks for.
$module.Result.property_values = @{}
foreach ($read in $module.Params.property_reads) {
    $found = if ($read.cim) { Get-CimInstance -ClassName $read.source } else { Get-ItemProperty -LiteralPath $read.source }
    $module.Result.property_values[$read.source] = @(foreach ($object in @($found)) {
            $values = @{}
            foreach ($name in $read.properties) {
                $values[$name] = $object.$name
            }
            $values
        })
}
# Processors of this process's processor group (GetProcessAffinityMask, at most 64).
$module.Result.processor_count = [Environment]::ProcessorCount

# Get-WindowsFeature (ServerManager module) exists on Windows Server only, Core included.
$module.Result.features = $null
if (Get-Command -Name Get-WindowsFeature -ErrorAction SilentlyContinue) {
    $module.Result.features = @{}
    foreach ($feature in @(Get-WindowsFeature -Name 'Containers', 'Hyper-V')) {
        $module.Result.features[$feature.Name] = [string]$feature.InstallState
    }
}

$module.Result.reboot_signals = @{
    component_based_servicing = Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending'
    windows_update = Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired'
    pending_file_rename = $null -ne (Get-ItemProperty -LiteralPath 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager' -Name PendingFileRenameOperations -ErrorAction SilentlyContinue)
}

# The host lock's record as HostLock.psm1 reads it beside a holder's handle ({} when free).
$module.Result.host_lock = Read-HostLockRecord

$docker = Join-Path -Path $installPath -ChildPath 'docker.exe'
$dockerd = Join-Path -Path $installPath -ChildPath 'dockerd.exe'
$engine = @{
    install_path = $installPath
    daemon_config_path = $configPath
    docker_exe = Test-Path -LiteralPath $docker
    dockerd_exe = Test-Path -LiteralPath $dockerd
    eventlog_source = Test-Path -LiteralPath 'HKLM:\SYSTEM\CurrentControlSet\Services\EventLog\Application\docker'
    data_root = Join-Path -Path $env:ProgramData -ChildPath 'docker'
}
$module.Result.engine = $engine
# Never without arguments: a bare dockerd.exe starts a daemon.
if ($engine.dockerd_exe -and $module.Params.dockerd_version_argv) {
    $engine.dockerd_version = Invoke-NativeCommand -Executable $dockerd -Arguments $module.Params.dockerd_version_argv
}
if ($engine.docker_exe) { $engine.docker_cli = $docker }
$service = Get-Service -Name docker -ErrorAction SilentlyContinue
if ($service) {
    $engine.service_status = [string]$service.Status
    # The binary the service really starts: Microsoft's install-docker-ce.ps1 registers
    # %windir%\System32\dockerd.exe and puts docker.exe beside it.
    if (Test-Path -LiteralPath $serviceKey) {
        $imagePath = [string](Get-ItemProperty -LiteralPath $serviceKey -Name ImagePath -ErrorAction SilentlyContinue).ImagePath
        $engine.service_image_path = [Environment]::ExpandEnvironmentVariables($imagePath)
    }
    if ((-not $engine.docker_cli) -and $engine.service_image_path -match '^\s*"?([^"]+\\)dockerd\.exe') {
        $beside = Join-Path -Path $Matches[1] -ChildPath 'docker.exe'
        if (Test-Path -LiteralPath $beside) { $engine.docker_cli = $beside }
    }
}
if (Test-Path -LiteralPath $configPath) {
    # Bytes, as dockerd reads them: the controller decides what they mean. The data root is
    # needed here, for its ACL: read as UTF-8 like dockerd (Get-Content reads the ANSI code page).
    $bytes = [IO.File]::ReadAllBytes($configPath)
    $engine.daemon_json_base64 = [Convert]::ToBase64String($bytes)
    try {
        $configured = [Ansible.Basic.AnsibleModule]::FromJson([Text.Encoding]::UTF8.GetString($bytes))['data-root']
        if ($configured) { $engine.data_root = [string]$configured }
    }
    catch { $null = $_ }
}
if (Test-Path -LiteralPath $engine.data_root) {
    $engine.data_root_sddl = (Get-Acl -LiteralPath $engine.data_root).GetSecurityDescriptorSddlForm('Access')
}

# The controller's docker reads, in order, with docker.exe's environment of DockerCli.psm1.
# "ids_from" appends what an earlier read printed, one id a line (in batches).
$module.Result.docker = @()
if ($engine.docker_cli -and $engine.service_status -eq 'Running') {
    $dockerEnvironment = New-DockerCliEnvironment -Module $module
    $outputs = @()
    foreach ($read in $module.Params.docker_reads) {
        $ids = $null
        if ($null -ne $read.ids_from) {
            $ids = @($outputs[$read.ids_from] -split '\r?\n' | Where-Object { $_.Trim() } | Select-Object -Unique)
        }
        $run = Invoke-NativeCommand -Executable $engine.docker_cli -Arguments $read.argv -Batch $ids -Environment $dockerEnvironment
        $outputs += $run.stdout
        if (-not $read.return_stdout) { $run.stdout = '' }
        $module.Result.docker += $run
        if ($read.stop_unless_ok -and $run.rc -ne 0) { break }
    }
}

$module.ExitJson()
