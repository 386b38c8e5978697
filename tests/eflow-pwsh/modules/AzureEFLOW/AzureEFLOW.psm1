# AzureEFLOW.psm1 - a stand-in for Microsoft's AzureEFLOW module, for the
# tests that run vmrecon's scripts in a real PowerShell (pwsh 7, imported
# through tests/eflow-pwsh/powershell).  It behaves as the public evidence
# says the real module does (backends/eflow.md, "Real PowerShell in the
# tests"):
#  - every function catches its own exceptions and prints them with
#    Write-Host, "[time] Exception caught!!!" then " - MESSAGE at line N",
#    and returns the message as a string, so `powershell -Command` still
#    exits 0 (Azure/iotedge-eflow #164, #223; PowerShell/PowerShell#13501);
#  - Set-EflowVM resets EVERY parameter it is not given to its default:
#    no -cpuCount is 1, no -memoryInMB is 1024, no -gpuName removes the GPU
#    (MicrosoftDocs azure-docs articles/iot-edge/gpu-acceleration.md);
#  - Set-EflowVM refuses an Off VM ("Cannot process request, EFLOW VM is
#    OFF!", #254, #273/#274); a DirectDeviceAssignment without -headless
#    asks for a confirmation, which fails in a -NonInteractive session;
#  - Get-EflowHostConfiguration gives NumberOfLogicalProcessors as an
#    array on a multi-socket host ({64, 64} in NVIDIA's EFLOW user guide);
#  - Get-EflowVm's object has the shape of the JSON in #105:
#    VmConfiguration.properties.hardwareProfile.customsize.{cpucount,
#    gpucount,memorymb}, VmPowerState a string.
# It also defines Get-CimInstance (Win32_VideoController,
# Win32_ComputerSystem, Win32_Processor, Win32_BIOS, Win32_BaseBoard; the
# SMBIOS strings from the state's host.manufacturer, host.model,
# host.biosVendor, host.boardProduct, a Dell desktop's by default) and
# Get-ItemProperty (the
# 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' key; any other path
# goes to the real cmdlet): once imported, a function is found before a
# cmdlet of the same name.
#
# State: the JSON file named by $env:EFLOW_PWSH_STATE (UTF-8), read at
# every call and written back when something changes:
#   { "vm":   { "name": "EDGE01-EFLOW", "power": "Running" or "Off",
#               "cpuCount": 4, "memoryInMB": 8192,
#               "gpu": null or { "name": "NVIDIA A2",
#                       "type": "DirectDeviceAssignment", "count": 1 } },
#     "host": { "logicalProcessors": 8, or [64, 64] (one per socket),
#               "freeMemoryInMB": 6000, "totalMemoryInMB": 16384,
#               "model": "...", "buildNumber": "19044", "ubr": 1620,
#               "productName": "...", "installationType": "Client",
#               "videoControllers": ["NVIDIA A2", "..."],
#               "passthroughTypes": { "GPU NAME": ["ParaVirtualization"] }
#               (optional; default: DirectDeviceAssignment for NVIDIA T4
#               and A2, ParaVirtualization for the others) },
#     "faults": { ... } }
# Faults (each optional, all off by default):
#   "setFails": "TEXT"     Set-EflowVM fails with TEXT and changes nothing
#   "setStopsVm": true     Set-EflowVM applies, stops the VM and fails to
#                          start it again ("Not enough memory ...", #273)
#   "startFails": "TEXT"   Start-EflowVm fails with TEXT
#   "ddaHidesGpu": true    a GPU assigned by DirectDeviceAssignment leaves
#                          Win32_VideoController and GpuInfo
#   "noise": { "Get-EflowVm": ["LINE", ...], ... }   Write-Host lines a
#                          function prints before its work (#105)
#   "powerAsNumber": true  VmPowerState as moc's enum (Running 1, Off 2)
#   "lowercaseKeys": true  "hardwareprofile" as moc's SDK spells it
#   "noGpuCount": true     customsize has no gpucount
#   "noPowerState": true   Get-EflowVm's object has no VmPowerState and
#                          IoT Edge 1.1.3, as EFLOW 1.1 of 2021-07 printed
#                          it (Azure/iotedge-eflow #49)
#   "hangAfterSet": true   the first call of any function here after a
#                          Set-EflowVM that succeeded never returns (a lost
#                          verify); the mock notes it in "hangPending"
#   "hangIn": "CMD"        every call of CMD sleeps until it is killed
#   "exitIn": { "CMD": N } the process exits with status N in the middle of
#                          CMD (a crash: nothing after it runs)
#   "printIn": { "CMD": "TEXT" }  TEXT and a line feed written straight to
#                          stdout in the middle of CMD, as a stray
#                          [Console]::WriteLine would (garbage)
# Trace: with $env:EFLOW_PWSH_TRACE set, every call of a function here
# appends one JSON line {"cmd": NAME, "args": {BOUND PARAMETERS}} to it.

