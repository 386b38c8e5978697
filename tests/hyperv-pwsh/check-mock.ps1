# check-mock.ps1 - is the mock Hyper-V module as pessimistic as
# Microsoft's documentation says a host is?  Run by t0480 through the
# launcher (pwsh -NonInteractive, the mock first on PSModulePath), on the
# state testlib.sh's hv_reset wrote; prints one "ok - " or "not ok - "
# line per check and puts the state back between them.
$ErrorActionPreference = 'Stop'
Import-Module Hyper-V
$path = $env:HYPERV_PWSH_STATE
$base = [System.IO.File]::ReadAllText($path)

function Reset { [System.IO.File]::WriteAllText($path, $base) }
function St { return (ConvertFrom-Json -InputObject ([System.IO.File]::ReadAllText($path))) }
function Edit([scriptblock]$f) {
    $s = St
    & $f $s
    [System.IO.File]::WriteAllText($path,
        (Microsoft.PowerShell.Utility\ConvertTo-Json -InputObject $s -Depth 10))
}
function VmOf([string]$n) { return @((St).vms | Where-Object { $_.name -eq $n })[0] }
function Check([bool]$c, [string]$what, [string]$got) {
    if ($c) { "ok - mock: $what" } else { "not ok - mock: $what (got: $got)" }
}
# the block must fail with a message matching `pattern`
function Refused([scriptblock]$f, [string]$pattern, [string]$what) {
    try { & $f; Check $false $what 'no error' }
    catch { Check ($_.Exception.Message -match $pattern) $what $_.Exception.Message }
}
function Works([scriptblock]$f, [string]$what) {
    try { & $f | Out-Null; Check $true $what '' }
    catch { Check $false $what $_.Exception.Message }
}
$GB = [int64]1073741824

# --- memory ---------------------------------------------------------------
Reset
Refused { Set-VMMemory -VM (Get-VM -Name db01) -StartupBytes 2049MB } 'Memory values must be properly aligned' `
    'an odd number of MB is refused (minikube #6973)'
Check ((VmOf db01).startupMB -eq 2048) 'and nothing changed' (VmOf db01).startupMB
Refused { Set-VMMemory -VM (Get-VM -Name db01) -StartupBytes (8 * $GB) } 'between the minimum' `
    'Dynamic Memory: Startup above Maximum is refused'
Works { Set-VMMemory -VM (Get-VM -Name db01) -MaximumBytes (8 * $GB); Set-VMMemory -VM (Get-VM -Name db01) -StartupBytes (8 * $GB) } `
    'Maximum first, then Startup, works (hashicorp/vagrant#8033)'
Refused { Set-VMMemory -VM (Get-VM -Name db01) -StartupBytes (512MB) } 'between the minimum' `
    'Dynamic Memory: Startup below Minimum is refused'

Reset
Refused { Set-VMProcessor -VM (Get-VM -Name web01) -Count 6 } 'current state' 'a running VM keeps its processor count'
Works { Set-VMMemory -VM (Get-VM -Name web01) -StartupBytes (6 * $GB) } `
    'a running VM with static memory grows (2016+ host, Windows Server 2022 guest)'
Check ((VmOf web01).startupMB -eq 6144) 'to the new size' (VmOf web01).startupMB
Refused { Set-VMMemory -VM (Get-VM -Name web01) -StartupBytes (1 * $GB) } 'could only be reduced to 1756 MB' `
    'below demand + floor: refused'
Check ((VmOf web01).startupMB -eq 1756) 'after taking what it could (1500 MB demand + 256 MB floor)' (VmOf web01).startupMB
Edit { param($s) $s.vms[1].state = 'Running' }
Refused { Set-VMMemory -VM (Get-VM -Name db01) -StartupBytes (3 * $GB) } 'only the minimum and maximum' `
    'Dynamic Memory on a running VM: Startup is refused'
Works { Set-VMMemory -VM (Get-VM -Name db01) -MaximumBytes (6 * $GB) } 'but Maximum changes'
Refused { Set-VMMemory -VM (Get-VM -Name db01) -DynamicMemoryEnabled $false } 'cannot be enabled or disabled' `
    'and Dynamic Memory stays on'
