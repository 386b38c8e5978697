# AzureEFLOW.psd1 - manifest of the test stand-in for Microsoft's AzureEFLOW
# module (see AzureEFLOW.psm1 beside it).  Never shipped; tests only.
@{
    RootModule        = 'AzureEFLOW.psm1'
    ModuleVersion     = '1.4.0'
    GUID              = '6f0f5e2a-3c1b-4f5e-9a51-0e7a3b1c2d40'
    Author            = 'vmrecon tests'
    Description       = 'Test stand-in for AzureEFLOW: state in $env:EFLOW_PWSH_STATE'
    PowerShellVersion = '5.1'
    FunctionsToExport = @('Get-EflowVm', 'Set-EflowVM', 'Start-EflowVm',
        'Stop-EflowVm', 'Get-EflowHostConfiguration', 'Get-CimInstance',
        'Get-ItemProperty')
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
