# Hyper-V.psm1 - a stand-in for Microsoft's Hyper-V module (and the few
# PnpDevice, CIM and registry cmdlets the hyperv backend reads), for the
# tests that run vmrecon's scripts in a real PowerShell (pwsh 7, imported
# through tests/hyperv-pwsh/powershell).  Once imported, a function here is
# found before a cmdlet of the same name.  It behaves as Microsoft's
# documentation says a host does, and where the documentation is silent,
# as pessimistically as the public evidence allows (README "hyperv"):
#  - memory values that are not a multiple of 2 MB are refused with the
#    words minikube met (kubernetes/minikube #6973: "Memory values must be
#    properly aligned");
#  - with Dynamic Memory, Startup outside [Minimum, Maximum] is refused
#    (hashicorp/vagrant#8033: the order of the calls matters);
#  - on a running VM: the processor count, GPU partitions and DDA devices
#    are refused; with Dynamic Memory only Minimum and Maximum change
#    (Microsoft, Feature Descriptions for Linux and FreeBSD VMs: "only the
#    Minimum and Maximum settings can be changed"); static memory changes
#    only on a 2016+ host (build 14393) with a Windows 10/Server 2016+ or
#    Linux guest, never while Hyper-V runs in the guest ("What is Nested
#    Virtualization?"), and a decrease below the guest's demand plus the
#    balloon floor takes memory only down to that and fails (Runtime
#    Memory Resize);
#  - GPU-P: Get-VMHostPartitionableGpu names GPUs by device-interface path
#    in upper case, Get-VMGpuPartitionAdapter reports the path in lower
#    case (Windows compares them without regard to case); one partition
#    per VM ("GPU partitioning": "You can assign only a single GPU
#    partition to a VM"); a GPU is DDA or GPU-P, never both;
#  - DDA: Dismount-VMHostAssignableDevice needs the device disabled first
#    and -Force without a vendor mitigation driver ("Deploy graphics
#    devices using Discrete Device Assignment"); a dismounted device
#    vanishes from Get-PnpDevice and Get-VMHostPartitionableGpu, and
#    shows in Get-VMHostAssignableDevice until a VM takes it;
#    Add-VMAssignableDevice needs AutomaticStopAction TurnOff and no
#    Dynamic Memory; Start-VM fails when the devices' MMIO does not fit
#    the VM's high MMIO space or its vCPUs exceed the host's processors;
#  - Disable-PnpDevice and Enable-PnpDevice have ConfirmImpact High, so
#    without -Confirm:$false a -NonInteractive session refuses them;
#  - Stop-VM without the guest's shutdown integration service fails.
#
# State: the JSON file named by $env:HYPERV_PWSH_STATE (UTF-8), read at
# every call, written back when something changes:
#   { "host": { "logicalProcessors": 16, "memoryMB": 65536,
#               "freeMemoryMB": 32768, "build": "26100", "ubr": 1742,
#               "productName": "...", "installationType": "Server",
#               "model": "...", "win10Cmdlets": false (only
#               Get-VMPartitionableGpu, paths end in \GPUPARAV),
#               "gpus": [ { "name": "NVIDIA A2", "hwid":
#                   "VEN_10DE&DEV_25B6&SUBSYS_157E10DE&REV_A1",
#                   "inst": "4&2A5A9F4A&0&0010", "location":
#                   "PCIROOT(0)#PCI(0300)#PCI(0000)", "partitionable":
#                   true, "mitigationDriver": false, "mmioMB": 16384,
#                   "disabled": false, "dismounted": false } ] },
#     "vms": [ { "name": "web01", "id": "GUID", "state": "Running",
#                "generation": 2, "cpuCount": 4, "startupMB": 4096,
#                "minimumMB": 512, "maximumMB": 1048576, "dynamic": false,
#                "demandMB": 1024, "nested": false, "hypervInGuest": false,
#                "stopAction": "Save", "highMmioMB": 512,
#                "guest": { "os": "Windows Server 2022 Datacenter",
#                           "major": "10" } or null,
#                "partitions": [ "PATH" ], "assigned": [ "LOCATION" ] } ],
#     "faults": { ... } }
# Faults (each optional):
#   "stopFails": "TEXT", "startFails": "TEXT"  Stop-VM / Start-VM fail
#   "failIn": { "CMD": "TEXT" }   CMD fails with TEXT before it changes
#                                 anything
#   "exitIn": { "CMD": N }        the process exits with N in the middle of
#                                 CMD (a crash: nothing after it runs)
#   "hangIn": "CMD"               every call of CMD sleeps until killed
#   "noise": { "CMD": ["LINE"] }  Write-Host lines CMD prints first
#   "ps51Json": true              ConvertTo-Json escapes < > & ' as
#                                 \u003c \u003e \u0026 \u0027, as Windows
#                                 PowerShell 5.1 does (7 does not)
#   "noInstancePath": true        partition adapters have no InstancePath
#                                 (the 2020 module)
#   "noKvp": true                 no guest reports through KVP
# Trace: with $env:HYPERV_PWSH_TRACE set, every call appends one JSON line
# {"cmd": NAME, "vm": VM NAME or null, "args": {OTHER BOUND PARAMETERS}}.

Set-StrictMode -Off

$script:RegKey = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
$script:IfGuid = '{064092b3-625e-43bf-9eb5-dc845897dd59}'
$script:MB = [int64]1048576
$script:Floor = 256   # MB the balloon driver keeps free above demand

