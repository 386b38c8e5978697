/*
 * eflow.h - what the eflow backend offers besides its driver table
 * (vr_eflow_driver): its GPU support matrix and a count of PowerShell
 * invocations, for tests and benchmarks.
 */
#ifndef VR_EFLOW_H
#define VR_EFLOW_H

#include <stddef.h>

#include "../schema/model.h"

/* The passthrough types (bits of enum vr_gpu_type) EFLOW supports for a
 * GPU of this name, from Microsoft's support matrix; 0 if none. */
unsigned vr_eflow_gpu_types(const char *name);

/* PowerShell invocations made so far on an eflow connection (the conn
 * pointer the driver's open returned). */
unsigned long vr_eflow_invocations(const void *conn);

/* For the fuzzer and tests: parse the outputs of the five queries the
 * backend sends (Get-EflowHostConfiguration, Win32_VideoController,
 * Win32_ComputerSystem, the registry's CurrentVersion, Get-EflowVm; NULL
 * is an empty output) exactly as it parses PowerShell's, without running
 * anything.  *host gets what they say (vr_host_clear it); returns 0 or
 * the first step's error. */
#define VR_EFLOW_NOUTPUTS 5
int vr_eflow_parse_outputs(struct vr_host *host,
    const char *const text[VR_EFLOW_NOUTPUTS],
    const size_t len[VR_EFLOW_NOUTPUTS]);

#endif
