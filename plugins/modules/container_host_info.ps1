#!powershell

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#Requires -Module Ansible.ModuleUtils.ArgvParser
#Requires -Module Ansible.ModuleUtils.CommandUtil

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
    return , @($value | Where-Object { $null -ne $_ })
}

# Run-Command (CreateProcess) rather than "& docker.exe": under the module's
# $ErrorActionPreference = 'Stop', Windows PowerShell 5.1 turns the first line a
# native command writes to stderr into a terminating error.
Function Invoke-Native([string]$path, [string[]]$arguments) {
    Run-Command -command (Argv-ToString -arguments (@($path) + $arguments))
}

Function Invoke-Docker([string[]]$arguments) {
    $run = Invoke-Native $docker $arguments
    if ($run.rc -ne 0) {
        $module.FailJson(('docker {0} failed (rc {1}) although the docker service runs: {2}' -f ($arguments[0..1] -join ' '), $run.rc, $run.stderr.Trim()))
    }
    $run.stdout
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
    # One instance per socket: a capability counts only when every socket has it.
    $cpus = @(Get-CimInstance -ClassName Win32_Processor)
    # Hypervisor vendors' model strings; a physical machine reports its own model.
    $virtual = "$($cs.Model) $($cs.Manufacturer)" -match 'Virtual Machine|VMware|VirtualBox|KVM|QEMU|Xen|HVM domU|Google Compute Engine|Amazon EC2|Nutanix|AHV|OpenStack|oVirt|RHEV|Parallels|BHYVE'
    @{
        is_virtual = [bool]$virtual
        model = [string]$cs.Model
        manufacturer = [string]$cs.Manufacturer
        hypervisor_present = [bool]$cs.HypervisorPresent
        virtualization_firmware_enabled = @($cpus | Where-Object { -not $_.VirtualizationFirmwareEnabled }).Count -eq 0
        vm_monitor_mode_extensions = @($cpus | Where-Object { -not $_.VMMonitorModeExtensions }).Count -eq 0
        second_level_address_translation = @($cpus | Where-Object { -not $_.SecondLevelAddressTranslationExtensions }).Count -eq 0
        memory_mb = [int64]([int64]$cs.TotalPhysicalMemory / 1MB)
        logical_processors = [int]$cs.NumberOfLogicalProcessors
        # Processors of this process's processor group (at most 64): what a process such as
        # dockerd can use without group-aware code (GetProcessAffinityMask).
        group_processors = [int][Environment]::ProcessorCount
    }
}

Function Get-FeatureFact {
    $features = @{ Containers = 'Unknown'; 'Hyper-V' = 'Unknown' }
    # Get-WindowsFeature (ServerManager module) exists on Windows Server only, Core included.
    if (Get-Command -Name Get-WindowsFeature -ErrorAction SilentlyContinue) {
        foreach ($feature in @(Get-WindowsFeature -Name @($features.Keys))) {
            $features[$feature.Name] = [string]$feature.InstallState
        }
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
        # "Docker version 27.3.1, build 41ca978": the binary's version, daemon running or not.
        $run = Invoke-Native $dockerd @('--version')
        if ($run.rc -eq 0 -and $run.stdout -match 'version ([^,\s]+)') { $engine.version = $Matches[1] }
    }
    $service = Get-Service -Name docker -ErrorAction SilentlyContinue
    if ($service) { $engine.service_state = ([string]$service.Status).ToLowerInvariant() }
    # The binary the service really starts (Microsoft's install-docker-ce.ps1 registers
    # %windir%\System32\dockerd.exe), and a leftover EventLog source, which makes
    # "dockerd --register-service" fail (x/sys eventlog.Install: "registry key already exists").
    $engine.service_binary = $null
    $serviceKey = 'HKLM:\SYSTEM\CurrentControlSet\Services\docker'
    if ($service -and (Test-Path -LiteralPath $serviceKey)) {
        $imagePath = [string](Get-ItemProperty -LiteralPath $serviceKey -Name ImagePath -ErrorAction SilentlyContinue).ImagePath
        if ($imagePath -match '^\s*"([^"]+)"' -or $imagePath -match '^\s*(\S+)') {
            $engine.service_binary = [Environment]::ExpandEnvironmentVariables($Matches[1])
        }
    }
    $engine.eventlog_source = Test-Path -LiteralPath 'HKLM:\SYSTEM\CurrentControlSet\Services\EventLog\Application\docker'
    if (Test-Path -LiteralPath $configPath) {
        # Read as UTF-8 like dockerd (Get-Content reads the ANSI code page). A byte order
        # mark, which dockerd 20.10 rejects, counts as unparsable: the controller rewrites it.
        $bytes = [IO.File]::ReadAllBytes($configPath)
        $engine.daemon_config = $null
        if (-not ($bytes.Length -ge 3 -and $bytes[0] -eq 0xEF -and $bytes[1] -eq 0xBB -and $bytes[2] -eq 0xBF)) {
            try {
                $engine.daemon_config = [Ansible.Basic.AnsibleModule]::FromJson([Text.Encoding]::UTF8.GetString($bytes))
            }
            catch {
                $engine.daemon_config = $null
            }
        }
    }
    $engine
}