Set-StrictMode -Off

$script:MocEnum = @{ Unknown = 0; Running = 1; Off = 2; Paused = 3;
    Critical = 4; Saved = 5 }
$script:RegKey = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'

function Read-MockState {
    $path = $env:EFLOW_PWSH_STATE
    if (-not $path) {
        throw 'mock AzureEFLOW: EFLOW_PWSH_STATE is not set'
    }
    $text = [System.IO.File]::ReadAllText($path,
        [System.Text.Encoding]::UTF8)
    return (ConvertFrom-Json -InputObject $text)
}

# A call that hangs (fault "hangAfterSet"): clear the flag, then sleep
# until killed.
function Enter-MockHang($st) {
    if (-not (Get-Knob $st 'hangPending')) { return }
    $st.faults.hangPending = $false
    Save-MockState $st
    while ($true) { Start-Sleep -Seconds 3600 }
}

# The faults "hangIn", "exitIn" and "printIn" for a call of `cmd`.
function Enter-MockFault($st, [string]$cmd) {
    if ((Get-Knob $st 'hangIn') -eq $cmd) {
        while ($true) { Start-Sleep -Seconds 3600 }
    }
    $x = Get-Knob $st 'exitIn'
    if ($null -ne $x -and $null -ne $x.PSObject.Properties[$cmd]) {
        [Environment]::Exit([int]$x.PSObject.Properties[$cmd].Value)
    }
    $x = Get-Knob $st 'printIn'
    if ($null -ne $x -and $null -ne $x.PSObject.Properties[$cmd]) {
        [Console]::Out.Write([string]$x.PSObject.Properties[$cmd].Value +
            "`n")
        [Console]::Out.Flush()
    }
}

function Save-MockState($st) {
    $json = ConvertTo-Json -InputObject $st -Depth 10
    [System.IO.File]::WriteAllText($env:EFLOW_PWSH_STATE, $json,
        (New-Object System.Text.UTF8Encoding $false))
}

function Get-Knob($st, [string]$name) {
    if ($null -eq $st.faults) { return $null }
    $p = $st.faults.PSObject.Properties[$name]
    if ($null -eq $p) { return $null }
    return $p.Value
}

function Write-MockTrace([string]$cmd, $bound) {
    if (-not $env:EFLOW_PWSH_TRACE) { return }
    $args1 = [ordered]@{}
    foreach ($k in $bound.Keys) {
        $v = $bound[$k]
        if ($v -is [System.Management.Automation.SwitchParameter]) {
            $v = [bool]$v
        }
        $args1[$k] = $v
    }
    $line = ConvertTo-Json -InputObject ([ordered]@{ cmd = $cmd;
            args = $args1 }) -Compress -Depth 4
    [System.IO.File]::AppendAllText($env:EFLOW_PWSH_TRACE, $line + "`n",
        (New-Object System.Text.UTF8Encoding $false))
}

function Write-MockNoise($st, [string]$cmd) {
    $noise = Get-Knob $st 'noise'
    if ($null -eq $noise) { return }
    $p = $noise.PSObject.Properties[$cmd]
    if ($null -eq $p) { return }
    foreach ($l in @($p.Value)) { Write-Host $l }
}