function Read-MockState {
    if (-not $env:HYPERV_PWSH_STATE) {
        throw 'mock Hyper-V: HYPERV_PWSH_STATE is not set'
    }
    $text = [System.IO.File]::ReadAllText($env:HYPERV_PWSH_STATE,
        [System.Text.Encoding]::UTF8)
    return (ConvertFrom-Json -InputObject $text)
}

function Save-MockState($st) {
    $json = Microsoft.PowerShell.Utility\ConvertTo-Json -InputObject $st -Depth 10
    [System.IO.File]::WriteAllText($env:HYPERV_PWSH_STATE, $json,
        (New-Object System.Text.UTF8Encoding $false))
}

function Get-Knob($st, [string]$name) {
    if ($null -eq $st.faults) { return $null }
    $p = $st.faults.PSObject.Properties[$name]
    if ($null -eq $p) { return $null }
    return $p.Value
}

function Get-KnobFor($st, [string]$name, [string]$cmd) {
    $x = Get-Knob $st $name
    if ($null -eq $x -or $null -eq $x.PSObject.Properties[$cmd]) {
        return $null
    }
    return $x.PSObject.Properties[$cmd].Value
}

function Write-MockTrace([string]$cmd, $bound) {
    if (-not $env:HYPERV_PWSH_TRACE) { return }
    $a = [ordered]@{}
    $vmName = $null
    foreach ($k in $bound.Keys) {
        $v = $bound[$k]
        if ($k -eq 'VM') { $vmName = [string]@($v)[0].Name; continue }
        if ($k -eq 'VMName') { $vmName = [string]@($v)[0]; continue }
        if ($v -is [System.Management.Automation.SwitchParameter]) {
            $v = [bool]$v
        }
        $a[$k] = $v
    }
    $line = Microsoft.PowerShell.Utility\ConvertTo-Json -Compress -Depth 4 `
        -InputObject ([ordered]@{ cmd = $cmd; vm = $vmName; args = $a })
    [System.IO.File]::AppendAllText($env:HYPERV_PWSH_TRACE, $line + "`n",
        (New-Object System.Text.UTF8Encoding $false))
}

# One call: traced, the state read, the faults "hangIn", "exitIn",
# "noise" and "failIn", then `body` ($st) runs; it returns what the
# cmdlet outputs and saves the state itself when it changes it.
function Invoke-Mock([string]$cmd, $bound, [scriptblock]$body) {
    Write-MockTrace $cmd $bound
    $st = Read-MockState
    if ((Get-Knob $st 'hangIn') -eq $cmd) {
        while ($true) { Start-Sleep -Seconds 3600 }
    }
    $n = Get-KnobFor $st 'noise' $cmd
    if ($null -ne $n) { foreach ($l in @($n)) { Write-Host $l } }
    $x = Get-KnobFor $st 'exitIn' $cmd
    if ($null -ne $x) { [Environment]::Exit([int]$x) }
    $f = Get-KnobFor $st 'failIn' $cmd
    if ($null -ne $f) { throw [string]$f }
    & $body $st
}

function Get-Gpus($st) { return @($st.host.gpus | Where-Object { $null -ne $_ }) }

function Get-GpuInstance($g) { return ('PCI\{0}\{1}' -f $g.hwid, $g.inst) }

function Get-GpuPath($st, $g) {
    $p = '\\?\PCI#{0}#{1}#{2}' -f $g.hwid, $g.inst, $script:IfGuid
    if ($st.host.win10Cmdlets) { $p += '\GPUPARAV' }
    return $p
}

function Find-GpuByLocation($st, [string]$loc) {
    foreach ($g in (Get-Gpus $st)) {
        if ($g.location -eq $loc) { return $g }
    }
    return $null
}

function Find-GpuByPath($st, [string]$path) {
    foreach ($g in (Get-Gpus $st)) {
        if ($g.partitionable -and -not $g.dismounted -and
            (Get-GpuPath $st $g) -eq $path) { return $g }
    }
    return $null
}

function Get-Vms($st) { return @($st.vms | Where-Object { $null -ne $_ }) }

