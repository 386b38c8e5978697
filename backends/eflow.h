/*
 * eflow.h - what the eflow backend offers besides its driver table
 * (vr_eflow_driver): its GPU support matrix, its table of hypervisors a
 * Windows host may run in (eflow_nested.c), a count of PowerShell
 * launcher starts, its observe script and parser, for tests, fuzzing and
 * benchmarks.
 */
#ifndef VR_EFLOW_H
#define VR_EFLOW_H

#include <stddef.h>

#include "../schema/model.h"

/* The passthrough types (bits of enum vr_gpu_type) EFLOW supports for a
 * GPU of this name, from Microsoft's support matrix; 0 if none. */
unsigned vr_eflow_gpu_types(const char *name);

/* The SMBIOS strings a Windows host reports about itself (NULL: absent). */
struct vr_eflow_dmi {
	const char *manufacturer;  /* Win32_ComputerSystem.Manufacturer */
	const char *model;         /* Win32_ComputerSystem.Model */
	const char *bios_vendor;   /* Win32_BIOS.Manufacturer */
	const char *board_product; /* Win32_BaseBoard.Product */
};

/* The hypervisor whose guest these strings show the host to be ("VMware",
 * "Hyper-V", ...), or NULL; *field and *value (when not NULL) name the
 * string that gave it away.  See eflow_nested.c for the table and its
 * sources. */
const char *vr_eflow_nested(const struct vr_eflow_dmi *d, const char **field,
    const char **value);

/* PowerShell launcher starts made so far on an eflow connection (the conn
 * pointer the driver's open returned). */
unsigned long vr_eflow_invocations(const void *conn);

/* The observe script's body, as every observe sends it (for benchmarks). */
const char *vr_eflow_observe_body(void);

/* For the fuzzer and tests: parse `text`, the whole stdout of the observe
 * script (host noise, the sentinel line, the result), exactly as the
 * backend parses PowerShell's, without running anything.  *host gets what
 * it says (vr_host_clear it); returns 0 or the error. */
int vr_eflow_parse_observe(struct vr_host *host, const char *text,
    size_t len);

#endif