# What the real module prints when it catches an exception; the caller
# returns the message as its (string) result.
function Write-EflowException($err) {
    Write-Host ('[{0}] Exception caught!!!' -f
        (Get-Date -Format 'MM/dd/yyyy HH:mm:ss'))
    Write-Host (' - {0} at line {1}' -f $err.Exception.Message,
        $err.InvocationInfo.ScriptLineNumber)
}

# One call of an AzureEFLOW function, as the real module makes it: traced,
# the state read (the hang and exit faults happen here), the function's noise
# lines, then `body` ($st, the bound parameters) inside a try whose catch
# prints the exception AzureEFLOW style and returns its message.
function Invoke-MockCall([string]$cmd, $bound, [scriptblock]$body) {
    Write-MockTrace $cmd $bound
    $st = Read-MockState
    Enter-MockHang $st
    Enter-MockFault $st $cmd
    try {
        Write-MockNoise $st $cmd
        & $body $st $bound
    } catch {
        Write-EflowException $_
        return $_.Exception.Message
    }
}

# Logical processors per socket, as an array of ints.
function Get-Sockets($st) {
    return @($st.host.logicalProcessors | ForEach-Object { [int]$_ })
}

function Get-TotalLogical($st) {
    $n = 0
    foreach ($s in (Get-Sockets $st)) { $n += $s }
    return $n
}

# The host's GPU names as Windows lists them now: one per device, minus
# those DDA took away when the "ddaHidesGpu" fault is on.
function Get-VisibleGpus($st) {
    $names = New-Object System.Collections.Generic.List[string]
    foreach ($n in @($st.host.videoControllers)) {
        if ($null -ne $n) { $names.Add([string]$n) }
    }
    $g = $st.vm.gpu
    if ((Get-Knob $st 'ddaHidesGpu') -and $null -ne $g -and
        $g.type -eq 'DirectDeviceAssignment') {
        for ($i = 0; $i -lt [int]$g.count; $i++) {
            [void]$names.Remove([string]$g.name)
        }
    }
    return , $names.ToArray()
}

function Get-PassthroughTypes($st, [string]$name) {
    $map = $st.host.passthroughTypes
    if ($null -ne $map -and $null -ne $map.PSObject.Properties[$name]) {
        return @($map.PSObject.Properties[$name].Value)
    }
    if ($name -match '^NVIDIA (T4|A2)$') {
        return @('DirectDeviceAssignment')
    }
    return @('ParaVirtualization')
}

function Get-EflowVm {
    [CmdletBinding()]
    param()
    Invoke-MockCall 'Get-EflowVm' $PSBoundParameters {
        param($st, $bound)
        $vm = $st.vm
        $power = [string]$vm.power
        if (Get-Knob $st 'powerAsNumber') { $power = $script:MocEnum[$power] }
        $custom = [ordered]@{ cpucount = [int]$vm.cpuCount }
        if (-not (Get-Knob $st 'noGpuCount')) {
            $custom['gpucount'] = 0
            if ($null -ne $vm.gpu) { $custom['gpucount'] = [int]$vm.gpu.count }
        }
        $custom['memorymb'] = [int]$vm.memoryInMB
        $hw = 'hardwareProfile'
        if (Get-Knob $st 'lowercaseKeys') { $hw = 'hardwareprofile' }
        $props = [ordered]@{}
        $props[$hw] = [pscustomobject]@{
            customsize = [pscustomobject]$custom; vmSize = 'Custom' }
        $props['networkProfile'] = [pscustomobject]@{ networkInterfaces = @(
                [pscustomobject]@{ virtualNetworkInterfaceReference =
                    ($vm.name + 'Interface') }) }
        $props['osProfile'] = [pscustomobject]@{ computerName = $vm.name;
            osbootstrapengine = 'CloudInit' }
        $stats = $null
        if ($vm.power -eq 'Running') {
            # what the guest sees: a little less than it was given
            $stats = [pscustomobject]@{
                TotalMemMb = [int]$vm.memoryInMB - 300; UsedMemMb = 847
                CpuCount = [int]$vm.cpuCount; KernelVersion = '5.15.0-eflow' }
        }
        $o = [ordered]@{
            VmConfiguration = [pscustomobject]@{ ID = '1b07306e9a1fc5c'
                name = $vm.name; properties = [pscustomobject]$props
                tags = $null }
            VmPowerState = $power
            EdgeRuntimeVersion = [pscustomobject]@{ IotEdgeVersion = '1.4.27' }
            EdgeRuntimeStatus = [pscustomobject]@{ SystemCtlStatus = @()
                ModuleList = @() }
            SystemStatistics = $stats
        }
        if (Get-Knob $st 'noPowerState') {
            $o.Remove('VmPowerState')
            $o.EdgeRuntimeVersion = [pscustomobject]@{ IotEdgeVersion = '1.1.3'
                MobyEngineVersion = '19.03.15+azure' }
        }
        return [pscustomobject]$o
    }
}