# The VM a cmdlet was given: -VM (an object from Get-VM) or -VMName.
function Resolve-MockVm($st, $bound) {
    if ($bound.ContainsKey('VM')) {
        $id = [string]@($bound['VM'])[0].Id
        foreach ($v in (Get-Vms $st)) { if ($v.id -eq $id) { return $v } }
        throw ("Hyper-V was unable to find a virtual machine with ID {0}." -f $id)
    }
    $name = [string]@($bound['VMName'])[0]
    $m = @((Get-Vms $st) | Where-Object { $_.name -like $name })
    if ($m.Count -eq 0) {
        throw ("Hyper-V was unable to find a virtual machine with name `"{0}`"." -f $name)
    }
    if ($m.Count -gt 1) { throw ("More than one virtual machine is named `"{0}`"." -f $name) }
    return $m[0]
}

function Assert-Off($vm, [string]$device) {
    if ($vm.state -ne 'Off') {
        throw ("'{0}' failed to modify device '{1}'. The operation cannot be performed while the virtual machine is in its current state. (Virtual machine ID {2})" -f
            $vm.name, $device, $vm.id)
    }
}

function Assert-Aligned($vm, [int64]$bytes) {
    if ($bytes % (2 * $script:MB) -ne 0) {
        throw ("Failed to modify device 'Memory'. Invalid memory value assigned for '{0}'. Memory values must be properly aligned. The memory value assigned ('{1}' MB) is not properly aligned. Try again with a memory value that is properly aligned. (Virtual machine ID {2})" -f
            $vm.name, [int64]($bytes / $script:MB), $vm.id)
    }
}

function Get-MaxVcpus($st, $vm) {
    $b = [int]$st.host.build
    if ([int]$vm.generation -eq 1) { return 64 }
    if ($b -ge 26100) { return 2048 }
    if ($b -ge 20348) { return 1024 }
    return 240
}

function New-MockVmObject($vm) {
    $assigned = 0
    if ($vm.state -eq 'Running') { $assigned = [int64]$vm.startupMB * $script:MB }
    $demand = 0
    if ($vm.state -eq 'Running' -and $null -ne $vm.guest) {
        $demand = [int64]$vm.demandMB * $script:MB
    }
    return [pscustomobject]@{
        Name = [string]$vm.name; Id = [guid]$vm.id; VMId = [guid]$vm.id
        VMName = [string]$vm.name
        State = [string]$vm.state; Generation = [int]$vm.generation
        Version = '12.0'; ProcessorCount = [int]$vm.cpuCount
        MemoryStartup = [int64]$vm.startupMB * $script:MB
        MemoryMinimum = [int64]$vm.minimumMB * $script:MB
        MemoryMaximum = [int64]$vm.maximumMB * $script:MB
        DynamicMemoryEnabled = [bool]$vm.dynamic
        MemoryAssigned = $assigned; MemoryDemand = $demand
        AutomaticStopAction = [string]$vm.stopAction
        HighMemoryMappedIoSpace = [int64]$vm.highMmioMB * $script:MB
        LowMemoryMappedIoSpace = [int64]128 * $script:MB
        Uptime = [timespan]::Zero; CreationTime = [datetime]'2026-01-01'
    }
}

function Get-VM {
    [CmdletBinding(DefaultParameterSetName = 'Name')]
    param(
        [Parameter(ParameterSetName = 'Name', Position = 0)]
        [string[]]$Name,
        [Parameter(ParameterSetName = 'Id', Mandatory = $true)]
        [string]$Id
    )
    Invoke-Mock 'Get-VM' $PSBoundParameters {
        param($st)
        if ($Id) {
            foreach ($v in (Get-Vms $st)) {
                if ($v.id -eq $Id) { return (New-MockVmObject $v) }
            }
            throw ("Hyper-V was unable to find a virtual machine with ID {0}." -f $Id)
        }
        foreach ($v in (Get-Vms $st)) {
            if (-not $Name -or @($Name | Where-Object { $v.name -like $_ }).Count) {
                New-MockVmObject $v
            }
        }
    }
}

function Get-VMHost {
    [CmdletBinding()]
    param()
    Invoke-Mock 'Get-VMHost' $PSBoundParameters {
        param($st)
        [pscustomobject]@{ Name = 'HV01'
            LogicalProcessorCount = [int]$st.host.logicalProcessors
            MemoryCapacity = [int64]$st.host.memoryMB * $script:MB
            VirtualMachinePath = 'C:\ProgramData\Microsoft\Windows\Hyper-V' }
    }
}

function Get-VMProcessor {
    [CmdletBinding()]
    param([Parameter(ParameterSetName = 'VM', Mandatory = $true, Position = 0)] $VM,
        [Parameter(ParameterSetName = 'VMName', Mandatory = $true)] [string[]]$VMName)
    $b = $PSBoundParameters
    Invoke-Mock 'Get-VMProcessor' $b {
        param($st)
        $v = Resolve-MockVm $st $b
        [pscustomobject]@{ VMName = $v.name; Count = [int]$v.cpuCount
            ExposeVirtualizationExtensions = [bool]$v.nested
            Reserve = 0; Maximum = 100; RelativeWeight = 100 }
    }
}

function Set-VMProcessor {
    [CmdletBinding()]
    param([Parameter(ParameterSetName = 'VM', Mandatory = $true, Position = 0)] $VM,
        [Parameter(ParameterSetName = 'VMName', Mandatory = $true)] [string[]]$VMName,
        [int64]$Count, [bool]$ExposeVirtualizationExtensions)
    $b = $PSBoundParameters
    Invoke-Mock 'Set-VMProcessor' $b {
        param($st)
        $v = Resolve-MockVm $st $b
        Assert-Off $v 'Processor'
        if ($b.ContainsKey('Count')) {
            $max = Get-MaxVcpus $st $v
            if ($Count -lt 1 -or $Count -gt $max) {
                throw ("'{0}' failed to modify device 'Processor'. The virtual processor count {1} is not in the range 1 to {2}." -f
                    $v.name, $Count, $max)
            }
            $v.cpuCount = $Count
        }
        if ($b.ContainsKey('ExposeVirtualizationExtensions')) {
            $v.nested = $ExposeVirtualizationExtensions
        }
        Save-MockState $st
    }
}

function Get-VMMemory {
    [CmdletBinding()]
    param([Parameter(ParameterSetName = 'VM', Mandatory = $true, Position = 0)] $VM,
        [Parameter(ParameterSetName = 'VMName', Mandatory = $true)] [string[]]$VMName)
    $b = $PSBoundParameters
    Invoke-Mock 'Get-VMMemory' $b {
        param($st)
        $v = Resolve-MockVm $st $b
        [pscustomobject]@{ VMName = $v.name
            Startup = [int64]$v.startupMB * $script:MB
            Minimum = [int64]$v.minimumMB * $script:MB
            Maximum = [int64]$v.maximumMB * $script:MB
            DynamicMemoryEnabled = [bool]$v.dynamic; Buffer = 20
            Priority = 50 }
    }
}

# Set-VMMemory, as Microsoft's documentation and the evidence describe it.
function Set-VMMemory {
    [CmdletBinding()]
    param([Parameter(ParameterSetName = 'VM', Mandatory = $true, Position = 0)] $VM,
        [Parameter(ParameterSetName = 'VMName', Mandatory = $true)] [string[]]$VMName,
        [int64]$StartupBytes, [int64]$MinimumBytes, [int64]$MaximumBytes,
        [bool]$DynamicMemoryEnabled, [int]$Buffer, [int]$Priority)
    $b = $PSBoundParameters
    Invoke-Mock 'Set-VMMemory' $b {
        param($st)
        $v = Resolve-MockVm $st $b
        $dyn = [bool]$v.dynamic
        $start = [int64]$v.startupMB * $script:MB
        $min = [int64]$v.minimumMB * $script:MB
        $max = [int64]$v.maximumMB * $script:MB
        foreach ($k in 'StartupBytes', 'MinimumBytes', 'MaximumBytes') {
            if ($b.ContainsKey($k)) { Assert-Aligned $v $b[$k] }
        }
        if ($b.ContainsKey('DynamicMemoryEnabled')) { $dyn = $DynamicMemoryEnabled }
        if ($b.ContainsKey('StartupBytes')) { $start = $StartupBytes }
        if ($b.ContainsKey('MinimumBytes')) { $min = $MinimumBytes }
        if ($b.ContainsKey('MaximumBytes')) { $max = $MaximumBytes }
        if ($dyn -and ($start -lt $min -or $start -gt $max)) {
            throw ("Failed to modify device 'Memory'. '{0}': the startup memory ({1} MB) must lie between the minimum ({2} MB) and the maximum ({3} MB). (Virtual machine ID {4})" -f
                $v.name, [int64]($start / $script:MB), [int64]($min / $script:MB),
                [int64]($max / $script:MB), $v.id)
        }
        if ($dyn -and $min -gt $max) {
            throw ("Failed to modify device 'Memory'. '{0}': the minimum memory is greater than the maximum." -f $v.name)
        }
        $target = [int64]($start / $script:MB)
        if ($v.state -eq 'Running') {
            if ($b.ContainsKey('DynamicMemoryEnabled') -and $dyn -ne [bool]$v.dynamic) {
                throw ("'{0}' failed to modify device 'Memory'. Dynamic memory cannot be enabled or disabled while the virtual machine is running." -f $v.name)
            }
            if ($target -ne [int64]$v.startupMB) {
                if ($dyn) {
                    throw ("'{0}' failed to modify device 'Memory'. The startup memory of a running virtual machine with dynamic memory cannot be changed; only the minimum and maximum can." -f $v.name)
                }
                if ([int]$st.host.build -lt 14393) {
                    throw ("'{0}' failed to modify device 'Memory'. Runtime memory resize is not supported on this host." -f $v.name)
                }
                $g = $v.guest
                if ($null -eq $g -or ($g.os -like '*Windows*' -and [int]$g.major -lt 10)) {
                    throw ("'{0}' failed to modify device 'Memory'. The guest operating system does not support changing the memory of a running virtual machine." -f $v.name)
                }
                if ($v.hypervInGuest) {
                    throw ("'{0}' failed to modify device 'Memory'. The memory of a virtual machine running Hyper-V cannot be changed while it runs." -f $v.name)
                }
                $delta = $target - [int64]$v.startupMB
                if ($delta -gt [int64]$st.host.freeMemoryMB) {
                    throw ("'{0}' failed to modify device 'Memory'. Not enough memory in the system to add {1} MB." -f $v.name, $delta)
                }
                $floor = [int64]$v.demandMB + $script:Floor
                if ($target -lt $floor) {
                    # what runtime resize can take: down to demand + floor
                    $got = [int64]([math]::Ceiling($floor / 2) * 2)
                    if ($got -lt [int64]$v.startupMB) {
                        $st.host.freeMemoryMB = [int64]$st.host.freeMemoryMB + [int64]$v.startupMB - $got
                        $v.startupMB = $got
                        Save-MockState $st
                    }
                    throw ("'{0}' failed to modify device 'Memory'. The memory could only be reduced to {1} MB: the guest needs the rest. (Virtual machine ID {2})" -f
                        $v.name, $v.startupMB, $v.id)
                }
                $st.host.freeMemoryMB = [int64]$st.host.freeMemoryMB - $delta
            }
        }
        $v.dynamic = $dyn
        $v.startupMB = $target
        $v.minimumMB = [int64]($min / $script:MB)
        $v.maximumMB = [int64]($max / $script:MB)
        Save-MockState $st
    }
}

function Get-VMGpuPartitionAdapter {
    [CmdletBinding()]
    param([Parameter(ParameterSetName = 'VM', Mandatory = $true, Position = 0)] $VM,
        [Parameter(ParameterSetName = 'VMName', Mandatory = $true)] [string[]]$VMName)
    $b = $PSBoundParameters
    Invoke-Mock 'Get-VMGpuPartitionAdapter' $b {
        param($st)
        $v = Resolve-MockVm $st $b
        $i = 0
        foreach ($p in @($v.partitions | Where-Object { $null -ne $_ })) {
            $o = [ordered]@{ VMName = $v.name
                Id = ('Microsoft:{0}\GPUP{1}' -f $v.id.ToUpper(), $i)
                MinPartitionVRAM = [uint64]0; MaxPartitionVRAM = [uint64]1000000000
                MaxPartitionEncode = [uint64]::MaxValue }
            if (-not (Get-Knob $st 'noInstancePath')) {
                $o['InstancePath'] = ([string]$p).ToLowerInvariant()
            }
            [pscustomobject]$o
            $i++
        }
    }
}

function Add-VMGpuPartitionAdapter {
    [CmdletBinding()]
    param([Parameter(ParameterSetName = 'VM', Mandatory = $true, Position = 0)] $VM,
        [Parameter(ParameterSetName = 'VMName', Mandatory = $true)] [string[]]$VMName,
        [string]$InstancePath, [uint64]$MinPartitionVRAM, [uint64]$MaxPartitionVRAM,
        [uint64]$OptimalPartitionVRAM, [uint64]$MinPartitionEncode,
        [uint64]$MaxPartitionEncode, [uint64]$OptimalPartitionEncode,
        [uint64]$MinPartitionDecode, [uint64]$MaxPartitionDecode,
        [uint64]$OptimalPartitionDecode, [uint64]$MinPartitionCompute,
        [uint64]$MaxPartitionCompute, [uint64]$OptimalPartitionCompute)
    $b = $PSBoundParameters
    Invoke-Mock 'Add-VMGpuPartitionAdapter' $b {
        param($st)
        $v = Resolve-MockVm $st $b
        Assert-Off $v 'GPU Partition'
        if (@($v.partitions | Where-Object { $null -ne $_ }).Count -gt 0) {
            throw ("'{0}' failed to add device 'GPU Partition'. A virtual machine can have only one GPU partition." -f $v.name)
        }
        if ($b.ContainsKey('InstancePath')) {
            $g = $null
            foreach ($x in (Get-Gpus $st)) {
                if ($x.partitionable -and -not $x.dismounted -and
                    (Get-GpuPath $st $x) -ieq $InstancePath) { $g = $x }
            }
            if ($null -eq $g) {
                throw ("'{0}' failed to add device 'GPU Partition'. No partitionable GPU has the instance path '{1}'." -f $v.name, $InstancePath)
            }
        } else {
            $g = @((Get-Gpus $st) | Where-Object { $_.partitionable -and -not $_.dismounted })[0]
            if ($null -eq $g) { throw 'There is no partitionable GPU on this host.' }
        }
        $v.partitions = @(Get-GpuPath $st $g)
        Save-MockState $st
    }
}

function Remove-VMGpuPartitionAdapter {
    [CmdletBinding()]
    param([Parameter(ParameterSetName = 'VM', Mandatory = $true, Position = 0)] $VM,
        [Parameter(ParameterSetName = 'VMName', Mandatory = $true)] [string[]]$VMName,
        [string]$AdapterId)
    $b = $PSBoundParameters
    Invoke-Mock 'Remove-VMGpuPartitionAdapter' $b {
        param($st)
        $v = Resolve-MockVm $st $b
        Assert-Off $v 'GPU Partition'
        $v.partitions = @()
        Save-MockState $st
    }
}

function Get-PartitionableGpuObjects($st) {
    foreach ($g in (Get-Gpus $st)) {
        if ($g.partitionable -and -not $g.dismounted) {
            [pscustomobject]@{ Name = (Get-GpuPath $st $g)
                ValidPartitionCounts = @(1, 2, 4, 8); PartitionCount = 4
                TotalVRAM = [uint64]16000000000; TotalEncode = [uint64]::MaxValue }
        }
    }
}

function Get-VMHostPartitionableGpu {
    [CmdletBinding()]
    param([string]$Name)
    Invoke-Mock 'Get-VMHostPartitionableGpu' $PSBoundParameters {
        param($st)
        Get-PartitionableGpuObjects $st
    }
}

function Get-VMPartitionableGpu {
    [CmdletBinding()]
    param([string]$Name)
    Invoke-Mock 'Get-VMPartitionableGpu' $PSBoundParameters {
        param($st)
        Get-PartitionableGpuObjects $st
    }
}

function Get-VMAssignableDevice {
    [CmdletBinding()]
    param([Parameter(ParameterSetName = 'VM', Mandatory = $true, Position = 0)] $VM,
        [Parameter(ParameterSetName = 'VMName', Mandatory = $true)] [string[]]$VMName)
    $b = $PSBoundParameters
    Invoke-Mock 'Get-VMAssignableDevice' $b {
        param($st)
        $v = Resolve-MockVm $st $b
        foreach ($loc in @($v.assigned | Where-Object { $null -ne $_ })) {
            $g = Find-GpuByLocation $st $loc
            [pscustomobject]@{ VMName = $v.name; LocationPath = $loc
                InstanceID = ('PCIP\{0}\{1}' -f $g.hwid, $g.inst) }
        }
    }
}

function Get-AssignedVm($st, [string]$loc) {
    foreach ($v in (Get-Vms $st)) {
        if (@($v.assigned) -contains $loc) { return $v }
    }
    return $null
}

function Get-VMHostAssignableDevice {
    [CmdletBinding()]
    param()
    Invoke-Mock 'Get-VMHostAssignableDevice' $PSBoundParameters {
        param($st)
        foreach ($g in (Get-Gpus $st)) {
            if ($g.dismounted -and $null -eq (Get-AssignedVm $st $g.location)) {
                [pscustomobject]@{ LocationPath = $g.location
                    InstanceID = ('PCIP\{0}\{1}' -f $g.hwid, $g.inst) }
            }
        }
    }
}

# Which VM holds a partition of GPU g, or $null.
function Get-PartitionVm($st, $g) {
    $p = Get-GpuPath $st $g
    foreach ($v in (Get-Vms $st)) {
        foreach ($x in @($v.partitions)) { if ($x -ieq $p) { return $v } }
    }
    return $null
}

function Dismount-VMHostAssignableDevice {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] [string]$LocationPath, [switch]$Force)
    $b = $PSBoundParameters
    Invoke-Mock 'Dismount-VMHostAssignableDevice' $b {
        param($st)
        $g = Find-GpuByLocation $st $LocationPath
        if ($null -eq $g -or $g.dismounted) {
            throw ("The device at location path '{0}' was not found." -f $LocationPath)
        }
        if (-not $g.disabled) {
            throw ("The device at location path '{0}' must be disabled before it is dismounted." -f $LocationPath)
        }
        if ($null -ne (Get-PartitionVm $st $g)) {
            throw ("The device at location path '{0}' is used for GPU partitioning; a GPU is either partitioned or assigned." -f $LocationPath)
        }
        if (-not $g.mitigationDriver -and -not $Force) {
            throw ("The operation failed. The manufacturer of this device has not supplied any directives for securing this device while exposing it to a virtual machine. (Use -Force to dismount '{0}' anyway.)" -f $LocationPath)
        }
        $g.dismounted = $true
        Save-MockState $st
    }
}

