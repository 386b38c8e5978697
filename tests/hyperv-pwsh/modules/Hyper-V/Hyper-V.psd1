# Hyper-V.psd1 - manifest of the test stand-in for Microsoft's Hyper-V
# module (see Hyper-V.psm1 beside it).  Never shipped; tests only.
@{
    RootModule        = 'Hyper-V.psm1'
    ModuleVersion     = '2.0.0'
    GUID              = '3d6c0b7e-5a41-4e0f-9d2c-7b1e8a9f4c21'
    Author            = 'vmrecon tests'
    Description       = 'Test stand-in for Hyper-V: state in $env:HYPERV_PWSH_STATE'
    PowerShellVersion = '5.1'
    FunctionsToExport = '*'
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