function Get-EflowHostConfiguration {
    [CmdletBinding()]
    param()
    Invoke-MockCall 'Get-EflowHostConfiguration' $PSBoundParameters {
        param($st, $bound)
        $sockets = Get-Sockets $st
        $lp = $sockets
        if ($sockets.Count -eq 1) { $lp = $sockets[0] }
        $gpus = Get-VisibleGpus $st
        $info = @()
        foreach ($n in ($gpus | Select-Object -Unique)) {
            $info += [pscustomobject]@{
                Count = @($gpus | Where-Object { $_ -ceq $n }).Count
                SupportedPassthroughTypes = @(Get-PassthroughTypes $st $n)
                Name = $n }
        }
        $gi = $null
        if ($info.Count -eq 1) { $gi = $info[0] }
        elseif ($info.Count -gt 1) { $gi = $info }
        return [pscustomobject]@{
            FreePhysicalMemoryInMB = [int]$st.host.freeMemoryInMB
            NumberOfLogicalProcessors = $lp
            DiskInfo = [pscustomobject]@{ Drive = 'C:'; FreeSizeInGB = 120 }
            GpuInfo = $gi
        }
    }
}

function Set-EflowVM {
    [CmdletBinding()]
    param(
        [int]$cpuCount,
        [int]$memoryInMB,
        [string]$gpuName,
        [string]$gpuPassthroughType,
        [int]$gpuCount,
        [switch]$headless
    )
    Invoke-MockCall 'Set-EflowVM' $PSBoundParameters {
        param($st, $bound)
        $vm = $st.vm
        $h = $st.host
        if ($vm.power -ne 'Running') {
            throw 'Cannot process request, EFLOW VM is OFF!'
        }
        $fail = Get-Knob $st 'setFails'
        if ($fail) { throw [string]$fail }
        # "the default parameter is used for any argument you don't specify"
        $cpu = 1
        if ($bound.ContainsKey('cpuCount')) { $cpu = $cpuCount }
        $mem = 1024
        if ($bound.ContainsKey('memoryInMB')) { $mem = $memoryInMB }
        $total = Get-TotalLogical $st
        if ($cpu -lt 1 -or $cpu -gt $total) {
            throw ('cpuCount {0} is out of range: it must be between 1 and {1}' -f
                $cpu, $total)
        }
        $free = [int]$h.freeMemoryInMB + [int]$vm.memoryInMB
        if ($mem -lt 1024 -or ($mem % 2) -ne 0) {
            throw ('memoryInMB {0} is invalid: it must be an even number of at least 1024' -f $mem)
        }
        if ($mem -gt $free) {
            throw ('memoryInMB {0} is more than the {1} MB available' -f
                $mem, $free)
        }
        $gpu = $null
        $named = $bound.ContainsKey('gpuName')
        if (-not $named -and ($bound.ContainsKey('gpuPassthroughType') -or
                $bound.ContainsKey('gpuCount'))) {
            throw 'gpuPassthroughType and gpuCount need gpuName'
        }
        if ($named) {
            if ($gpuPassthroughType -cne 'DirectDeviceAssignment' -and
                $gpuPassthroughType -cne 'ParaVirtualization') {
                throw ("gpuPassthroughType must be DirectDeviceAssignment or ParaVirtualization, not '{0}'" -f
                    $gpuPassthroughType)
            }
            # the GPU the VM has now counts even if DDA hid it from Windows
            $have = @((Get-VisibleGpus $st) | Where-Object { $_ -ceq $gpuName }).Count
            if ($null -ne $vm.gpu -and [string]$vm.gpu.name -ceq $gpuName -and
                $vm.gpu.type -eq 'DirectDeviceAssignment' -and
                (Get-Knob $st 'ddaHidesGpu')) {
                $have += [int]$vm.gpu.count
            }
            if ($have -eq 0) {
                throw ("GPU '{0}' was not found on this device" -f $gpuName)
            }
            if (-not ((Get-PassthroughTypes $st $gpuName) -ccontains $gpuPassthroughType)) {
                throw ("GPU '{0}' does not support {1}" -f $gpuName,
                    $gpuPassthroughType)
            }
            $n = 1
            if ($bound.ContainsKey('gpuCount')) { $n = $gpuCount }
            if ($gpuPassthroughType -eq 'ParaVirtualization' -and $n -ne 1) {
                throw 'gpuCount must be 1 with ParaVirtualization'
            }
            if ($n -lt 1 -or $n -gt $have) {
                throw ('gpuCount {0} is out of range: the device has {1}' -f
                    $n, $have)
            }
            if ($gpuPassthroughType -eq 'DirectDeviceAssignment' -and
                -not $headless) {
                # a prompt: fails in a -NonInteractive session
                $c = $Host.UI.PromptForChoice('Security warning',
                    'DirectDeviceAssignment needs the vendor mitigation driver. Continue?',
                    [string[]]@('&Yes', '&No'), 1)
                if ($c -ne 0) { throw 'Cancelled by the user' }
            }
            $gpu = [pscustomobject]@{ name = $gpuName
                type = $gpuPassthroughType; count = $n }
        }
        Write-Host 'Restarting EFLOW VM to apply the configuration...'
        $h.freeMemoryInMB = $free - $mem
        $vm.cpuCount = $cpu
        $vm.memoryInMB = $mem
        $vm.gpu = $gpu
        if (Get-Knob $st 'setStopsVm') {
            $vm.power = 'Off'
            Save-MockState $st
            throw ('Not enough memory in the system to start the virtual machine {0} with ram size {1} megabytes' -f
                $vm.name, $mem)
        }
        if (Get-Knob $st 'hangAfterSet') {
            $st.faults | Add-Member -Force -NotePropertyName hangPending -NotePropertyValue $true
        }
        Save-MockState $st
    }
}

