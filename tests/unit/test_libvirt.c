/*
 * test_libvirt.c - the libvirt backend against libvirt's test driver:
 * test:///default (its built-in running domain "test") and a node file,
 * tests/fixtures/libvirt-node.xml (domain "edge": vCPU and DIMM headroom,
 * a NUMA cell, the fixture host's A2 passed through).  The test driver keeps
 * its state inside one connection, so each test opens one backend and does
 * everything through it.  It cannot attach or detach devices: its refusal
 * is the libvirt error that must reach the user in libvirt's words.
 * Compiled only when the libvirt backend is built.
 */
#ifdef VR_HAVE_LIBVIRT
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../backends/backend.h"
#include "../../schema/util/error.h"
#include "../../schema/util/module.h"
#include "drvcheck.h"
#include "unit.h"

#define SYSFS "tests/fixtures/sysfs-a2"
#define NODE "tests/fixtures/libvirt-node.xml"
#define A2 "NVIDIA Corporation GA107GL [A2 / A16]"

static struct vr_backend *
open_lv(const char *uri)
{
	struct vr_backend_options o = VR_BACKEND_OPTIONS_INIT;
	struct vr_backend *b = NULL;
	char *kt = vr_asprintf("libvirt:%s", uri);

	o.sysfs_root = SYSFS;
	CHECK_INT(vr_backend_open(&b, kt, &o), 0);
	free(kt);
	return b;
}

/* test:///ABSOLUTE-PATH of the node fixture */
static struct vr_backend *
open_node(void)
{
	char abs[PATH_MAX], *uri;
	struct vr_backend *b;

	if (!realpath(NODE, abs)) {
		CHECK(!"the node fixture exists");
		return NULL;
	}
	uri = vr_asprintf("test://%s", abs);
	b = open_lv(uri);
	free(uri);
	return b;
}

static void
observe(struct vr_backend *b, const char *name, struct vr_vm_live *l)
{
	vr_vm_live_clear(l);
	CHECK_INT(vr_backend_observe(b, name, NULL, l), 0);
}

/* A change of `field` to `to`, classified against the last observation. */
static void
change(struct vr_backend *b, const struct vr_vm_live *l,
    struct vr_change *c, enum vr_field field, int64_t to)
{
	memset(c, 0, sizeof(*c));
	c->field = field;
	c->action = VR_ACTION_UPDATE;
	c->from.i = field == VR_FIELD_CPU_COUNT ? l->cpu_count : l->memory_mb;
	c->to.i = to;
	CHECK_INT(vr_backend_classify(b, l, c), 0);
}

static void
gpu_change(struct vr_backend *b, const struct vr_vm_live *l,
    struct vr_change *c, const char *name, enum vr_gpu_type t, int count)
{
	memset(c, 0, sizeof(*c));
	c->field = VR_FIELD_GPU;
	c->action = count ? VR_ACTION_UPDATE : VR_ACTION_DELETE;
	vr_gpu_copy(&c->from.gpu, &l->gpu);
	c->to.gpu.name = name ? vr_strdup(name) : NULL;
	c->to.gpu.type = t;
	c->to.gpu.count = count;
	CHECK_INT(vr_backend_classify(b, l, c), 0);
}

static int
apply(struct vr_backend *b, const char *name, const struct vr_vm_live *l,
    struct vr_change *c, size_t n, bool may_restart)
{
	struct vr_vm_spec spec;
	struct vr_apply_request req;

	memset(&spec, 0, sizeof(spec));
	spec.name = (char *)name;
	memset(&req, 0, sizeof(req));
	req.spec = &spec;
	req.live = l;
	req.changes = c;
	req.nchanges = n;
	req.may_restart = may_restart;
	return vr_backend_apply(b, &req);
}