function Mount-VMHostAssignableDevice {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] [string]$LocationPath)
    $b = $PSBoundParameters
    Invoke-Mock 'Mount-VMHostAssignableDevice' $b {
        param($st)
        $g = Find-GpuByLocation $st $LocationPath
        if ($null -eq $g -or -not $g.dismounted -or
            $null -ne (Get-AssignedVm $st $LocationPath)) {
            throw ("No dismounted device that no virtual machine holds is at location path '{0}'." -f $LocationPath)
        }
        $g.dismounted = $false
        Save-MockState $st
    }
}

function Add-VMAssignableDevice {
    [CmdletBinding()]
    param([Parameter(ParameterSetName = 'VM', Mandatory = $true, Position = 0)] $VM,
        [Parameter(ParameterSetName = 'VMName', Mandatory = $true)] [string[]]$VMName,
        [Parameter(Mandatory = $true)] [string]$LocationPath)
    $b = $PSBoundParameters
    Invoke-Mock 'Add-VMAssignableDevice' $b {
        param($st)
        $v = Resolve-MockVm $st $b
        Assert-Off $v 'PCI Express Device'
        $g = Find-GpuByLocation $st $LocationPath
        if ($null -eq $g -or -not $g.dismounted -or
            $null -ne (Get-AssignedVm $st $LocationPath)) {
            throw ("The device at location path '{0}' is not a dismounted device that no virtual machine holds." -f $LocationPath)
        }
        if ($v.stopAction -ne 'TurnOff') {
            throw ("'{0}': a virtual machine with an assigned device must have the automatic stop action TurnOff." -f $v.name)
        }
        if ($v.dynamic) {
            throw ("'{0}': a device cannot be assigned to a virtual machine that uses dynamic memory." -f $v.name)
        }
        $v.assigned = @(@($v.assigned | Where-Object { $null -ne $_ }) + $LocationPath)
        Save-MockState $st
    }
}

