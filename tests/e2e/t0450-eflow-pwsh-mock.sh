# t0450-eflow-pwsh-mock.sh - the mock AzureEFLOW module
# (tests/eflow-pwsh/modules) under a real pwsh, driven through the test
# launcher as vmrecon drives powershell.exe: that it is as pessimistic as
# the evidence says a real host is (the reset-to-default pitfall, failures
# that exit 0 with the text on stdout, an Off VM refused, a two-socket
# host's processors as an array) and that its fault knobs work.  Skipped
# where no pwsh runs.
#@ full-only: starts a real pwsh per check (~1.5 CPU s each)
#@ no-san: checks the mock module in pwsh and never runs vmrecon
. "$(dirname "$0")/../lib.sh"
# pwsh leaves its CoreFxPipe_PSHost.* sockets in TMPDIR when it is killed
# (the verify deadline kills it on purpose): keep them in this test's dir
export TMPDIR=$T
. "$VR_TOP/tests/eflow-pwsh/testlib.sh"

# ps SCRIPT: run SCRIPT through the launcher as one -EncodedCommand (with
# -OutputFormat Text: see "CLIXML" below)
ps() { run "$PWL" -NoProfile -NonInteractive -OutputFormat Text -EncodedCommand "$(ps_enc "$1")"; }

# --- the launcher -----------------------------------------------------------
mock_reset
ps 'Import-Module AzureEFLOW; (Get-Command Get-CimInstance).CommandType; (Get-Command Get-EflowVm).Source'
expect_rc 0 "launcher: pwsh imports the mock module from -EncodedCommand"
expect_eq "$(tr -d '\r' <"$T/out" | paste -sd' ')" "Function AzureEFLOW" \
    "launcher: the module's Get-CimInstance function comes before any cmdlet"
expect_eq "$(wc -l <"$EFLOW_PWSH_LOG")" 1 "launcher: logs one line per call"
expect_in "$EFLOW_PWSH_LOG" '"-EncodedCommand"' "launcher: logs the argv unchanged"

# --- CLIXML: pwsh -EncodedCommand without a tty and without -OutputFormat
# Text writes every Write-Host line a second time to stderr, as CLIXML
# (the 5.1 behaviour of PowerShell/PowerShell#16678 is in 7.6.9 too)
run "$PWL" -NoProfile -NonInteractive -EncodedCommand "$(ps_enc 'Write-Host hello')" </dev/null
expect_in "$T/out" "hello" "CLIXML: Write-Host reaches stdout"
expect_in "$T/err" "#< CLIXML" "CLIXML: and, without -OutputFormat Text, stderr as CLIXML"
run "$PWL" -NoProfile -NonInteractive -OutputFormat Text -EncodedCommand "$(ps_enc 'Write-Host hello')" </dev/null
expect_eq "$(wc -c <"$T/err")" 0 "CLIXML: -OutputFormat Text keeps stderr empty"

# --- the pitfall: every omitted Set-EflowVM parameter is reset --------------
mock_reset
ps 'Set-EflowVM -gpuName "NVIDIA A2" -gpuPassthroughType DirectDeviceAssignment -gpuCount 1 -headless'
expect_rc 0 "pitfall: Set-EflowVM with only the GPU"
expect_eq "$(vmtuple)" "1,1024,NVIDIA A2" "pitfall: no -cpuCount/-memoryInMB resets them to 1 and 1024"
ps 'Set-EflowVM -cpuCount 2 -memoryInMB 4096'
expect_eq "$(vmtuple)" "2,4096,None" "pitfall: no -gpuName removes the GPU"
ps 'Set-EflowVM -cpuCount 4 -memoryInMB 8192 -gpuName "Intel(R) UHD Graphics 630" -gpuPassthroughType ParaVirtualization -gpuCount 1'
expect_rc 0 "ParaVirtualization with -gpuCount 1, as the GPU guide's example"
expect_eq "$(vmtuple)" "4,8192,Intel(R) UHD Graphics 630" "the full tuple is kept"

# --- failures exit 0 with the host's words on stdout ------------------------
mock_reset 'd["faults"]["setFails"] = "Failed to resize the virtual machine EDGE01-EFLOW"'
ps 'Set-EflowVM -cpuCount 2 -memoryInMB 4096'
expect_rc 0 "a failing Set-EflowVM still exits 0"
expect_in "$T/out" "Exception caught!!!" "the failure is on stdout, AzureEFLOW style"
expect_in "$T/out" " - Failed to resize the virtual machine EDGE01-EFLOW at line " \
    "the message and line are on stdout"
expect_eq "$(wc -c <"$T/err")" 0 "nothing on stderr"
expect_eq "$(vmtuple)" "4,8192,None" "a failed Set-EflowVM changes nothing"
ps '$r = Set-EflowVM -cpuCount 2 -memoryInMB 4096 6>&1; "[" + ($r -join "|") + "]"; "q=$?"'
expect_in "$T/out" "Exception caught!!!|" "6>&1 captures the Write-Host lines"
expect_in "$T/out" "q=True" '$? stays true after a caught failure'