TEST(test_libvirt_default_observe_list_host)
{
	struct vr_backend *b = open_lv("test:///default");
	struct vr_vm_live l;
	struct vr_host h;
	char **names = NULL;
	size_t n = 0;

	if (!b)
		return;
	memset(&l, 0, sizeof(l));
	observe(b, "test", &l);
	CHECK_STR(l.name, "test");
	CHECK(l.running);
	CHECK_INT(l.cpu_count, 2);
	CHECK_INT(l.memory_mb, 2048); /* <currentMemory>, not <memory> */
	CHECK_INT(l.gpu.count, 0);
	CHECK_INT(vr_backend_list(b, &names, &n), 0);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_STR(names[0], "test");
	vr_strv_free(names, n);
	CHECK_INT(vr_backend_host(b, &h), 0);
	CHECK_INT(h.cpus, 16);
	CHECK_INT(h.memory_mb, 3072);
	/* the fixture host: two A2s and an Iris Xe, with IOMMU groups */
	CHECK(vr_host_find_gpu(&h, A2) != NULL);
	if (vr_host_find_gpu(&h, A2)) {
		CHECK_INT(vr_host_find_gpu(&h, A2)->count, 2);
		CHECK_INT(vr_host_find_gpu(&h, A2)->types,
		    VR_GPU_DDA | VR_GPU_PV);
	}
	CHECK(h.gpu_blocker == NULL);
	vr_host_clear(&h);
	vr_vm_live_clear(&l);
	CHECK_INT(vr_backend_observe(b, "nope", NULL, &l), VR_ENOTFOUND);
	CHECK_CONTAINS(vr_error_msg(), "no domain 'nope' on "
	    "libvirt:test:///default");
	vr_vm_live_clear(&l);
	vr_backend_free(b);
}

TEST(test_libvirt_open_refused_in_libvirts_words)
{
	struct vr_backend *b = NULL;

	CHECK(vr_backend_open(&b, "libvirt:nosuchdriver:///x", NULL) < 0);
	CHECK(b == NULL);
	CHECK_CONTAINS(vr_error_msg(), "cannot connect to libvirt at "
	    "nosuchdriver:///x: ");
	/* libvirt's own sentence follows */
	CHECK(strlen(vr_error_msg()) > strlen("cannot connect to libvirt at "
	    "nosuchdriver:///x: ") + 5);
}

TEST(test_libvirt_default_classify)
{
	struct vr_backend *b = open_lv("test:///default");
	struct vr_vm_live l;
	struct vr_change c;

	if (!b)
		return;
	memset(&l, 0, sizeof(l));
	observe(b, "test", &l);
	change(b, &l, &c, VR_FIELD_CPU_COUNT, 1);
	CHECK_INT(c.mode, VR_MODE_LIVE);
	vr_change_clear(&c);
	change(b, &l, &c, VR_FIELD_CPU_COUNT, 3);
	CHECK_INT(c.mode, VR_MODE_RESTART);
	CHECK_CONTAINS(c.reason, "<vcpu>2</vcpu>");
	vr_change_clear(&c);
	/* up to <memory> (8 GiB) the balloon gives it back live */
	change(b, &l, &c, VR_FIELD_MEMORY, 8192);
	CHECK_INT(c.mode, VR_MODE_LIVE);
	vr_change_clear(&c);
	change(b, &l, &c, VR_FIELD_MEMORY, 1024);
	CHECK_INT(c.mode, VR_MODE_LIVE);
	vr_change_clear(&c);
	change(b, &l, &c, VR_FIELD_MEMORY, 8320);
	CHECK_INT(c.mode, VR_MODE_RESTART);
	CHECK_CONTAINS(c.reason, "no <maxMemory slots=..>");
	vr_change_clear(&c);
	gpu_change(b, &l, &c, A2, VR_GPU_DDA, 1);
	CHECK_INT(c.mode, VR_MODE_RESTART);
	CHECK_CONTAINS(c.reason, "<hostdev>");
	vr_change_clear(&c);
	vr_vm_live_clear(&l);
	vr_backend_free(b);
}

