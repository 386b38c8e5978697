/* mod_libvirt.c - the entry of vmrecon-libvirt.so (schema/util/module.h): the
 * libvirt backend's driver table, with libvirt linked into the module
 * only; backend.c opens it for `--backend libvirt:...`. */
#include <libvirt/libvirt.h>
#include <stdio.h>

#include "../schema/util/module.h"
#include "backend.h"

extern const struct vr_driver vr_libvirt_driver;

static const char *
library(void)
{
	static char v[48];
	unsigned long lib = 0;

	if (virGetVersion(&lib, NULL, NULL) < 0)
		return "libvirt (version unknown)";
	snprintf(v, sizeof(v), "libvirt %lu.%lu.%lu", lib / 1000000,
	    lib / 1000 % 1000, lib % 1000);
	return v;
}

/* read before the module is loaded (module.h) */
VR_MODULE_NOTE("libvirt");

const struct vr_module_info VR_MODULE_DEFINE = {
	VR_MODULE_ABI, VR_VERSION, "libvirt", &vr_libvirt_driver, library,
};