mock_reset
ps 'Set-EflowVM -cpuCount 99 -memoryInMB 4096'
expect_rc 0 "too many CPUs: exit 0"
expect_in "$T/out" "cpuCount 99 is out of range" "too many CPUs: said on stdout"
ps 'Set-EflowVM -cpuCount 2 -memoryInMB 4095'
expect_in "$T/out" "memoryInMB 4095 is invalid" "odd memory refused"
ps 'Set-EflowVM -cpuCount 2 -memoryInMB 4096 -gpuName "NVIDIA A2" -gpuPassthroughType DirectDeviceAssignment'
expect_rc 0 "DDA without -headless: exit 0"
expect_in "$T/out" "NonInteractive mode" "DDA without -headless prompts, which a non-interactive session refuses"
ps 'Set-EflowVM -cpuCount 2 -memoryInMB 4096 -gpuName "Intel(R) UHD Graphics 630" -gpuPassthroughType ParaVirtualization -gpuCount 2'
expect_in "$T/out" "gpuCount must be 1 with ParaVirtualization" "PV with two GPUs refused"
ps 'Set-EflowVM -cpuCount 2 -memoryInMB 4096 -gpuName "NVIDIA T4" -gpuPassthroughType DirectDeviceAssignment -headless'
expect_in "$T/out" "GPU 'NVIDIA T4' was not found" "an absent GPU refused"
expect_eq "$(vmtuple)" "4,8192,None" "none of the refusals changed anything"
ps '$ErrorActionPreference = "Stop"; try { Set-EflowVM -cpuCount two } catch { [Console]::Error.WriteLine($_.Exception.Message); exit 1 }'
expect_rc 1 "a parameter binding error is not caught by the module"
expect_in "$T/err" 'Cannot process argument transformation on parameter' "it reaches the script's catch"

# --- an Off VM ---------------------------------------------------------------
mock_reset 'd["vm"]["power"] = "Off"'
ps 'Set-EflowVM -cpuCount 2 -memoryInMB 4096'
expect_rc 0 "Set-EflowVM on an Off VM exits 0"
expect_in "$T/out" "Cannot process request, EFLOW VM is OFF!" "and says the VM is off"
expect_eq "$(vmtuple)" "4,8192,None" "the Off VM is unchanged"
ps '(Get-EflowVm).VmPowerState; $null -eq (Get-EflowVm).SystemStatistics'
expect_eq "$(tr -d '\r' <"$T/out" | paste -sd' ')" "Off True" "Get-EflowVm: Off, no guest statistics"
mock_edit 'd["faults"]["startFails"] = "Not enough memory in the system to start the virtual machine EDGE01-EFLOW with ram size 8192 megabytes"'
ps 'Start-EflowVm'
expect_rc 0 "a failing Start-EflowVm exits 0"
expect_in "$T/out" "Not enough memory in the system" "with the host's words on stdout"
expect_eq "$(mock_get "d['vm']['power']")" Off "the VM stays Off"
mock_edit 'd["faults"] = {}'
ps 'Start-EflowVm'
expect_eq "$(mock_get "d['vm']['power']")" Running "Start-EflowVm starts it"

mock_reset 'd["faults"]["setStopsVm"] = True'
ps 'Set-EflowVM -cpuCount 2 -memoryInMB 4096'
expect_rc 0 "a Set-EflowVM that stops the VM and cannot restart it exits 0"
expect_in "$T/out" "Not enough memory in the system to start the virtual machine EDGE01-EFLOW with ram size 4096" \
    "and says why"
expect_eq "$(vmtuple),$(mock_get "d['vm']['power']")" "2,4096,None,Off" "the size is applied, the VM left Off"

# --- the host ----------------------------------------------------------------
mock_reset 'd["host"]["logicalProcessors"] = [64, 64]'
ps 'Get-EflowHostConfiguration | ConvertTo-Json -Depth 4 -Compress'
expect_in "$T/out" '"NumberOfLogicalProcessors":[64,64]' "two sockets: NumberOfLogicalProcessors is an array"
ps '(Get-CimInstance -ClassName Win32_Processor | Measure-Object -Property NumberOfLogicalProcessors -Sum).Sum; (Get-CimInstance -ClassName Win32_ComputerSystem).NumberOfLogicalProcessors'
expect_eq "$(tr -d '\r' <"$T/out" | paste -sd' ')" "128 128" "Win32_Processor per socket, Win32_ComputerSystem the sum"
ps 'Set-EflowVM -cpuCount 100 -memoryInMB 4096'
expect_eq "$(vmtuple)" "100,4096,None" "two sockets: all 128 processors are usable"
mock_reset
ps 'Get-EflowHostConfiguration | ConvertTo-Json -Depth 4 -Compress'
expect_in "$T/out" '"NumberOfLogicalProcessors":8,' "one socket: a number"
expect_in "$T/out" '"SupportedPassthroughTypes":["DirectDeviceAssignment"],"Name":"NVIDIA A2"' "GpuInfo names the A2's passthrough type"
ps 'Import-Module AzureEFLOW; (Get-ItemProperty -Path "HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion").CurrentBuildNumber; (Get-ItemProperty "HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\" -Name UBR).UBR'
expect_eq "$(tr -d '\r' <"$T/out" | paste -sd' ')" "19044 1620" "the CurrentVersion key"
ps 'Get-CimInstance -ClassName Win32_OperatingSystem'
expect_rc 1 "an unknown CIM class fails"

