# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# One writer per host: every module that changes a container host (container_steps,
# container_engine) holds this lock for its whole run. The lock file is opened for
# writing with FileShare.Read, so a second writer's open fails (sharing violation)
# while this process lives, and Windows closes the handle when the process ends,
# however it ends: a lock whose holder died opens again (taken over), its record
# naming who did not finish.
#
# A lease extends the lock across module runs and restarts (a patch: drain, Windows
# Update with its restarts, restore): the holder leaves a record with lease_id and
# lease_until instead of an empty one. Until then, only runs with the same lease id
# take the lock; others wait as for a held lock. A lease ends by itself at lease_until.

$script:LockPath = Join-Path -Path $env:ProgramData -ChildPath 'trustbound.wincontainers\host.lock'
$script:RecordTimeFormat = 'yyyy-MM-ddTHH:mm:ssZ'
# The lock's folder: Administrators and SYSTEM only, not inherited. ProgramData's own ACL
# lets every local user create folders and files there (BUILTIN\Users: (CI)(AD,WD), CREATOR
# OWNER full control), so a user who created host.lock first could hold it open for ever.
$script:FolderSddl = 'D:P(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)'
# Who may own the folder and the lock file: Administrators, SYSTEM, or this run's account
# (an administrator whose objects are owned by the creator, by local security policy).
$script:OwnerSids = @('S-1-5-32-544', 'S-1-5-18')

Function Protect-HostLockFolder {
    # Created with its ACL in one call (Directory.CreateDirectory(String, DirectorySecurity) of
    # .NET Framework, which Windows PowerShell 5.1 runs on; .NET 5+ moved it to
    # FileSystemAclExtensions); an existing folder must be owned as above, then gets the ACL again.
    param([Parameter(Mandatory = $true)][Object]$Module, [Parameter(Mandatory = $true)][string]$Path)
    $folder = Split-Path -Path $Path -Parent
    $acl = New-Object -TypeName Security.AccessControl.DirectorySecurity
    $acl.SetSecurityDescriptorSddlForm($script:FolderSddl)
    if (-not (Test-Path -LiteralPath $folder)) { $null = [IO.Directory]::CreateDirectory($folder, $acl) }
    $allowed = $script:OwnerSids + [Security.Principal.WindowsIdentity]::GetCurrent().User.Value
    foreach ($item in @($folder, $Path) | Where-Object { Test-Path -LiteralPath $_ }) {
        $owner = (Get-Acl -LiteralPath $item).GetOwner([Security.Principal.SecurityIdentifier]).Value
        if ($owner -notin $allowed) {
            $Module.FailJson(("the host lock {0} is owned by {1}, not by Administrators or SYSTEM: another account created it and could keep every run from changing this host. Nothing was changed; remove {0} as an administrator and run again" -f $item, $owner))
        }
    }
    Set-Acl -LiteralPath $folder -AclObject $acl
}

Function Read-HostLockRecord {
    # The record as any reader sees it (container_host_info too): {} when there is none. Its
    # handle asks Read access and shares ReadWrite, so it opens beside a writer's handle
    # (ReadWrite access, FileShare.Read), the writer's own included, and never keeps a writer
    # out ("Creating and Opening Files":
    # https://learn.microsoft.com/windows/win32/fileio/creating-and-opening-files).
    if (-not (Test-Path -LiteralPath $script:LockPath)) { return @{} }
    try {
        $reader = New-Object -TypeName IO.StreamReader -ArgumentList ([IO.File]::Open($script:LockPath, 'Open', 'Read', 'ReadWrite'))
        try {
            $text = $reader.ReadToEnd()
        }
        finally {
            $reader.Dispose()
        }
        if (-not $text) { return @{} }
        return [Ansible.Basic.AnsibleModule]::FromJson($text)
    }
    catch {
        return @{ holder = '(unreadable lock record)' }
    }
}

Function Test-ForeignLease {
    # The record is a lease of another lease id that has not ended yet.
    param([AllowNull()][Object]$Record, [AllowEmptyString()][string]$LeaseId)
    if (-not $Record.lease_id -or -not $Record.lease_until -or ($LeaseId -and $Record.lease_id -eq $LeaseId)) {
        return $false
    }
    $styles = [Globalization.DateTimeStyles]'AssumeUniversal, AdjustToUniversal'
    $until = [DateTime]::MinValue
    $parsed = [DateTime]::TryParseExact([string]$Record.lease_until, $script:RecordTimeFormat, [Globalization.CultureInfo]::InvariantCulture, $styles, [ref]$until)
    return $parsed -and $until -gt [DateTime]::UtcNow
}

Function Format-UtcNow {
    param([int]$AddSeconds = 0)
    [DateTime]::UtcNow.AddSeconds($AddSeconds).ToString($script:RecordTimeFormat, [Globalization.CultureInfo]::InvariantCulture)
}

Function Write-HostLockRecord {
    # Replaces the record on the writer's handle; no record leaves the file empty.
    param([Parameter(Mandatory = $true)][Object]$Stream, [AllowNull()][Object]$Record)
    $text = if ($null -eq $Record) { '' } else { [Ansible.Basic.AnsibleModule]::ToJson($Record) }
    $bytes = [Text.Encoding]::UTF8.GetBytes($text)
    $Stream.SetLength(0)
    $Stream.Write($bytes, 0, $bytes.Length)
    $Stream.Flush()
}