function Remove-VMAssignableDevice {
    [CmdletBinding()]
    param([Parameter(ParameterSetName = 'VM', Mandatory = $true, Position = 0)] $VM,
        [Parameter(ParameterSetName = 'VMName', Mandatory = $true)] [string[]]$VMName,
        [Parameter(Mandatory = $true)] [string]$LocationPath)
    $b = $PSBoundParameters
    Invoke-Mock 'Remove-VMAssignableDevice' $b {
        param($st)
        $v = Resolve-MockVm $st $b
        Assert-Off $v 'PCI Express Device'
        if (-not (@($v.assigned) -contains $LocationPath)) {
            throw ("'{0}' has no device at location path '{1}'." -f $v.name, $LocationPath)
        }
        $v.assigned = @($v.assigned | Where-Object { $null -ne $_ -and $_ -ne $LocationPath })
        Save-MockState $st
    }
}

function Stop-VM {
    [CmdletBinding()]
    param([Parameter(ParameterSetName = 'VM', Mandatory = $true, Position = 0)] $VM,
        [Parameter(ParameterSetName = 'Name', Mandatory = $true)] [Alias('VMName')] [string[]]$Name,
        [switch]$Force, [switch]$TurnOff, [switch]$Save)
    $b = $PSBoundParameters
    Invoke-Mock 'Stop-VM' $b {
        param($st)
        if ($b.ContainsKey('Name')) { $b['VMName'] = $Name }
        $v = Resolve-MockVm $st $b
        if ($v.state -eq 'Off') { return }
        $f = Get-Knob $st 'stopFails'
        if ($f) { throw [string]$f }
        if (-not $TurnOff -and $null -eq $v.guest) {
            throw ("'{0}' failed to shut down: the shutdown integration service is not available. (Virtual machine ID {1})" -f $v.name, $v.id)
        }
        $v.state = 'Off'
        $st.host.freeMemoryMB = [int64]$st.host.freeMemoryMB + [int64]$v.startupMB
        Save-MockState $st
    }
}

