/*
 * eflow.h - what the eflow backend offers besides its driver table
 * (vr_eflow_driver): its GPU support matrix and a count of PowerShell
 * invocations, for tests and benchmarks.
 */
#ifndef VR_EFLOW_H
#define VR_EFLOW_H

/* The passthrough types (bits of enum vr_gpu_type) EFLOW supports for a
 * GPU of this name, from Microsoft's support matrix; 0 if none. */
unsigned vr_eflow_gpu_types(const char *name);

/* PowerShell invocations made so far on an eflow connection (the conn
 * pointer the driver's open returned). */
unsigned long vr_eflow_invocations(const void *conn);

#endif