# Start-EflowVm and Stop-EflowVm: "If the virtual machine is already
# started/stopped, no action is taken"; `fault` names a knob whose text
# makes the call fail.
function Set-MockPower([string]$cmd, [string]$want, [string]$fault) {
    Invoke-MockCall $cmd @{} {
        param($st, $bound)
        if ($st.vm.power -eq $want) { return }
        $fail = $null
        if ($fault) { $fail = Get-Knob $st $fault }
        if ($fail) { throw [string]$fail }
        $st.vm.power = $want
        Save-MockState $st
    }
}

function Start-EflowVm {
    [CmdletBinding()]
    param()
    Set-MockPower 'Start-EflowVm' 'Running' 'startFails'
}

function Stop-EflowVm {
    [CmdletBinding()]
    param()
    Set-MockPower 'Stop-EflowVm' 'Off' ''
}

# One SMBIOS string of the host: the state's, else `dflt`.
function Get-Dmi($st, [string]$name, [string]$dflt) {
    $p = $st.host.PSObject.Properties[$name]
    if ($null -eq $p) { return $dflt }
    return [string]$p.Value
}

# Get-CimInstance, for the classes the scripts read; anything else
# fails as CIM does for an unknown class.
function Get-CimInstance {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true, Position = 0)]
        [string]$ClassName,
        [string]$Namespace = 'root/cimv2'
    )
    Write-MockTrace 'Get-CimInstance' $PSBoundParameters
    $st = Read-MockState
    Enter-MockHang $st
    if ($Namespace -notin @('root/cimv2', 'root\cimv2')) {
        throw 'Invalid namespace'
    }
    $sockets = Get-Sockets $st
    switch ($ClassName) {
        'Win32_VideoController' {
            $i = 0
            foreach ($n in (Get-VisibleGpus $st)) {
                [pscustomobject]@{ Name = $n; Caption = $n
                    Description = $n; Status = 'OK'
                    AdapterCompatibility = ($n -split ' ')[0]
                    PNPDeviceID = ('PCI\VEN_10DE&DEV_{0:X4}\4&{1}' -f $i, $i)
                    DriverVersion = '31.0.15.3623' }
                $i++
            }
        }
        'Win32_ComputerSystem' {
            [pscustomobject]@{ Name = 'EDGE01'; Model = $st.host.model
                Manufacturer = (Get-Dmi $st 'manufacturer' 'Dell Inc.')
                HypervisorPresent = $true
                TotalPhysicalMemory = [uint64]$st.host.totalMemoryInMB * 1048576
                NumberOfProcessors = $sockets.Count
                NumberOfLogicalProcessors = (Get-TotalLogical $st) }
        }
        'Win32_Processor' {
            for ($i = 0; $i -lt $sockets.Count; $i++) {
                [pscustomobject]@{ DeviceID = ('CPU{0}' -f $i)
                    SocketDesignation = ('CPU{0}' -f $i)
                    Name = 'Mock Xeon'
                    NumberOfCores = [int]($sockets[$i] / 2)
                    NumberOfLogicalProcessors = $sockets[$i] }
            }
        }
        'Win32_BIOS' {
            [pscustomobject]@{ Manufacturer = (Get-Dmi $st 'biosVendor' 'Dell Inc.')
                SMBIOSBIOSVersion = '1.18.0'; Version = 'DELL   - 1072009' }
        }
        'Win32_BaseBoard' {
            [pscustomobject]@{ Manufacturer = (Get-Dmi $st 'manufacturer' 'Dell Inc.')
                Product = (Get-Dmi $st 'boardProduct' '0J37VM') }
        }
        default { throw ('Invalid class: {0}' -f $ClassName) }
    }
}