# --- DDA hides the GPU --------------------------------------------------------
mock_reset 'd["faults"]["ddaHidesGpu"] = True'
ps 'Set-EflowVM -cpuCount 4 -memoryInMB 8192 -gpuName "NVIDIA A2" -gpuPassthroughType DirectDeviceAssignment -gpuCount 1 -headless; (Get-CimInstance -ClassName Win32_VideoController).Name -join "|"'
expect_eq "$(tail -1 "$T/out" | tr -d '\r')" "Intel(R) UHD Graphics 630" "DDA: the A2 leaves Win32_VideoController"
ps 'Set-EflowVM -cpuCount 2 -memoryInMB 8192 -gpuName "NVIDIA A2" -gpuPassthroughType DirectDeviceAssignment -gpuCount 1 -headless'
expect_eq "$(vmtuple)" "2,8192,NVIDIA A2" "DDA: the assigned A2 can still be named"

# --- Get-EflowVm's shape and the knobs ---------------------------------------
mock_reset 'd["faults"]["noise"] = {"Get-EflowVm": ["Could not resolve virtual machine IP address at line 3881"]}'
ps 'Get-EflowVm | ConvertTo-Json -Depth 8 -Compress'
expect_eq "$(head -1 "$T/out" | tr -d '\r')" "Could not resolve virtual machine IP address at line 3881" "noise before the object"
expect_in "$T/out" '"hardwareProfile":{"customsize":{"cpucount":4,"gpucount":0,"memorymb":8192},"vmSize":"Custom"}' \
    "Get-EflowVm as issue 105 shows it"
mock_reset 'd["faults"].update(powerAsNumber=True, lowercaseKeys=True, noGpuCount=True)'
ps 'Get-EflowVm | ConvertTo-Json -Depth 8 -Compress'
expect_in "$T/out" '"hardwareprofile":{"customsize":{"cpucount":4,"memorymb":8192}' "lowercase keys, no gpucount"
expect_in "$T/out" '"VmPowerState":1,' "numeric power state by moc's enum (Running 1)"

# --- typographic quotes are data ----------------------------------------------
mock_reset 'd["host"]["videoControllers"] = ["NVIDIA \u2018Quadro\u2019 RTX"]'
ps "Set-EflowVM -cpuCount 2 -memoryInMB 4096 -gpuName 'NVIDIA ‘‘Quadro’’ RTX' -gpuPassthroughType ParaVirtualization -gpuCount 1"
expect_eq "$(vmtuple)" "2,4096,NVIDIA ‘Quadro’ RTX" "a doubled typographic quote in a literal stands for one"
expect_in "$EFLOW_PWSH_TRACE" '"gpuName":"NVIDIA ‘Quadro’ RTX"' "the trace records the bound parameters"

# --- a lost verify: the first call after a Set-EflowVM hangs ------------------
mock_reset 'd["faults"]["hangAfterSet"] = True'
ps 'Set-EflowVM -cpuCount 2 -memoryInMB 4096'
expect_eq "$(vmtuple)" "2,4096,None" "hangAfterSet: the Set-EflowVM itself works"
# the next call clears hangPending just before its endless sleep: wait for
# that (or for the call to end), then see that it is still running
"$PWL" -NoProfile -NonInteractive -OutputFormat Text -Command 'Get-EflowVm | Out-Null; "returned"' \
	>"$T/out" 2>"$T/err" &
hung=$!
while kill -0 "$hung" 2>/dev/null &&
	[ "$(mock_get "d['faults'].get('hangPending')" 2>/dev/null)" != False ]; do
	sleep 0.2
done
sleep 0.5
if kill -0 "$hung" 2>/dev/null; then
	ok "hangAfterSet: the next call never returns (it is in its endless sleep)"
else
	notok "hangAfterSet: the next call returned: $(cat "$T/out" "$T/err")"
fi
kill -KILL "$hung" 2>/dev/null
wait "$hung" 2>/dev/null
expect_not_in "$T/out" "returned" "hangAfterSet: nothing after the hanging call ran"
ps '(Get-EflowVm).VmPowerState'
expect_eq "$(tr -d '\r' <"$T/out")" "Running" "hangAfterSet: only that one call hangs"