/* Live changes, then a restart: the definition kept the live ones. */
TEST(test_libvirt_default_live_then_restart)
{
	struct vr_backend *b = open_lv("test:///default");
	struct vr_change c[2];
	struct vr_vm_live l;

	if (!b)
		return;
	memset(&l, 0, sizeof(l));
	observe(b, "test", &l);
	change(b, &l, &c[0], VR_FIELD_CPU_COUNT, 1);
	change(b, &l, &c[1], VR_FIELD_MEMORY, 1024);
	CHECK_INT(apply(b, "test", &l, c, 2, false), 0);
	CHECK(c[0].applied);
	CHECK(c[1].applied);
	vr_change_clear(&c[0]);
	vr_change_clear(&c[1]);
	observe(b, "test", &l);
	CHECK_INT(l.cpu_count, 1);
	CHECK_INT(l.memory_mb, 1024);

	/* a restart-mode change without leave to restart is refused */
	change(b, &l, &c[0], VR_FIELD_CPU_COUNT, 3);
	CHECK_INT(c[0].mode, VR_MODE_RESTART);
	CHECK_INT(apply(b, "test", &l, c, 1, false), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "may not restart 'test'");
	CHECK(!c[0].applied);
	observe(b, "test", &l);
	CHECK_INT(l.cpu_count, 1);

	/* with it: the definition grows to 3 vCPUs, one power cycle */
	CHECK_INT(apply(b, "test", &l, c, 1, true), 0);
	CHECK(c[0].applied);
	vr_change_clear(&c[0]);
	observe(b, "test", &l);
	CHECK(l.running);
	CHECK_INT(l.cpu_count, 3);
	/* the live memory change was written to the definition too */
	CHECK_INT(l.memory_mb, 1024);
	/* and now 3 is the maximum: 2 is live again */
	change(b, &l, &c[0], VR_FIELD_CPU_COUNT, 2);
	CHECK_INT(c[0].mode, VR_MODE_LIVE);
	vr_change_clear(&c[0]);
	vr_vm_live_clear(&l);
	vr_backend_free(b);
}

TEST(test_libvirt_node_observe_classify)
{
	struct vr_backend *b = open_node();
	struct vr_vm_live l;
	struct vr_change c;

	if (!b)
		return;
	memset(&l, 0, sizeof(l));
	observe(b, "edge", &l);
	CHECK_INT(l.cpu_count, 1);
	CHECK_INT(l.memory_mb, 512);
	/* the A2 by its address; 00:1f.3 is no GPU of the host */
	CHECK_INT(l.gpu.count, 1);
	CHECK_INT(l.gpu.type, VR_GPU_DDA);
	CHECK_STR(l.gpu.name, A2);
	change(b, &l, &c, VR_FIELD_CPU_COUNT, 4);
	CHECK_INT(c.mode, VR_MODE_LIVE);
	vr_change_clear(&c);
	/* DIMMs: 128 MB steps, up to <maxMemory> */
	change(b, &l, &c, VR_FIELD_MEMORY, 768);
	CHECK_INT(c.mode, VR_MODE_LIVE);
	vr_change_clear(&c);
	change(b, &l, &c, VR_FIELD_MEMORY, 700);
	CHECK_INT(c.mode, VR_MODE_RESTART);
	CHECK_CONTAINS(c.reason, "steps of 128 MB");
	vr_change_clear(&c);
	change(b, &l, &c, VR_FIELD_MEMORY, 4096);
	CHECK_INT(c.mode, VR_MODE_RESTART);
	CHECK_CONTAINS(c.reason, "beyond <maxMemory> (2048 MB)");
	vr_change_clear(&c);
	/* no balloon (model none) and no DIMM to take out */
	change(b, &l, &c, VR_FIELD_MEMORY, 256);
	CHECK_INT(c.mode, VR_MODE_RESTART);
	CHECK_CONTAINS(c.reason, "no memory balloon");
	vr_change_clear(&c);
	vr_vm_live_clear(&l);
	vr_backend_free(b);
}

/* The test driver cannot hot-plug a DIMM: its refusal, in libvirt's words,
 * after the vCPU change that came before it was applied. */
