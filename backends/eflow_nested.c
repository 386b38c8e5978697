/*
 * eflow_nested.c - is the Windows host itself a virtual machine?  EFLOW
 * does not pass a GPU through on such a host (Microsoft, "GPU acceleration
 * for Azure IoT Edge for Linux on Windows": "GPU passthrough isn't
 * supported with nested virtualization, like running EFLOW in a Windows
 * virtual machine"), so the eflow backend refuses a GPU there instead of
 * sending a DDA that cannot work.
 *
 * The answer comes from the SMBIOS strings the hypervisor gives its guest,
 * as Windows reports them (Win32_ComputerSystem Manufacturer and Model:
 * SMBIOS system manufacturer and product name; Win32_BIOS Manufacturer:
 * the BIOS vendor; Win32_BaseBoard Product: the board's product), one
 * row per hypervisor below, each pattern with its source.  Not from
 * Win32_ComputerSystem.HypervisorPresent: every EFLOW host runs Hyper-V,
 * and the root partition of a Hyper-V host reports it true as well.
 *
 * A pattern matches a string that starts with its text (case-insensitive)
 * followed by the end, a blank or punctuation: "Xen" matches "Xen" and
 * not "Xenon Systems"; "VMware" matches "VMware, Inc." and "VMware7,1".
 * What this cannot see: a hypervisor told to show a physical machine's
 * strings (VirtualBox's DmiSystemVendor, QEMU's -smbios) is taken for
 * bare metal, and the GPU question is then EFLOW's own.
 */
#include <string.h>
#include <strings.h>

#include "eflow.h"

enum dmi_field {
	DMI_MANUFACTURER, /* Win32_ComputerSystem.Manufacturer */
	DMI_MODEL,        /* Win32_ComputerSystem.Model */
	DMI_BIOS_VENDOR,  /* Win32_BIOS.Manufacturer */
	DMI_BOARD_PRODUCT, /* Win32_BaseBoard.Product */
};

static const char *const field_names[] = {
	[DMI_MANUFACTURER] = "Win32_ComputerSystem Manufacturer",
	[DMI_MODEL] = "Win32_ComputerSystem Model",
	[DMI_BIOS_VENDOR] = "Win32_BIOS Manufacturer",
	[DMI_BOARD_PRODUCT] = "Win32_BaseBoard Product",
};

struct pattern {
	enum dmi_field field;
	const char *text;
};

/*
 * One row per hypervisor: the host is its guest when any pattern matches
 * (and, for `both`, the second one too), unless the model contains
 * `unless`.  Sources, per row:
 */
