# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

#Requires -Module Ansible.ModuleUtils.ArgvParser
#Requires -Module Ansible.ModuleUtils.CommandUtil

# How every module of the collection runs a native command, docker.exe above all.

Function Invoke-NativeCommand {
    <#
    .SYNOPSIS
    Runs -Executable with -Arguments through Run-Command (CreateProcess) rather than "& exe":
    under the module's $ErrorActionPreference = 'Stop', Windows PowerShell 5.1 turns the first
    line a native command writes to stderr into a terminating error. -Environment, when given
    and not empty, replaces the process environment (Run-Command -environment; $null or an
    empty one inherits it). -Batch words are appended to the arguments 100 at a time (a
    container id has 64 characters; a CreateProcess command line at most 32767), one run a
    group without -Stdin: the outputs concatenated, a non-zero exit code kept.
    Returns @{ rc; stdout; stderr }.
    #>
    param(
        [Parameter(Mandatory = $true)][string]$Executable,
        [object[]]$Arguments = @(),
        [object[]]$Batch = $null,
        [AllowEmptyString()][string]$Stdin = '',
        [hashtable]$Environment = $null
    )
    if ($null -eq $Batch) {
        $run = Run-Command -command (Argv-ToString -arguments (@($Executable) + @($Arguments))) -stdin $Stdin -environment $Environment
        return @{ rc = $run.rc; stdout = $run.stdout; stderr = $run.stderr }
    }
    $all = @{ rc = 0; stdout = ''; stderr = '' }
    for ($i = 0; $i -lt $Batch.Count; $i += 100) {
        $group = $Batch[$i..([Math]::Min($i + 100, $Batch.Count) - 1)]
        $part = Invoke-NativeCommand -Executable $Executable -Arguments (@($Arguments) + $group) -Environment $Environment
        if ($part.rc -ne 0) {
            $all.rc = $part.rc
        }
        $all.stdout += $part.stdout
        $all.stderr += $part.stderr
    }
    $all
}

Function New-DockerCliEnvironment {
    <#
    .SYNOPSIS
    docker.exe's environment in every module: this process's without any DOCKER_* variable
    (DOCKER_HOST, DOCKER_CONTEXT, ... would send a command to another daemon), and a client
    config directory of the run's own in the module's Tmpdir (closed to other users, removed
    when the module ends), so no profile's config.json is read: its currentContext picks the
    daemon (docker/cli docs/reference/commandline/context_use.md). -ClientConfig is the
    config.json text the controller rendered, if any.
    #>
    param(
        [Parameter(Mandatory = $true)][Object]$Module,
        [AllowEmptyString()][AllowNull()][string]$ClientConfig = ''
    )
    $environment = @{}
    foreach ($entry in [Environment]::GetEnvironmentVariables().GetEnumerator() | Where-Object { $_.Key -notlike 'DOCKER_*' }) {
        $environment[$entry.Key] = $entry.Value
    }
    $environment.DOCKER_CONFIG = (New-Item -Path (Join-Path -Path $Module.Tmpdir -ChildPath 'docker-config') -ItemType Directory -Force).FullName
    if ($ClientConfig) {
        [IO.File]::WriteAllText((Join-Path -Path $environment.DOCKER_CONFIG -ChildPath 'config.json'), $ClientConfig)
    }
    $environment
}

Export-ModuleMember -Function Invoke-NativeCommand, New-DockerCliEnvironment