Reset
Edit { param($s) $s.vms[0].hypervInGuest = $true }
Refused { Set-VMMemory -VM (Get-VM -Name web01) -StartupBytes (6 * $GB) } 'running Hyper-V' `
    'Hyper-V inside the guest: no runtime resize (What is Nested Virtualization?)'
Edit { param($s) $s.vms[0].hypervInGuest = $false; $s.vms[0].guest.os = 'Windows Server 2012 R2 Datacenter'; $s.vms[0].guest.major = '6' }
Refused { Set-VMMemory -VM (Get-VM -Name web01) -StartupBytes (6 * $GB) } 'guest operating system does not support' `
    'a Windows Server 2012 R2 guest: no runtime resize'
Edit { param($s) $s.vms[0].guest.os = 'Windows Server 2022'; $s.vms[0].guest.major = '10'; $s.host.build = '9600' }
Refused { Set-VMMemory -VM (Get-VM -Name web01) -StartupBytes (6 * $GB) } 'not supported on this host' `
    'a 2012 R2 host: no runtime resize'

# --- power ----------------------------------------------------------------
Reset
Edit { param($s) $s.vms[1].cpuCount = 20 }
Refused { Start-VM -VM (Get-VM -Name db01) } 'processor topology' 'more vCPUs than the host has: Start-VM fails'
Reset
Edit { param($s) $s.vms[0].guest = $null }
Refused { Stop-VM -VM (Get-VM -Name web01) -Force } 'shutdown integration service' `
    'no guest integration services: Stop-VM fails'

# --- GPU partitioning -----------------------------------------------------
Reset
$p = @(Get-VMHostPartitionableGpu)
Check ($p.Count -eq 1 -and $p[0].Name -clike '\\?\PCI#VEN_10DE&DEV_25B6*#{064092b3-*}') `
    'Get-VMHostPartitionableGpu names the A2 by its device-interface path' ($p.Name -join ',')
Refused { Add-VMGpuPartitionAdapter -VM (Get-VM -Name web01) -InstancePath $p[0].Name } 'current state' `
    'no partition for a running VM'
Works { Add-VMGpuPartitionAdapter -VM (Get-VM -Name db01) -InstancePath $p[0].Name.ToLowerInvariant() } `
    'an Off VM gets one (the path in another case names the same GPU)'
$a = @(Get-VMGpuPartitionAdapter -VM (Get-VM -Name db01))
Check ($a.Count -eq 1 -and $a[0].InstancePath -ceq $p[0].Name.ToLowerInvariant() -and $a[0].InstancePath -ieq $p[0].Name) `
    'the VM reports the path in lower case' ($a.InstancePath -join ',')