TEST(test_libvirt_node_refusal_in_libvirts_words)
{
	struct vr_backend *b = open_node();
	struct vr_change c[2];
	struct vr_vm_live l;

	if (!b)
		return;
	memset(&l, 0, sizeof(l));
	observe(b, "edge", &l);
	change(b, &l, &c[0], VR_FIELD_CPU_COUNT, 2);
	change(b, &l, &c[1], VR_FIELD_MEMORY, 768);
	CHECK_INT(c[1].mode, VR_MODE_LIVE);
	CHECK_INT(apply(b, "edge", &l, c, 2, false), VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "virDomainAttachDeviceFlags of a 256 "
	    "MB DIMM: this function is not supported by the connection "
	    "driver: virDomainAttachDeviceFlags");
	/* memory goes first (adds before vCPUs): nothing was applied */
	CHECK(!c[1].applied);
	CHECK(!c[0].applied);
	vr_change_clear(&c[0]);
	vr_change_clear(&c[1]);
	observe(b, "edge", &l);
	CHECK_INT(l.memory_mb, 512);
	CHECK_INT(l.cpu_count, 1);
	vr_vm_live_clear(&l);
	vr_backend_free(b);
}

/* Restart-mode changes edit the persistent XML: memory past <maxMemory>
 * (the NUMA cell and <maxMemory> follow, keeping its headroom), vCPUs past
 * <vcpu> (the topology follows), GPUs by host address. */
TEST(test_libvirt_node_restart_edits)
{
	struct vr_backend *b = open_node();
	struct vr_change c[3];
	struct vr_vm_live l;

	if (!b)
		return;
	memset(&l, 0, sizeof(l));
	observe(b, "edge", &l);
	change(b, &l, &c[0], VR_FIELD_MEMORY, 4096);
	change(b, &l, &c[1], VR_FIELD_CPU_COUNT, 6);
	gpu_change(b, &l, &c[2], A2, VR_GPU_DDA, 2);
	CHECK_INT(c[0].mode, VR_MODE_RESTART);
	CHECK_INT(c[1].mode, VR_MODE_RESTART);
	CHECK_INT(c[2].mode, VR_MODE_RESTART);
	CHECK_INT(apply(b, "edge", &l, c, 3, true), 0);
	CHECK(c[0].applied && c[1].applied && c[2].applied);
	vr_change_clear(&c[0]);
	vr_change_clear(&c[1]);
	vr_change_clear(&c[2]);
	observe(b, "edge", &l);
	CHECK(l.running);
	CHECK_INT(l.memory_mb, 4096);
	CHECK_INT(l.cpu_count, 6);
	CHECK_INT(l.gpu.count, 2);
	CHECK_STR(l.gpu.name, A2);
	/* <maxMemory> kept its 1536 MB of headroom: DIMMs are live again */
	change(b, &l, &c[0], VR_FIELD_MEMORY, 4096 + 1536);
	CHECK_INT(c[0].mode, VR_MODE_LIVE);
	vr_change_clear(&c[0]);
	change(b, &l, &c[0], VR_FIELD_MEMORY, 4096 + 1664);
	CHECK_INT(c[0].mode, VR_MODE_RESTART);
	vr_change_clear(&c[0]);

	/* one A2 fewer: the higher address goes */
	gpu_change(b, &l, &c[0], A2, VR_GPU_DDA, 1);
	CHECK_INT(apply(b, "edge", &l, c, 1, true), 0);
	vr_change_clear(&c[0]);
	observe(b, "edge", &l);
	CHECK_INT(l.gpu.count, 1);
	/* ParaVirtualization: a virtio <video>, the A2 leaves */
	gpu_change(b, &l, &c[0], A2, VR_GPU_PV, 1);
	CHECK_CONTAINS(c[0].reason, "virtio GPU");
	CHECK_INT(apply(b, "edge", &l, c, 1, true), 0);
	vr_change_clear(&c[0]);
	observe(b, "edge", &l);
	CHECK_INT(l.gpu.count, 1);
	CHECK_INT(l.gpu.type, VR_GPU_PV);
	CHECK_STR(l.gpu.name, "virtio-gpu");
	/* gpu: none */
	gpu_change(b, &l, &c[0], NULL, VR_GPU_TYPE_NONE, 0);
	CHECK_INT(apply(b, "edge", &l, c, 1, true), 0);
	vr_change_clear(&c[0]);
	observe(b, "edge", &l);
	CHECK_INT(l.gpu.count, 0);
	CHECK_INT(l.memory_mb, 4096);
	CHECK_INT(l.cpu_count, 6);
	vr_vm_live_clear(&l);
	vr_backend_free(b);
}

