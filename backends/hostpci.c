/*
 * hostpci.c - host GPU discovery from sysfs and naming from pci.ids.
 *
 * pci.ids is parsed here rather than through libpci's pci_lookup_name():
 * the two lines we need (vendor, then its device) take a short loop, and it
 * spares every build a libpci-dev dependency and libpci's own scanning of
 * the real /sys, which the tests must be able to replace with a fixture
 * tree.  Every file read is bounded; malformed entries are skipped.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../schema/util/error.h"
#include "../schema/util/fileio.h"
#include "hostpci.h"

#define HWDATA_PCI_IDS "/usr/share/hwdata/pci.ids"

bool
vr_hostpci_addr_valid(const char *a)
{
	/* dddd:bb:ss.f, all hex but the function (0-7) */
	static const char shape[] = "xxxx:xx:xx.f";
	size_t i;

	if (strlen(a) != sizeof(shape) - 1)
		return false;
	for (i = 0; shape[i]; i++) {
		if (shape[i] == 'x' && !isxdigit((unsigned char)a[i]))
			return false;
		if (shape[i] == 'f' && (a[i] < '0' || a[i] > '7'))
			return false;
		if ((shape[i] == ':' || shape[i] == '.') && a[i] != shape[i])
			return false;
	}
	return true;
}

/* A sysfs attribute holding one hex number ("0x10de\n"). */
static int
read_hex(unsigned *out, const char *dir, const char *name)
{
	char *path = vr_asprintf("%s/%s", dir, name), *buf = NULL, *end;
	unsigned long v;
	size_t len;
	int rc;

	rc = vr_file_read(&buf, &len, path, 64);
	free(path);
	if (rc < 0)
		return rc;
	errno = 0;
	v = strtoul(buf, &end, 16);
	while (*end == '\n' || *end == ' ')
		end++;
	rc = (errno || end == buf || *end || v > 0xffffff) ? VR_EINVALID : 0;
	free(buf);
	if (rc == 0)
		*out = (unsigned)v;
	return rc;
}

/* The last component of the symlink dir/name, or NULL. */
static char *
link_base(const char *dir, const char *name)
{
	char *path = vr_asprintf("%s/%s", dir, name), target[512], *slash;
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	free(path);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	slash = strrchr(target, '/');
	return vr_strdup(slash ? slash + 1 : target);
}

/* "hhhh  Text" after `tabs` leading tabs: the id and the text. */
static bool
ids_line(const char *line, int tabs, unsigned *id, const char **text)
{
	int i;
	char *end;

	for (i = 0; i < tabs; i++)
		if (line[i] != '\t')
			return false;
	line += tabs;
	for (i = 0; i < 4; i++)
		if (!isxdigit((unsigned char)line[i]))
			return false;
	if (line[4] != ' ' || line[5] != ' ')
		return false;
	*id = (unsigned)strtoul(line, &end, 16);
	*text = line + 6;
	return true;
}

static FILE *
open_ids(const char *pci_ids)
{
	FILE *fp;

	if (pci_ids)
		return fopen(pci_ids, "r");
	fp = fopen(VR_PCI_IDS_DEFAULT, "r");
	return fp ? fp : fopen(HWDATA_PCI_IDS, "r");
}

/* Look both names up; either may come back NULL. */
static void
lookup(char **vname, char **dname, const char *pci_ids, unsigned vendor,
    unsigned device)
{
	char line[1024];
	bool in_vendor = false, skipping = false;
	FILE *fp = open_ids(pci_ids);

	*vname = *dname = NULL;
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		size_t len = strlen(line);
		bool whole = len && line[len - 1] == '\n';
		const char *text;
		unsigned id;

		if (skipping) { /* the tail of an overlong line */
			skipping = !whole;
			continue;
		}
		skipping = !whole;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (line[0] != '\t') {
			if (in_vendor)
				break; /* the vendor's devices are over */
			if (ids_line(line, 0, &id, &text) && id == vendor) {
				*vname = vr_strdup(text);
				in_vendor = true;
			}
			continue;
		}
		if (in_vendor && ids_line(line, 1, &id, &text) &&
		    id == device) {
			*dname = vr_strdup(text);
			break;
		}
	}
	fclose(fp);
}

char *
vr_hostpci_lookup(const char *pci_ids, unsigned vendor, unsigned device)
{
	char *v, *d, *name = NULL;

	lookup(&v, &d, pci_ids, vendor, device);
	if (v && d)
		name = vr_asprintf("%s %s", v, d);
	free(v);
	free(d);
	return name;
}