Refused { Add-VMGpuPartitionAdapter -VM (Get-VM -Name db01) } 'only one GPU partition' 'one partition per VM'
Refused { Disable-PnpDevice -InstanceId (Get-PnpDevice -Class Display)[0].InstanceId -Confirm:$false; `
        Dismount-VMHostAssignableDevice -LocationPath 'PCIROOT(0)#PCI(0300)#PCI(0000)' -Force } 'either partitioned or assigned' `
    'a GPU with a partition in use cannot be dismounted (DDA or GPU-P, never both)'

# --- DDA ------------------------------------------------------------------
Reset
$t4 = @(Get-PnpDevice -Class Display | Where-Object { $_.FriendlyName -eq 'NVIDIA Tesla T4' })[0]
$loc = (Get-PnpDeviceProperty -InstanceId $t4.InstanceId -KeyName DEVPKEY_Device_LocationPaths).Data[0]
Check ($loc -eq 'PCIROOT(0)#PCI(0200)#PCI(0000)') 'the location path is the first DEVPKEY_Device_LocationPaths' $loc
Refused { Dismount-VMHostAssignableDevice -LocationPath $loc -Force } 'must be disabled' 'an enabled device is not dismounted'
Refused { Disable-PnpDevice -InstanceId $t4.InstanceId } 'NonInteractive' `
    'Disable-PnpDevice without -Confirm:$false asks, which -NonInteractive refuses'
Works { Disable-PnpDevice -InstanceId $t4.InstanceId -Confirm:$false } 'with -Confirm:$false it disables'
Refused { Dismount-VMHostAssignableDevice -LocationPath $loc } 'mitigation|directives for securing' `
    'without a mitigation driver, Dismount needs -Force'
Works { Dismount-VMHostAssignableDevice -LocationPath $loc -Force } 'with -Force it dismounts'
$left = @(Get-PnpDevice -Class Display | Where-Object { $_.InstanceId -eq $t4.InstanceId })
Check ($left.Count -eq 0) 'the dismounted device vanishes from Get-PnpDevice' $left.Count
$sp = @(Get-VMHostAssignableDevice)
Check ($sp.Count -eq 1 -and $sp[0].LocationPath -eq $loc -and $sp[0].InstanceID -like 'PCIP\VEN_10DE&DEV_1EB8*') `
    'and shows in Get-VMHostAssignableDevice as PCIP\...' ($sp.InstanceID -join ',')
Refused { Add-VMAssignableDevice -VM (Get-VM -Name web01) -LocationPath $loc } 'current state' 'no device for a running VM'
Refused { Add-VMAssignableDevice -VM (Get-VM -Name db01) -LocationPath $loc } 'dynamic memory' `
    'no device for a VM with Dynamic Memory'
Edit { param($s) $s.vms[1].dynamic = $false; $s.vms[1].highMmioMB = 512 }
Works { Add-VMAssignableDevice -VM (Get-VM -Name db01) -LocationPath $loc } 'an Off VM with TurnOff gets it'
Refused { Start-VM -VM (Get-VM -Name db01) } 'memory-mapped I/O' 'too little high MMIO space: Start-VM fails'
Check (@(Get-VMHostAssignableDevice).Count -eq 0) 'the assigned device leaves Get-VMHostAssignableDevice' ''
Edit { param($s) $s.vms[1].highMmioMB = 33280 }
Works { Start-VM -VM (Get-VM -Name db01) } 'with enough MMIO it starts'
Refused { Remove-VMAssignableDevice -VM (Get-VM -Name db01) -LocationPath $loc } 'current state' `
    'a device is removed only from a stopped VM'
Works { Stop-VM -VM (Get-VM -Name db01) -Force; Remove-VMAssignableDevice -VM (Get-VM -Name db01) -LocationPath $loc; `
        Mount-VMHostAssignableDevice -LocationPath $loc; Enable-PnpDevice -InstanceId $t4.InstanceId -Confirm:$false } `
    'stopped: removed, mounted and enabled again'
Check (@(Get-PnpDevice -Class Display | Where-Object { $_.InstanceId -eq $t4.InstanceId -and $_.Status -eq 'OK' }).Count -eq 1) `
    'the device is the host''s again' ''
Reset
Edit { param($s) $s.vms[0].state = 'Off' }
Disable-PnpDevice -InstanceId $t4.InstanceId -Confirm:$false
Dismount-VMHostAssignableDevice -LocationPath $loc -Force
Refused { Add-VMAssignableDevice -VM (Get-VM -Name web01) -LocationPath $loc } 'automatic stop action TurnOff' `
    'no device for a VM whose automatic stop action is not TurnOff'

# --- the host's other shapes ------------------------------------------------
Reset
Edit { param($s) $s.faults = [pscustomobject]@{ ps51Json = $true } }
$j = ConvertTo-Json -Compress -InputObject ([ordered]@{ a = "<b> & 'c'" })
Check ($j -ceq '{"a":"\u003cb\u003e \u0026 \u0027c\u0027"}') 'ps51Json: ConvertTo-Json escapes as 5.1 does' $j
Edit { param($s) $s.faults = [pscustomobject]@{ failIn = [pscustomobject]@{ 'Set-VMProcessor' = 'Failed to modify device' } } }
Refused { Set-VMProcessor -VM (Get-VM -Name db01) -Count 3 } '^Failed to modify device$' 'failIn: the cmdlet fails with the text'
Check ((VmOf db01).cpuCount -eq 2) 'and changes nothing' (VmOf db01).cpuCount
Reset
Edit { param($s) $s.host.win10Cmdlets = $true }
Import-Module Hyper-V -Force
Check ($null -eq (Get-Command Get-VMHostPartitionableGpu -ErrorAction SilentlyContinue)) `
    'win10Cmdlets: only Get-VMPartitionableGpu exists' ''
Check ((@(Get-VMPartitionableGpu)[0].Name) -clike '*}\GPUPARAV') 'and its paths end in \GPUPARAV' (@(Get-VMPartitionableGpu)[0].Name)
Reset