# Get-ItemProperty: the CurrentVersion key from the state; any other path
# is the real cmdlet's.
function Get-ItemProperty {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true, Position = 0)]
        [string[]]$Path,
        [Parameter(Position = 1)]
        [string[]]$Name
    )
    Write-MockTrace 'Get-ItemProperty' $PSBoundParameters
    $norm = @($Path | ForEach-Object { $_.TrimEnd('\') })
    if ($norm.Count -ne 1 -or $norm[0] -ne $script:RegKey) {
        return (Microsoft.PowerShell.Management\Get-ItemProperty @PSBoundParameters)
    }
    $st = Read-MockState
    Enter-MockHang $st
    $h = $st.host
    $all = [ordered]@{ ProductName = $h.productName
        EditionID = 'Enterprise'; InstallationType = $h.installationType
        CurrentBuild = [string]$h.buildNumber
        CurrentBuildNumber = [string]$h.buildNumber
        UBR = [int]$h.ubr; DisplayVersion = '21H2'
        RegisteredOwner = 'Mock Owner' }
    $o = [ordered]@{}
    if ($PSBoundParameters.ContainsKey('Name')) {
        foreach ($n in $Name) {
            if (-not $all.Contains($n)) {
                throw ("Property {0} does not exist at path HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion." -f $n)
            }
            $o[$n] = $all[$n]
        }
    } else {
        $o = $all
    }
    $o['PSPath'] = 'Microsoft.PowerShell.Core\Registry::HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
    $o['PSParentPath'] = 'Microsoft.PowerShell.Core\Registry::HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT'
    $o['PSChildName'] = 'CurrentVersion'
    $o['PSProvider'] = 'Microsoft.PowerShell.Core\Registry'
    return [pscustomobject]$o
}

Export-ModuleMember -Function Get-EflowVm, Set-EflowVM, Start-EflowVm,
    Stop-EflowVm, Get-EflowHostConfiguration, Get-CimInstance,
    Get-ItemProperty