Function Enter-HostLock {
    <#
    .SYNOPSIS
    Takes the host lock, retrying once a second for up to -Timeout seconds while another
    process holds it or another lease id's lease runs; when the wait ends, fails the module
    with a message naming the holder and since when.
    Returns @{ Stream; Info; Record }: Info is the module's "lock" return value; Info.contended
    says another run held the lock (or a lease) when this one arrived.
    #>
    param (
        [Parameter(Mandatory = $true)][Object]$Module,
        [Parameter(Mandatory = $true)][int]$Timeout,
        [Parameter(Mandatory = $true)][AllowEmptyString()][string]$Holder,
        [AllowEmptyString()][string]$LeaseId = ''
    )
    Protect-HostLockFolder -Module $Module -Path $script:LockPath
    $started = [DateTime]::UtcNow
    $contended = $false
    while ($true) {
        # A lease is read without the writer's handle, so a waiter never makes its holder's
        # next run find the lock held; the record is read again once the handle is ours.
        $found = Read-HostLockRecord
        if (-not (Test-ForeignLease -Record $found -LeaseId $LeaseId)) {
            try {
                $stream = [IO.File]::Open($script:LockPath, 'OpenOrCreate', 'ReadWrite', 'Read')
                $found = Read-HostLockRecord
                if (-not (Test-ForeignLease -Record $found -LeaseId $LeaseId)) { break }
                $stream.Dispose()
            }
            catch [IO.IOException] {
                # ERROR_SHARING_VIOLATION (32) or ERROR_LOCK_VIOLATION (33): another process has
                # it open. GetBaseException: the IOException a MethodInvocationException wraps.
                if (($_.Exception.GetBaseException().HResult -band 0xFFFF) -notin @(32, 33)) { throw }
                $found = Read-HostLockRecord
            }
        }
        $contended = $true
        $waited = ([DateTime]::UtcNow - $started).TotalSeconds
        if ($waited -ge $Timeout) {
            $who = if ($found.holder) { $found.holder } else { '(unknown)' }
            $since = if ($found.since) { $found.since } else { '?' }
            $holderPid = if ($null -ne $found.pid) { $found.pid } else { '?' }
            $Module.Result.lock = @{ path = $script:LockPath; waited_seconds = [int]$waited; holder = $found }
            if ($found.lease_until) {
                $Module.FailJson(("the host lock {0} is leased to {1} since {2} until {3} (lease {4}): that run changes this host across module runs and restarts; waited {5} seconds for it. Nothing was changed; run again when it is done (the lease ends by itself at {3})" -f $script:LockPath, $who, $since, $found.lease_until, $found.lease_id, $Timeout))
            }
            $Module.FailJson(("the host lock {0} is held by {1} since {2} (pid {3}); waited {4} seconds for it: another run is changing this host. Nothing was changed; run again when it is done" -f $script:LockPath, $who, $since, $holderPid, $Timeout))
        }
        Start-Sleep -Seconds 1
    }
    $ownLease = $LeaseId -and $found.lease_id -eq $LeaseId
    $record = @{ holder = $Holder; since = (Format-UtcNow); pid = $PID }
    if ($ownLease) {
        # Held under its own lease: if this process dies, the lease is still on record.
        $record.lease_id = $LeaseId
        $record.lease_until = $found.lease_until
    }
    Write-HostLockRecord -Stream $stream -Record $record
    @{
        Stream = $stream
        Record = $record
        Info = @{
            path = $script:LockPath
            waited_seconds = [int]([DateTime]::UtcNow - $started).TotalSeconds
            contended = $contended
            taken_over = if ($ownLease -or $found.Count -eq 0) { $null } else { $found }
            lease = if ($ownLease) { $found } else { $null }
        }
    }
}

Function Exit-HostLock {
    <#
    .SYNOPSIS
    Ends this run's hold: empties the record, or with -LeaseSeconds leaves a lease record
    (-LeaseId until now + -LeaseSeconds), or with -KeepLease puts back the own lease the lock
    carried when taken; then closes the handle. Safe to call twice.
    #>
    param(
        [Parameter(Mandatory = $true)][AllowNull()][Object]$HostLock,
        [AllowEmptyString()][string]$LeaseId = '',
        [int]$LeaseSeconds = 0,
        [switch]$KeepLease
    )
    if ($null -eq $HostLock -or $null -eq $HostLock.Stream) { return }
    $record = if ($KeepLease) { $HostLock.Info.lease } else { $null }
    if ($null -eq $record -and $LeaseId -and $LeaseSeconds -gt 0) {
        # This run's record (holder, pid) since now, with the lease it leaves.
        $record = $HostLock.Record
        $record.since = Format-UtcNow
        $record.lease_id = $LeaseId
        $record.lease_until = Format-UtcNow -AddSeconds $LeaseSeconds
    }
    Write-HostLockRecord -Stream $HostLock.Stream -Record $record
    $HostLock.Stream.Dispose()
    $HostLock.Stream = $null
}

Export-ModuleMember -Function Enter-HostLock, Exit-HostLock, Read-HostLockRecord