function Start-VM {
    [CmdletBinding()]
    param([Parameter(ParameterSetName = 'VM', Mandatory = $true, Position = 0)] $VM,
        [Parameter(ParameterSetName = 'Name', Mandatory = $true)] [Alias('VMName')] [string[]]$Name)
    $b = $PSBoundParameters
    Invoke-Mock 'Start-VM' $b {
        param($st)
        if ($b.ContainsKey('Name')) { $b['VMName'] = $Name }
        $v = Resolve-MockVm $st $b
        if ($v.state -eq 'Running') { return }
        $f = Get-Knob $st 'startFails'
        if ($f) { throw [string]$f }
        if ([int]$v.cpuCount -gt [int]$st.host.logicalProcessors) {
            throw ("'{0}' failed to start. The processor topology specified for the virtual machine cannot be supported by this host: it has {1} logical processors. (Virtual machine ID {2})" -f
                $v.name, $st.host.logicalProcessors, $v.id)
        }
        if ([int64]$v.startupMB -gt [int64]$st.host.freeMemoryMB) {
            throw ("'{0}' could not initialize. Not enough memory in the system to start the virtual machine {0} with ram size {1} megabytes. (Virtual machine ID {2})" -f
                $v.name, $v.startupMB, $v.id)
        }
        $need = 0
        foreach ($loc in @($v.assigned | Where-Object { $null -ne $_ })) {
            $need += [int64](Find-GpuByLocation $st $loc).mmioMB
        }
        if ($need -gt 0 -and $need + 512 -gt [int64]$v.highMmioMB) {
            throw ("'{0}' failed to start. Virtual Pci Express Port: not enough memory-mapped I/O space for the assigned devices ({1} MB needed, {2} MB configured)." -f
                $v.name, ($need + 512), $v.highMmioMB)
        }
        $v.state = 'Running'
        $st.host.freeMemoryMB = [int64]$st.host.freeMemoryMB - [int64]$v.startupMB
        Save-MockState $st
    }
}