static char *
device_name(const char *pci_ids, unsigned vendor, unsigned device)
{
	char *v, *d, *name;

	lookup(&v, &d, pci_ids, vendor, device);
	if (v && d)
		name = vr_asprintf("%s %s", v, d);
	else if (v)
		name = vr_asprintf("%s Device %04x", v, device);
	else
		name = vr_asprintf("Device %04x:%04x", vendor, device);
	free(v);
	free(d);
	return name;
}

static int
cmp_addr(const void *a, const void *b)
{
	return strcmp(((const struct vr_pci_dev *)a)->addr,
	    ((const struct vr_pci_dev *)b)->addr);
}

int
vr_hostpci_gpus(struct vr_pci_dev **out, size_t *n, const char *sysfs_root,
    const char *pci_ids)
{
	char *dirpath = vr_asprintf("%s/bus/pci/devices",
	    sysfs_root ? sysfs_root : "/sys");
	struct vr_pci_dev *v = NULL;
	size_t nv = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*n = 0;
	d = opendir(dirpath);
	if (!d) {
		free(dirpath);
		return 0; /* no PCI bus visible: no GPU */
	}
	while ((de = readdir(d)) != NULL) {
		struct vr_pci_dev dev;
		char *devdir, *group;

		if (!vr_hostpci_addr_valid(de->d_name) || nv == 4096)
			continue;
		memset(&dev, 0, sizeof(dev));
		devdir = vr_asprintf("%s/%s", dirpath, de->d_name);
		if (read_hex(&dev.class, devdir, "class") < 0 ||
		    (dev.class >> 16) != 0x03 ||
		    read_hex(&dev.vendor, devdir, "vendor") < 0 ||
		    read_hex(&dev.device, devdir, "device") < 0 ||
		    dev.vendor > 0xffff || dev.device > 0xffff) {
			free(devdir);
			continue;
		}
		memcpy(dev.addr, de->d_name, strlen(de->d_name) + 1);
		dev.driver = link_base(devdir, "driver");
		group = link_base(devdir, "iommu_group");
		dev.iommu_group = group && isdigit((unsigned char)group[0]) ?
		    (int)strtol(group, NULL, 10) : -1;
		free(group);
		free(devdir);
		dev.name = device_name(pci_ids, dev.vendor, dev.device);
		if (nv == cap) {
			cap = cap ? cap * 2 : 8;
			v = vr_realloc(v, cap * sizeof(*v));
		}
		v[nv++] = dev;
	}
	closedir(d);
	free(dirpath);
	if (nv)
		qsort(v, nv, sizeof(*v), cmp_addr);
	*out = v;
	*n = nv;
	return 0;
}

const struct vr_pci_dev *
vr_hostpci_find(const struct vr_pci_dev *v, size_t n, const char *addr)
{
	size_t i;

	for (i = 0; addr && i < n; i++)
		if (strcasecmp(v[i].addr, addr) == 0)
			return &v[i];
	return NULL;
}

void
vr_hostpci_free(struct vr_pci_dev *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].driver);
	}
	free(v);
}

void
vr_hostpci_to_host(struct vr_host *h, const struct vr_pci_dev *v, size_t n,
    unsigned types)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < h->ngpus; j++)
			if (strcmp(h->gpus[j].name, v[i].name) == 0)
				break;
		if (j < h->ngpus) {
			h->gpus[j].count++;
			continue;
		}
		h->gpus = vr_realloc(h->gpus, (h->ngpus + 1) *
		    sizeof(h->gpus[0]));
		h->gpus[j].name = vr_strdup(v[i].name);
		h->gpus[j].types = types;
		h->gpus[j].count = 1;
		h->gpus[j].addr = vr_strdup(v[i].addr);
		h->ngpus++;
	}
}

const char *
vr_hostpci_root(const char *configured)
{
	const char *env = getenv("VMRECON_SYSFS_ROOT");

	if (configured && *configured)
		return configured;
	return env && *env ? env : "/sys";
}

bool
vr_hostpci_has_iommu(const char *sysfs_root)
{
	char *path = vr_asprintf("%s/kernel/iommu_groups",
	    sysfs_root ? sysfs_root : "/sys");
	DIR *d = opendir(path);
	struct dirent *de;
	bool yes = false;

	free(path);
	while (d && !yes && (de = readdir(d)) != NULL)
		yes = de->d_name[0] != '.';
	if (d)
		closedir(d);
	return yes;
}