Function Get-DockerObject([string]$kind, [string[]]$ids) {
    # Batches keep the command line under CreateProcess's 32767 characters. "inspect" prints
    # what still exists and fails for what was removed since the listing: that one is gone.
    $objects = [System.Collections.Generic.List[Object]]@()
    for ($i = 0; $i -lt $ids.Count; $i += 100) {
        $batch = $ids[$i..([Math]::Min($i + 100, $ids.Count) - 1)]
        $run = Invoke-Native $docker (@($kind, 'inspect') + $batch)
        if (-not $run.stdout.Trim()) {
            $module.FailJson(('docker {0} inspect failed (rc {1}): {2}' -f $kind, $run.rc, $run.stderr.Trim()))
        }
        foreach ($object in @([Ansible.Basic.AnsibleModule]::FromJson($run.stdout))) { $objects.Add($object) }
    }
    , $objects
}

Function Get-ImageFact {
    $ids = @((Invoke-Docker @('image', 'ls', '--quiet', '--no-trunc')) -split '\r?\n' | Where-Object { $_ } | Select-Object -Unique)
    $images = foreach ($i in Get-DockerObject 'image' $ids) {
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

Function Get-NetworkFact {
    # Name, id, driver and IPAM subnets: the deployment allocates around them (network_plan.py).
    $ids = @((Invoke-Docker @('network', 'ls', '--quiet', '--no-trunc')) -split '\r?\n' | Where-Object { $_ })
    $networks = foreach ($n in Get-DockerObject 'network' $ids) {
        @{
            name = [string]$n.Name
            id = [string]$n.Id
            driver = [string]$n.Driver
            subnets = ConvertTo-List @(foreach ($c in @($n.IPAM.Config)) { if ($c -and $c.Subnet) { [string]$c.Subnet } })
        }
    }
    return , @($networks)
}

Function Get-ContainerFact {
    $defaultIsolation = $null
    $ids = @((Invoke-Docker @('container', 'ls', '--all', '--quiet', '--no-trunc')) -split '\r?\n' | Where-Object { $_ })
    $containers = foreach ($c in Get-DockerObject 'container' $ids) {
        # The engine records its default in HostConfig.Isolation at create time; an empty
        # value or "default" can only remain from older engines and means today's default.
        $isolation = [string]$c.HostConfig.Isolation
        if ($isolation -in @('', 'default')) {
            if ($null -eq $defaultIsolation) {
                $defaultIsolation = ([string](Invoke-Docker @('info', '--format', '{{.Isolation}}'))).Trim()
            }
            $isolation = $defaultIsolation
        }
        $bindings = $c.HostConfig.PortBindings
        $ports = foreach ($containerPort in @(if ($bindings) { $bindings.Keys })) {
            foreach ($hostPort in @($bindings[$containerPort])) {
                $prefix = if ($hostPort.HostIp) { "$($hostPort.HostIp):" } else { '' }
                # No HostPort: published on a port the engine picks.
                if ($hostPort.HostPort) { '{0}{1}:{2}' -f $prefix, $hostPort.HostPort, $containerPort } else { $containerPort }
            }
        }
        $mounts = foreach ($m in @($c.Mounts)) {
            if ($m.RW) { '{0}:{1}' -f $m.Source, $m.Destination } else { '{0}:{1}:ro' -f $m.Source, $m.Destination }
        }
        $restart = [string]$c.HostConfig.RestartPolicy.Name
        if ($restart -eq 'on-failure' -and $c.HostConfig.RestartPolicy.MaximumRetryCount -gt 0) {
            $restart = 'on-failure:{0}' -f $c.HostConfig.RestartPolicy.MaximumRetryCount
        }
        # Ordinal: labels that differ only in case are distinct (@{} would merge them).
        $labels = New-Object -TypeName 'System.Collections.Generic.Dictionary[string,string]' -ArgumentList ([StringComparer]::Ordinal)
        if ($c.Config.Labels) {
            foreach ($key in $c.Config.Labels.Keys) { $labels[$key] = [string]$c.Config.Labels[$key] }
        }
        # A config hash of the first label format ("sha256:") covers secret_env values
        # unkeyed: printed, it lets a reader brute-force a weak secret. Current labels
        # ("v2-...") hold none or are keyed, and are returned as they are.
        $configHash = $labels['trustbound.wincontainers.config_hash']
        if ($null -ne $configHash -and -not $configHash.StartsWith('v2-')) {
            $labels['trustbound.wincontainers.config_hash'] = '********'
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
            # "container:<id>" shares another container's namespace (NetworkSettings.Networks is empty then).
            network_mode = [string]$c.HostConfig.NetworkMode
            # --device class/<GUID>: host devices assigned to a process-isolated container.
            devices = ConvertTo-List @(foreach ($d in @($c.HostConfig.Devices)) { if ($d) { [string]$d.PathOnHost } })
            security_opt = ConvertTo-List $c.HostConfig.SecurityOpt
            restart_policy = if ($restart) { $restart } else { 'no' }
            memory_bytes = [int64]$c.HostConfig.Memory
            cpus = [double]$c.HostConfig.NanoCpus / 1e9
            # --storage-opt size= as given; Python reads the size (workload_spec.docker_size_bytes).
            storage_size = if ($c.HostConfig.StorageOpt) { [string]$c.HostConfig.StorageOpt.size } else { '' }
        }
    }
    return , @($containers)
}

# The host lock's record (plugins/module_utils/HostLock.psm1), read with FileShare.ReadWrite
# since a holder has it open for writing: who changes the host now, or the lease a patch
# holds it with across restarts; $null when the lock is free.
Function Get-HostLockFact {
    $path = Join-Path -Path $env:ProgramData -ChildPath 'trustbound.wincontainers\host.lock'
    if (-not (Test-Path -LiteralPath $path)) { return $null }
    try {
        $stream = [IO.File]::Open($path, 'Open', 'Read', 'ReadWrite')
        try { $text = (New-Object -TypeName IO.StreamReader -ArgumentList $stream).ReadToEnd() }
        finally { $stream.Dispose() }
        if (-not $text) { return $null }
        return [Ansible.Basic.AnsibleModule]::FromJson($text)
    }
    catch {
        return @{ holder = '(unreadable lock record)' }
    }
}

$module.Result.os = Get-OsFact
$module.Result.machine = Get-MachineFact
$module.Result.features = Get-FeatureFact
$module.Result.reboot_pending = [bool](Test-RebootPending)
$module.Result.host_lock = Get-HostLockFact
$engine = Get-EngineFact
$module.Result.engine = $engine
$module.Result.images = @()
$module.Result.containers = @()
# The data root's ACL as SDDL (access part): dockerd protects the root only when it creates it.
$engine.data_root = Join-Path -Path $env:ProgramData -ChildPath 'docker'
if ($engine.daemon_config -and $engine.daemon_config['data-root']) { $engine.data_root = [string]$engine.daemon_config['data-root'] }
$engine.data_root_sddl = $null
if (Test-Path -LiteralPath $engine.data_root) {
    $engine.data_root_sddl = (Get-Acl -LiteralPath $engine.data_root).GetSecurityDescriptorSddlForm('Access')
}
$engine.api_reachable = $false
$engine.api_error = $null
$engine.server_version = $null
if ($engine.installed -and $engine.service_state -eq 'running') {
    # The service can run while the API does not answer on the default pipe (a daemon.json
    # "hosts" without npipe://, dockerd still starting): a fact, so the controller can repair it.
    $api = Invoke-Native $docker @('version', '--format', '{{.Server.Version}}')
    if ($api.rc -eq 0 -and $api.stdout.Trim()) {
        $engine.api_reachable = $true
        $engine.server_version = $api.stdout.Trim()
    }
    else {
        $engine.api_error = ($api.stderr + $api.stdout).Trim()
    }
}
$module.Result.networks = @()
if ($engine.api_reachable) {
    $module.Result.images = Get-ImageFact
    $module.Result.containers = Get-ContainerFact
    $module.Result.networks = Get-NetworkFact
}

$module.ExitJson()