static const struct nested_row {
	const char *hypervisor;
	struct pattern any[3];
	struct pattern both;  /* with any[0]: both must match */
	const char *unless;   /* in the model: not a VM after all */
} rows[] = {
	/* VMware: system manufacturer "VMware, Inc.", product "VMware
	 * Virtual Platform" or "VMware7,1" (VMware KB 1009458, cited in
	 * systemd src/basic/virt.c dmi_vendor_table, which also lists
	 * "VMW"); Azure/iotedge-eflow #122 and #126 are EFLOW on Windows
	 * Server 2019 VMware VMs. */
	{ "VMware", { { DMI_MANUFACTURER, "VMware" },
	    { DMI_MODEL, "VMware" }, { DMI_BIOS_VENDOR, "VMware" } },
	    { 0, NULL }, NULL },
	/* VirtualBox: system vendor "innotek GmbH" and product "VirtualBox",
	 * its DmiSystemVendor and DmiSystemProduct defaults (VirtualBox
	 * manual, "Configuring the BIOS DMI Information"; systemd virt.c);
	 * the board vendor "Oracle Corporation" alone is not used: Oracle
	 * also sells physical servers. */
	{ "VirtualBox", { { DMI_MANUFACTURER, "innotek GmbH" },
	    { DMI_MODEL, "VirtualBox" }, { DMI_BOARD_PRODUCT, "VirtualBox" } },
	    { 0, NULL }, NULL },
	/* KVM/QEMU: QEMU's x86 machines give manufacturer "QEMU" and product
	 * "Standard PC (i440FX + PIIX, 1996)" or "Standard PC (Q35 + ICH9,
	 * 2009)" ("guest ABI, do not change": qemu hw/i386/fw_cfg.c,
	 * smbios_set_defaults); Red Hat's KVM gives product "KVM", OpenStack
	 * Nova "OpenStack Nova", Bochs-based firmware "Bochs" (systemd
	 * virt.c: "KVM", "OpenStack", "QEMU", "Bochs"). */
	{ "KVM/QEMU", { { DMI_MANUFACTURER, "QEMU" }, { DMI_MODEL, "KVM" },
	    { DMI_MODEL, "OpenStack" } }, { 0, NULL }, NULL },
	{ "KVM/QEMU", { { DMI_MANUFACTURER, "Bochs" },
	    { DMI_BIOS_VENDOR, "Bochs" }, { 0, NULL } }, { 0, NULL }, NULL },
	/* Xen: hvmloader gives manufacturer "Xen" and product "HVM domU"
	 * (systemd virt.c "Xen"; also the older Xen-based EC2 instances). */
	{ "Xen", { { DMI_MANUFACTURER, "Xen" }, { DMI_MODEL, "HVM domU" },
	    { DMI_BIOS_VENDOR, "Xen" } }, { 0, NULL }, NULL },
	/* Parallels: "Parallels Software International Inc.", later
	 * "Parallels International GmbH.", product "Parallels Virtual
	 * Platform" (systemd virt.c "Parallels"). */
	{ "Parallels", { { DMI_MANUFACTURER, "Parallels" },
	    { DMI_MODEL, "Parallels" }, { 0, NULL } }, { 0, NULL }, NULL },
	/* Hyper-V, and Azure, which runs it: manufacturer "Microsoft
	 * Corporation" with model "Virtual Machine"; EFLOW's own
	 * eflowAutoDeploy.ps1 (Azure/iotedge-eflow, Get-HostPcInfo) takes
	 * Win32_BaseBoard Product "Virtual Machine" for a VM.  The
	 * manufacturer alone is no sign: Surface devices and the root
	 * partition of a Hyper-V host on Microsoft hardware show it too. */
	{ "Hyper-V", { { DMI_MANUFACTURER, "Microsoft Corporation" },
	    { 0, NULL }, { 0, NULL } },
	    { DMI_MODEL, "Virtual Machine" }, NULL },
	{ "Hyper-V", { { DMI_BOARD_PRODUCT, "Virtual Machine" }, { 0, NULL },
	    { 0, NULL } }, { 0, NULL }, NULL },
	/* AWS EC2: system vendor "Amazon EC2", product the instance type;
	 * a bare-metal instance type ends in ".metal" (m5.metal) and is no
	 * VM (systemd virt.c, detect_vm_dmi). */
	{ "Amazon EC2", { { DMI_MANUFACTURER, "Amazon EC2" }, { 0, NULL },
	    { 0, NULL } }, { 0, NULL }, ".metal" },
	/* Google Compute Engine: product "Google Compute Engine" (Google
	 * Cloud, "Detect if running in Compute Engine": dmidecode -s
	 * system-product-name; systemd virt.c).  The manufacturer "Google"
	 * alone is no sign: Chromebooks show it too. */
	{ "Google Compute Engine", { { DMI_MODEL, "Google Compute Engine" },
	    { 0, NULL }, { 0, NULL } }, { 0, NULL }, NULL },
};

static int
is_word_end(char c)
{
	return c == '\0' || c == ' ' || c == ',' || c == '.' || c == '-' ||
	    c == '(' || c == '_' || (c >= '0' && c <= '9');
}

static const char *
field_value(const struct vr_eflow_dmi *d, enum dmi_field f)
{
	switch (f) {
	case DMI_MANUFACTURER:
		return d->manufacturer;
	case DMI_MODEL:
		return d->model;
	case DMI_BIOS_VENDOR:
		return d->bios_vendor;
	case DMI_BOARD_PRODUCT:
		return d->board_product;
	}
	return NULL;
}

static int
matches(const struct vr_eflow_dmi *d, const struct pattern *p)
{
	const char *v;
	size_t n;

	if (!p->text || !(v = field_value(d, p->field)))
		return 0;
	while (*v == ' ')
		v++;
	n = strlen(p->text);
	return strncasecmp(v, p->text, n) == 0 && is_word_end(v[n]);
}

static int
contains_nocase(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (; s && *s; s++)
		if (strncasecmp(s, word, n) == 0)
			return 1;
	return 0;
}

const char *
vr_eflow_nested(const struct vr_eflow_dmi *d, const char **field,
    const char **value)
{
	size_t i, j;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct nested_row *r = &rows[i];

		if (r->unless && contains_nocase(d->model, r->unless))
			continue;
		for (j = 0; j < sizeof(r->any) / sizeof(r->any[0]); j++) {
			const struct pattern *p = &r->any[j];

			if (!matches(d, p) || (r->both.text &&
			    !matches(d, &r->both)))
				continue;
			if (field)
				*field = field_names[r->both.text ?
				    r->both.field : p->field];
			if (value)
				*value = field_value(d, r->both.text ?
				    r->both.field : p->field);
			return r->hypervisor;
		}
	}
	return NULL;
}