function Get-PnpDevice {
    [CmdletBinding()]
    param([Parameter(Position = 0)] [string[]]$InstanceId, [string[]]$Class,
        [switch]$PresentOnly)
    $b = $PSBoundParameters
    Invoke-Mock 'Get-PnpDevice' $b {
        param($st)
        $out = @()
        foreach ($g in (Get-Gpus $st)) {
            if ($g.dismounted) { continue }   # gone from the host
            $inst = Get-GpuInstance $g
            if ($InstanceId -and -not (@($InstanceId) -contains $inst)) { continue }
            if ($Class -and -not (@($Class) -contains 'Display')) { continue }
            $status = 'OK'
            if ($g.disabled) { $status = 'Error' }
            $out += [pscustomobject]@{ FriendlyName = [string]$g.name
                InstanceId = $inst; Class = 'Display'; Present = $true
                Status = $status; Manufacturer = ($g.name -split ' ')[0] }
        }
        if ($out.Count -eq 0) {
            throw 'No matching Win32_PnPEntity objects found by CIM query for instances of the ROOT\cimv2\Win32_PnPEntity class on the  CIM server.'
        }
        $out
    }
}

function Get-PnpDeviceProperty {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true)] [string[]]$InstanceId,
        [Parameter(Position = 0)] [string[]]$KeyName)
    $b = $PSBoundParameters
    Invoke-Mock 'Get-PnpDeviceProperty' $b {
        param($st)
        foreach ($g in (Get-Gpus $st)) {
            if ($g.dismounted -or (Get-GpuInstance $g) -ne $InstanceId[0]) { continue }
            return [pscustomobject]@{ InstanceId = $InstanceId[0]
                KeyName = 'DEVPKEY_Device_LocationPaths'; Type = 'StringList'
                Data = @([string]$g.location, ('ACPI(_SB_)#ACPI(PCI0)#ACPI({0})' -f $g.inst.Substring(0, 4))) }
        }
        throw ("No device with instance id '{0}'." -f $InstanceId[0])
    }
}

function Set-MockDisabled([string]$cmd, $bound, [string]$inst, [bool]$disabled) {
    Invoke-Mock $cmd $bound {
        param($st)
        foreach ($g in (Get-Gpus $st)) {
            if (-not $g.dismounted -and (Get-GpuInstance $g) -eq $inst) {
                $g.disabled = $disabled
                Save-MockState $st
                return
            }
        }
        throw ("No device with instance id '{0}'." -f $inst)
    }
}