/* A domain that is not running only has its definition changed: every
 * change is "live" (no restart), none starts it. */
TEST(test_libvirt_node_shut_off)
{
	struct vr_backend *b = open_node();
	struct vr_change c[3];
	struct vr_vm_live l;
	char **names = NULL;
	size_t n = 0;

	if (!b)
		return;
	CHECK_INT(vr_backend_list(b, &names, &n), 0);
	CHECK_INT(n, 2);
	vr_strv_free(names, n);
	memset(&l, 0, sizeof(l));
	observe(b, "cold", &l);
	CHECK(!l.running);
	CHECK_INT(l.cpu_count, 2);
	CHECK_INT(l.memory_mb, 1024);
	change(b, &l, &c[0], VR_FIELD_CPU_COUNT, 8);
	change(b, &l, &c[1], VR_FIELD_MEMORY, 3072);
	gpu_change(b, &l, &c[2], A2, VR_GPU_DDA, 1);
	CHECK_INT(c[0].mode, VR_MODE_LIVE);
	CHECK_INT(c[1].mode, VR_MODE_LIVE);
	CHECK_INT(c[2].mode, VR_MODE_LIVE);
	CHECK_INT(apply(b, "cold", &l, c, 3, false), 0);
	CHECK(c[0].applied && c[1].applied && c[2].applied);
	vr_change_clear(&c[0]);
	vr_change_clear(&c[1]);
	vr_change_clear(&c[2]);
	observe(b, "cold", &l);
	CHECK(!l.running);
	CHECK_INT(l.cpu_count, 8);
	CHECK_INT(l.memory_mb, 3072);
	CHECK_INT(l.gpu.count, 1);
	CHECK_STR(l.gpu.name, A2);
	vr_vm_live_clear(&l);
	vr_backend_free(b);
}

/* More GPUs than the host has: refused before anything is defined. */
TEST(test_libvirt_node_gpu_short)
{
	struct vr_backend *b = open_node();
	struct vr_change c;
	struct vr_vm_live l;

	if (!b)
		return;
	memset(&l, 0, sizeof(l));
	observe(b, "edge", &l);
	gpu_change(b, &l, &c, A2, VR_GPU_DDA, 3);
	CHECK_INT(apply(b, "edge", &l, &c, 1, true), VR_ENOTFOUND);
	CHECK_CONTAINS(vr_error_msg(), "the host has 2 '" A2 "' to give, "
	    "not 3");
	CHECK(!c.applied);
	vr_change_clear(&c);
	observe(b, "edge", &l);
	CHECK_INT(l.gpu.count, 1);
	vr_vm_live_clear(&l);
	vr_backend_free(b);
}

/* Its fields are what its classify and apply do, asked directly (the
 * driver of the module vr_backend_open loads for libvirt:). */
TEST(test_libvirt_fields_are_what_it_classifies_and_applies)
{
	struct vr_backend_options o = VR_BACKEND_OPTIONS_INIT;
	const struct vr_driver *drv = vr_module_load("libvirt");

	if (!unit_check(drv != NULL, __FILE__, __LINE__, "load: %s",
	    vr_error_msg()))
		return;
	o.sysfs_root = SYSFS;
	drvcheck_fields(drv, "test:///default", &o, "test");
}
#endif
