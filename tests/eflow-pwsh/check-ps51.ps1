# check-ps51.ps1 - does a script use anything Windows PowerShell 5.1 lacks?
#
#   pwsh -NoProfile -File check-ps51.ps1 FILE...
#
# Each FILE (UTF-8) is parsed by pwsh's own parser
# ([System.Management.Automation.Language.Parser]::ParseInput) and its
# syntax tree searched for what only PowerShell 6/7 has: pipeline chains
# (&& ||), the ternary ?:, ?? and ??=, ?. and ?[], clean {} blocks,
# ForEach-Object -Parallel, parameters and cmdlets that 5.1 does not have
# (ConvertFrom-Json -AsHashtable/-Depth/-NoEnumerate, ConvertTo-Json
# -AsArray/-EscapeHandling, Join-String, Test-Json, Get-Error, ...), the
# encodings utf8NoBOM/utf8BOM, the `e and `u{} escapes and the automatic
# variables $IsWindows, $IsLinux, $IsMacOS, $IsCoreCLR and $PSStyle.
# Prints "FILE:LINE:COL: WHAT" per finding; exits 1 if there is any (or a
# parse error), 0 if none.
param([Parameter(Mandatory = $true, ValueFromRemainingArguments = $true)]
    [string[]]$Path)

$ErrorActionPreference = 'Stop'
$L = [System.Management.Automation.Language.Ast]
$found = 0

# Cmdlets absent from 5.1, and parameters 5.1's cmdlets lack.
$newCmdlets = @('Join-String', 'Test-Json', 'Get-Error', 'Get-Uptime',
    'ConvertFrom-Markdown', 'Show-Markdown', 'Remove-Alias',
    'Remove-Service', 'Get-PSSubsystem', 'Clear-RecycleBin')
$newParams = @{
    'ConvertFrom-Json' = @('AsHashtable', 'Depth', 'NoEnumerate')
    'ConvertTo-Json'   = @('AsArray', 'EscapeHandling')
    'ForEach-Object'   = @('Parallel', 'ThrottleLimit', 'TimeoutSeconds',
        'AsJob', 'UseNewRunspace')
    'Get-Content'      = @('AsByteStream')
    'Set-Content'      = @('AsByteStream')
    'Add-Content'      = @('AsByteStream')
    'Select-String'    = @('Raw', 'NoEmphasis')
    'Split-Path'       = @('LeafBase', 'Extension')
    'Test-Connection'  = @('TargetName', 'TcpPort')
    'Get-Date'         = @('AsUTC')
}
$aliases = @{ '%' = 'ForEach-Object'; 'foreach' = 'ForEach-Object'
    'sc' = 'Set-Content'; 'gc' = 'Get-Content'; 'sls' = 'Select-String' }
$newVars = @('IsWindows', 'IsLinux', 'IsMacOS', 'IsCoreCLR', 'PSStyle')

function Report($file, $extent, [string]$what) {
    $script:found++
    '{0}:{1}:{2}: {3}' -f $file, $extent.StartLineNumber,
    $extent.StartColumnNumber, $what
}

foreach ($file in $Path) {
    $text = [System.IO.File]::ReadAllText($file, [System.Text.Encoding]::UTF8)
    $tokens = $null
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseInput($text,
        $file, [ref]$tokens, [ref]$errors)
    foreach ($e in $errors) {
        Report $file $e.Extent ('parse error: ' + $e.Message)
    }
    $all = $ast.FindAll({ $true }, $true)
    foreach ($n in $all) {
        $t = $n.GetType().Name
        switch ($t) {
            'PipelineChainAst' {
                Report $file $n.Extent ('pipeline chain ' + $n.Operator +
                    ' (&& and || are PowerShell 7)')
            }
            'TernaryExpressionAst' {
                Report $file $n.Extent 'ternary ?: (PowerShell 7)'
            }
            'BinaryExpressionAst' {
                if ($n.Operator -eq 'QuestionQuestion') {
                    Report $file $n.Extent '?? (PowerShell 7)'
                }
            }
            'AssignmentStatementAst' {
                if ($n.Operator -eq 'QuestionQuestionEquals') {
                    Report $file $n.Extent '??= (PowerShell 7)'
                }
            }
            { $_ -in 'MemberExpressionAst', 'InvokeMemberExpressionAst',
                'IndexExpressionAst' } {
                if ($n.NullConditional) {
                    Report $file $n.Extent '?. or ?[] (PowerShell 7)'
                }
            }
            'ScriptBlockAst' {
                if ($null -ne $n.CleanBlock) {
                    Report $file $n.CleanBlock.Extent 'clean {} block (PowerShell 7.3)'
                }
            }
            'VariableExpressionAst' {
                if ($newVars -contains $n.VariablePath.UserPath) {
                    Report $file $n.Extent ('$' + $n.VariablePath.UserPath +
                        ' (PowerShell 6+)')
                }
            }
            'CommandAst' {
                $name = $n.GetCommandName()
                if ($null -eq $name) { break }
                if ($aliases.ContainsKey($name)) { $name = $aliases[$name] }
                if ($newCmdlets -contains $name) {
                    Report $file $n.Extent ($name + ' (not in 5.1)')
                }
                foreach ($el in $n.CommandElements) {
                    if ($el -is [System.Management.Automation.Language.CommandParameterAst]) {
                        $p = $el.ParameterName
                        foreach ($k in $newParams.Keys) {
                            if ($k -eq $name -and
                                ($newParams[$k] | Where-Object { $_ -like "$p*" -and $p.Length -ge 2 })) {
                                Report $file $el.Extent ("$name -$p (not in 5.1)")
                            }
                        }
                    } elseif ($el -is [System.Management.Automation.Language.StringConstantExpressionAst] -and
                        $el.Value -in @('utf8NoBOM', 'utf8BOM')) {
                        Report $file $el.Extent ("encoding $($el.Value) (not in 5.1)")
                    }
                }
            }
        }
    }
    # `e and `u{...} in double-quoted strings: 5.1 reads them as e and u
    foreach ($tok in $tokens) {
        if ($tok.Kind -in 'StringExpandable', 'HereStringExpandable' -and
            $tok.Text -match '`(e|u\{)') {
            Report $file $tok.Extent ('escape `' + $Matches[1] +
                ' in a double-quoted string (PowerShell 6+)')
        }
    }
}
if ($found -gt 0) { exit 1 }
exit 0