function Disable-PnpDevice {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
    param([Parameter(Mandatory = $true)] [string[]]$InstanceId)
    if ($PSCmdlet.ShouldProcess($InstanceId[0], 'Disable')) {
        Set-MockDisabled 'Disable-PnpDevice' $PSBoundParameters $InstanceId[0] $true
    }
}

function Enable-PnpDevice {
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High')]
    param([Parameter(Mandatory = $true)] [string[]]$InstanceId)
    if ($PSCmdlet.ShouldProcess($InstanceId[0], 'Enable')) {
        Set-MockDisabled 'Enable-PnpDevice' $PSBoundParameters $InstanceId[0] $false
    }
}

# The KVP data item a guest's integration services report, as Hyper-V's
# WMI provider spells it.
function New-KvpItem([string]$name, [string]$data) {
    $n = [System.Security.SecurityElement]::Escape($name)
    $d = [System.Security.SecurityElement]::Escape($data)
    return ('<INSTANCE CLASSNAME="Msvm_KvpExchangeDataItem"><PROPERTY NAME="Caption" PROPAGATED="true" TYPE="string"></PROPERTY><PROPERTY NAME="Data" TYPE="string"><VALUE>{1}</VALUE></PROPERTY><PROPERTY NAME="Name" TYPE="string"><VALUE>{0}</VALUE></PROPERTY><PROPERTY NAME="Source" TYPE="uint16"><VALUE>2</VALUE></PROPERTY></INSTANCE>' -f $n, $d)
}

function Get-CimInstance {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)] [string]$ClassName,
        [string]$Namespace = 'root/cimv2', [string]$Filter)
    $b = $PSBoundParameters
    Invoke-Mock 'Get-CimInstance' $b {
        param($st)
        $ns = $Namespace.Replace('/', '\').ToLowerInvariant()
        if ($ns -eq 'root\virtualization\v2' -and $ClassName -eq 'Msvm_KvpExchangeComponent') {
            if (Get-Knob $st 'noKvp') { return }
            foreach ($v in (Get-Vms $st)) {
                if ($v.state -ne 'Running' -or $null -eq $v.guest) { continue }
                [pscustomobject]@{ SystemName = $v.id.ToUpperInvariant()
                    GuestIntrinsicExchangeItems = @(
                        (New-KvpItem 'FullyQualifiedDomainName' $v.name),
                        (New-KvpItem 'OSName' $v.guest.os),
                        (New-KvpItem 'OSMajorVersion' $v.guest.major),
                        (New-KvpItem 'OSMinorVersion' '0')) }
            }
            return
        }
        if ($ns -ne 'root\cimv2') { throw 'Invalid namespace' }
        switch ($ClassName) {
            'Win32_ComputerSystem' {
                [pscustomobject]@{ Name = 'HV01'; Model = [string]$st.host.model
                    Manufacturer = 'Mock'; TotalPhysicalMemory = [uint64]$st.host.memoryMB * 1048576 }
            }
            'Win32_OperatingSystem' {
                [pscustomobject]@{ Caption = [string]$st.host.productName
                    FreePhysicalMemory = [uint64]$st.host.freeMemoryMB * 1024 }
            }
            default { throw ('Invalid class: {0}' -f $ClassName) }
        }
    }
}

function Get-ItemProperty {
    [CmdletBinding()]
    param([Parameter(Mandatory = $true, Position = 0)] [string[]]$Path,
        [Parameter(Position = 1)] [string[]]$Name)
    $norm = @($Path | ForEach-Object { $_.TrimEnd('\') })
    if ($norm.Count -ne 1 -or $norm[0] -ne $script:RegKey) {
        return (Microsoft.PowerShell.Management\Get-ItemProperty @PSBoundParameters)
    }
    Invoke-Mock 'Get-ItemProperty' $PSBoundParameters {
        param($st)
        $h = $st.host
        [pscustomobject][ordered]@{ ProductName = [string]$h.productName
            InstallationType = [string]$h.installationType
            CurrentBuild = [string]$h.build; CurrentBuildNumber = [string]$h.build
            UBR = [int]$h.ubr; EditionID = 'ServerDatacenter'
            PSChildName = 'CurrentVersion' }
    }
}

# Windows PowerShell 5.1's ConvertTo-Json escapes < > & ' (7 writes them
# as they are, PowerShell/PowerShell#7693); with "ps51Json" so does this.
function ConvertTo-Json {
    [CmdletBinding()]
    param([Parameter(Position = 0, ValueFromPipeline = $true)] $InputObject,
        [int]$Depth = 2, [switch]$Compress)
    begin { $items = @() }
    process { $items += , $InputObject }
    end {
        $in = $InputObject
        if ($items.Count -gt 1) { $in = $items }
        $j = Microsoft.PowerShell.Utility\ConvertTo-Json -InputObject $in -Depth $Depth -Compress:$Compress
        $st = Read-MockState
        if (Get-Knob $st 'ps51Json') {
            $j = $j.Replace('<', '\u003c').Replace('>', '\u003e').Replace('&', '\u0026').Replace("'", '\u0027')
        }
        $j
    }
}

if ($env:HYPERV_PWSH_STATE -and (Test-Path -LiteralPath $env:HYPERV_PWSH_STATE)) {
    # Windows 10 has Get-VMPartitionableGpu only
    if ((Read-MockState).host.win10Cmdlets) {
        Remove-Item -Path Function:\Get-VMHostPartitionableGpu
    }
}
