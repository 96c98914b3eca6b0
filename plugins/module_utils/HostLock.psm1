# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# One writer per host: every module that changes a container host (container_steps,
# container_engine) holds this lock for its whole run. The lock file is opened for
# writing with FileShare.Read, so a second writer's open fails (sharing violation)
# while this process lives, and Windows closes the handle when the process ends,
# however it ends: a lock whose holder died opens again (taken over), its record
# naming who did not finish.

Function Read-HostLockRecord {
    param([Parameter(Mandatory = $true)][AllowEmptyString()][AllowNull()][string]$Text)
    if (-not $Text) { return $null }
    try {
        return [Ansible.Basic.AnsibleModule]::FromJson($Text)
    }
    catch {
        return @{ holder = '(unreadable lock record)' }
    }
}

Function Enter-HostLock {
    <#
    .SYNOPSIS
    Takes the host lock, retrying once a second for up to -Timeout seconds; when the wait
    ends, fails the module with a message naming the holder and since when.
    Returns @{ Stream; Info }: Info is the module's "lock" return value; Info.contended says
    another run held the lock when this one arrived.
    #>
    param (
        [Parameter(Mandatory = $true)][Object]$Module,
        [Parameter(Mandatory = $true)][int]$Timeout,
        [Parameter(Mandatory = $true)][string]$Holder
    )
    $path = Join-Path -Path $env:ProgramData -ChildPath 'trustbound.wincontainers\host.lock'
    $null = New-Item -Path (Split-Path -Path $path -Parent) -ItemType Directory -Force
    $started = [DateTime]::UtcNow
    $stream = $null
    $contended = $false
    while ($null -eq $stream) {
        try {
            $stream = [IO.File]::Open($path, 'OpenOrCreate', 'ReadWrite', 'Read')
        }
        catch [IO.IOException] {
            $contended = $true
            $waited = ([DateTime]::UtcNow - $started).TotalSeconds
            if ($waited -ge $Timeout) {
                $record = @{}
                try {
                    $reader = [IO.File]::Open($path, 'Open', 'Read', 'ReadWrite')
                    try {
                        $text = (New-Object -TypeName IO.StreamReader -ArgumentList $reader).ReadToEnd()
                    }
                    finally {
                        $reader.Dispose()
                    }
                    $read = Read-HostLockRecord -Text $text
                    if ($null -ne $read) { $record = $read }
                }
                catch {
                    $record = @{ holder = '(unreadable lock record)' }
                }
                $who = if ($record.holder) { $record.holder } else { '(unknown)' }
                $since = if ($record.since) { $record.since } else { '?' }
                $holderPid = if ($null -ne $record.pid) { $record.pid } else { '?' }
                $Module.Result.lock = @{ path = $path; waited_seconds = [int]$waited; holder = $record }
                $Module.FailJson(("the host lock {0} is held by {1} since {2} (pid {3}); waited {4} seconds for it: another run is changing this host. Nothing was changed; run again when it is done" -f $path, $who, $since, $holderPid, $Timeout))
            }
            Start-Sleep -Seconds 1
        }
    }
    $reader = New-Object -TypeName IO.StreamReader -ArgumentList $stream, ([Text.UTF8Encoding]::new($false)), $false, 4096, $true
    $stale = Read-HostLockRecord -Text $reader.ReadToEnd()
    $record = [Ansible.Basic.AnsibleModule]::ToJson(@{
            holder = $Holder
            since = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ', [Globalization.CultureInfo]::InvariantCulture)
            pid = $PID
        })
    $bytes = [Text.Encoding]::UTF8.GetBytes($record)
    $stream.SetLength(0)
    $stream.Write($bytes, 0, $bytes.Length)
    $stream.Flush()
    @{
        Stream = $stream
        Info = @{
            path = $path
            waited_seconds = [int]([DateTime]::UtcNow - $started).TotalSeconds
            contended = $contended
            taken_over = $stale
        }
    }
}

Function Exit-HostLock {
    <#
    .SYNOPSIS
    A normal end: empties the record, then closes the handle. Safe to call twice.
    #>
    param([Parameter(Mandatory = $true)][AllowNull()][Object]$HostLock)
    if ($null -eq $HostLock -or $null -eq $HostLock.Stream) { return }
    $HostLock.Stream.SetLength(0)
    $HostLock.Stream.Dispose()
    $HostLock.Stream = $null
}

Export-ModuleMember -Function Enter-HostLock, Exit-HostLock
