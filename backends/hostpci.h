/*
 * hostpci.h - the host's PCI display devices (GPUs), read from
 * <sysfs_root>/bus/pci/devices/<addr>/{class,vendor,device}, named from the
 * pci.ids database ("NVIDIA Corporation GA107GL [A2 / A16]").  A device's
 * stable key is its PCI address, so a restated spec never reshuffles them.
 * Shared by the qemu and libvirt backends.
 */
#ifndef VR_HOSTPCI_H
#define VR_HOSTPCI_H

#include <stdbool.h>
#include <stddef.h>

#include "../schema/model.h"

#define VR_PCI_IDS_DEFAULT "/usr/share/misc/pci.ids"

struct vr_pci_dev {
	char addr[16];   /* "0000:01:00.0" */
	unsigned vendor, device, class; /* class: 24 bits, 0x03xxxx = display */
	char *name;      /* "Vendor Device" from pci.ids, or "[10de:25b6]" */
	char *driver;    /* bound kernel driver, or NULL */
	int iommu_group; /* -1: none */
};

/* Every display-class device under sysfs_root (NULL: "/sys"), sorted by
 * address; names from `pci_ids` (NULL: VR_PCI_IDS_DEFAULT, then hwdata's).
 * Unreadable or malformed entries are skipped.  A missing devices dir is
 * no GPU, not an error. */
int vr_hostpci_gpus(struct vr_pci_dev **out, size_t *n,
    const char *sysfs_root, const char *pci_ids);

/* The device at `addr`, or NULL. */
const struct vr_pci_dev *vr_hostpci_find(const struct vr_pci_dev *v,
    size_t n, const char *addr);

void vr_hostpci_free(struct vr_pci_dev *v, size_t n);

/* "Vendor Device" for the ids from pci.ids; NULL if not listed. */
char *vr_hostpci_lookup(const char *pci_ids, unsigned vendor,
    unsigned device);

/* Group devices by name into h->gpus (one entry per name: its count and
 * the first address), each supporting the passthrough `types`. */
void vr_hostpci_to_host(struct vr_host *h, const struct vr_pci_dev *v,
    size_t n, unsigned types);

/* Does <sysfs_root>/kernel/iommu_groups (NULL root: "/sys") hold any
 * group?  Without one no device can be passed through with vfio-pci. */
bool vr_hostpci_has_iommu(const char *sysfs_root);

/* The sysfs root to read: `configured` (vr_backend_options.sysfs_root)
 * when set, else $VMRECON_SYSFS_ROOT when set and not empty (a test
 * setting: a fixture tree such as tests/fixtures/sysfs-a2), else "/sys".
 * Not an option on the command line: on a real host the PCI devices are
 * always under /sys. */
const char *vr_hostpci_root(const char *configured);

/* Is "0000:01:00.0" a well-formed PCI address? */
bool vr_hostpci_addr_valid(const char *addr);

#endif
