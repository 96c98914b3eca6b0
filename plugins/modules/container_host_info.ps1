#!powershell

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic

# Read-only: collects the facts later decisions need, in the shape of
# docs/architecture.md ("container_host_info return contract"). Every decision
# is made on the controller.

$spec = @{
    options = @{}
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

$installPath = Join-Path -Path $env:ProgramFiles -ChildPath 'docker'
$configPath = Join-Path -Path $env:ProgramData -ChildPath 'docker\config\daemon.json'
$docker = Join-Path -Path $installPath -ChildPath 'docker.exe'
$dockerd = Join-Path -Path $installPath -ChildPath 'dockerd.exe'

Function ConvertTo-List($value) {
    if ($null -eq $value) { return , @() }
    return , @($value)
}

Function Get-OsFact {
    $cv = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
    $build = [int]$cv.CurrentBuildNumber
    $ubr = [int]$cv.UBR
    @{
        version = '{0}.{1}.{2}.{3}' -f $cv.CurrentMajorVersionNumber, $cv.CurrentMinorVersionNumber, $build, $ubr
        build = $build
        revision = $ubr
        product_name = $cv.ProductName
        edition_id = $cv.EditionID
        installation_type = $cv.InstallationType
    }
}

Function Get-MachineFact {
    $cs = Get-CimInstance -ClassName Win32_ComputerSystem
    $cpu = @(Get-CimInstance -ClassName Win32_Processor)[0]
    # Hypervisor vendors' model strings; a physical machine reports its own model.
    $virtual = "$($cs.Model) $($cs.Manufacturer)" -match 'Virtual Machine|VMware|VirtualBox|KVM|QEMU|Xen|HVM domU|Google Compute Engine|Amazon EC2'
    @{
        is_virtual = [bool]$virtual
        model = [string]$cs.Model
        manufacturer = [string]$cs.Manufacturer
        hypervisor_present = [bool]$cs.HypervisorPresent
        virtualization_firmware_enabled = [bool]$cpu.VirtualizationFirmwareEnabled
        vm_monitor_mode_extensions = [bool]$cpu.VMMonitorModeExtensions
        second_level_address_translation = [bool]$cpu.SecondLevelAddressTranslationExtensions
        memory_mb = [int64]([int64]$cs.TotalPhysicalMemory / 1MB)
        logical_processors = [int]$cs.NumberOfLogicalProcessors
    }
}

Function Get-FeatureFact {
    $features = @{}
    foreach ($name in @('Containers', 'Hyper-V')) {
        $feature = Get-WindowsFeature -Name $name
        $features[$name] = if ($feature) { [string]$feature.InstallState } else { 'Unknown' }
    }
    $features
}

Function Test-RebootPending {
    $cbs = Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending'
    $wu = Test-Path -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired'
    $sm = Get-ItemProperty -LiteralPath 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager' -Name PendingFileRenameOperations -ErrorAction SilentlyContinue
    $cbs -or $wu -or ($null -ne $sm)
}

Function Get-EngineFact {
    $engine = @{
        kind = 'none'
        installed = $false
        version = $null
        service_state = 'absent'
        install_path = $installPath
        daemon_config_path = $configPath
        daemon_config = @{}
    }
    if ((Test-Path -LiteralPath $docker) -and (Test-Path -LiteralPath $dockerd)) {
        $engine.kind = 'docker'
        $engine.installed = $true
        # "Docker version 27.3.1, build ce12230"
        $text = [string](& $dockerd --version 2>$null)
        if ($text -match 'version ([^,\s]+)') { $engine.version = $Matches[1] }
    }
    $service = Get-Service -Name docker -ErrorAction SilentlyContinue
    if ($service) { $engine.service_state = ([string]$service.Status).ToLowerInvariant() }
    if (Test-Path -LiteralPath $configPath) {
        try {
            $engine.daemon_config = [Ansible.Basic.AnsibleModule]::FromJson((Get-Content -LiteralPath $configPath -Raw))
        }
        catch {
            $engine.daemon_config = $null  # unreadable: the controller rewrites it
        }
    }
    $engine
}

Function Invoke-DockerJson([string[]]$arguments) {
    $text = & $docker @arguments 2>$null
    if ($LASTEXITCODE -ne 0 -or -not $text) { return , @() }
    return , @([Ansible.Basic.AnsibleModule]::FromJson(($text -join "`n")))
}

Function Get-ImageFact {
    $ids = @(& $docker image ls --quiet --no-trunc 2>$null | Select-Object -Unique)
    if ($ids.Count -eq 0) { return , @() }
    $images = foreach ($i in Invoke-DockerJson (@('image', 'inspect') + $ids)) {
        @{
            id = $i.Id
            repo_tags = ConvertTo-List $i.RepoTags
            repo_digests = ConvertTo-List $i.RepoDigests
            os_version = [string]$i.OsVersion
            user = [string]$i.Config.User
        }
    }
    return , @($images)
}

Function Get-ContainerFact([string]$defaultIsolation) {
    $ids = @(& $docker container ls --all --quiet --no-trunc 2>$null)
    if ($ids.Count -eq 0) { return , @() }
    $containers = foreach ($c in Invoke-DockerJson (@('container', 'inspect') + $ids)) {
        $isolation = [string]$c.HostConfig.Isolation
        if ($isolation -in @('', 'default')) { $isolation = $defaultIsolation }
        $bindings = $c.HostConfig.PortBindings
        $ports = foreach ($containerPort in @(if ($bindings) { $bindings.Keys })) {
            foreach ($hostPort in @($bindings[$containerPort])) {
                $prefix = if ($hostPort.HostIp) { "$($hostPort.HostIp):" } else { '' }
                '{0}{1}:{2}' -f $prefix, $hostPort.HostPort, $containerPort
            }
        }
        $mounts = foreach ($m in @($c.Mounts)) {
            if ($m.RW) { '{0}:{1}' -f $m.Source, $m.Destination } else { '{0}:{1}:ro' -f $m.Source, $m.Destination }
        }
        $restart = [string]$c.HostConfig.RestartPolicy.Name
        if ($restart -eq 'on-failure' -and $c.HostConfig.RestartPolicy.MaximumRetryCount -gt 0) {
            $restart = 'on-failure:{0}' -f $c.HostConfig.RestartPolicy.MaximumRetryCount
        }
        $labels = @{}
        if ($c.Config.Labels) {
            foreach ($key in $c.Config.Labels.Keys) { $labels[$key] = [string]$c.Config.Labels[$key] }
        }
        @{
            id = $c.Id
            name = ([string]$c.Name).TrimStart('/')
            image = $c.Config.Image
            image_id = $c.Image
            isolation = $isolation.ToLowerInvariant()
            user = [string]$c.Config.User
            state = [string]$c.State.Status
            running = [bool]$c.State.Running
            labels = $labels
            command = ConvertTo-List $c.Config.Cmd
            entrypoint = ConvertTo-List $c.Config.Entrypoint
            # Names only: environment values may be secrets and never leave the host.
            env_names = ConvertTo-List (@($c.Config.Env) | Where-Object { $_ } | ForEach-Object { ($_ -split '=', 2)[0] })
            ports = ConvertTo-List $ports
            mounts = ConvertTo-List $mounts
            networks = ConvertTo-List @(if ($c.NetworkSettings.Networks) { $c.NetworkSettings.Networks.Keys })
            restart_policy = if ($restart) { $restart } else { 'no' }
            memory_bytes = [int64]$c.HostConfig.Memory
            cpus = [double]$c.HostConfig.NanoCpus / 1e9
        }
    }
    return , @($containers)
}

$module.Result.os = Get-OsFact
$module.Result.machine = Get-MachineFact
$module.Result.features = Get-FeatureFact
$module.Result.reboot_pending = [bool](Test-RebootPending)
$engine = Get-EngineFact
$module.Result.engine = $engine
$module.Result.images = @()
$module.Result.containers = @()
if ($engine.installed -and $engine.service_state -eq 'running') {
    $defaultIsolation = [string](& $docker info --format '{{.Isolation}}' 2>$null)
    if (-not $defaultIsolation) { $defaultIsolation = 'process' }
    $module.Result.images = Get-ImageFact
    $module.Result.containers = Get-ContainerFact -defaultIsolation $defaultIsolation
}

$module.ExitJson()
