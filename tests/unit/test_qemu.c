/*
 * test_qemu.c - the qemu driver against a scripted QMP peer on a real unix
 * socket: what it observes, how it classifies (with the reasons and QEMU
 * options it names), that apply refuses restart-mode changes without
 * sending anything, and that odd or hostile query results are errors or
 * are ignored, never crashes.  The real-VM tests are in t0500-qemu.sh.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "../../backends/backend.h"
#include "../../schema/util/error.h"
#include "unit.h"

extern const struct vr_driver vr_qemu_driver;

#define A2 "NVIDIA Corporation GA107GL [A2 / A16]"

/* The peer answers "cmd" (or "qom-get PROPERTY") from a table; anything
 * else is a CommandNotFound error.  It logs every command it received. */
struct fake {
	const char *keys[24];
	const char *replies[24];
	char log[4096];
	int listen_fd;
	pthread_t th;
};

static const char *
fake_reply(const struct fake *f, const char *key)
{
	size_t i;

	for (i = 0; i < 24 && f->keys[i]; i++)
		if (strcmp(f->keys[i], key) == 0)
			return f->replies[i];
	return NULL;
}

static void
put(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void *
fake_main(void *arg)
{
	struct fake *f = arg;
	int fd = accept(f->listen_fd, NULL, NULL);
	char line[8192];
	size_t n = 0;

	put(fd, "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\n");
	while (read(fd, line + n, 1) == 1) {
		json_t *req, *args;
		const char *cmd, *r, *prop;
		char key[256], out[16384];
		long long id;

		if (line[n] != '\n' && n + 2 < sizeof(line)) {
			n++;
			continue;
		}
		line[n] = '\0';
		n = 0;
		req = json_loads(line, 0, NULL);
		cmd = json_string_value(json_object_get(req, "execute"));
		args = json_object_get(req, "arguments");
		id = json_integer_value(json_object_get(req, "id"));
		prop = json_string_value(json_object_get(args, "property"));
		if (cmd && strcmp(cmd, "qom-get") == 0)
			snprintf(key, sizeof(key), "qom-get %s",
			    prop ? prop : "?");
		else
			snprintf(key, sizeof(key), "%s", cmd ? cmd : "?");
		snprintf(f->log + strlen(f->log), sizeof(f->log) -
		    strlen(f->log), "%s;", key);
		r = strcmp(key, "qmp_capabilities") == 0 ? "{}" :
		    fake_reply(f, key);
		if (r)
			snprintf(out, sizeof(out), "{\"return\": %s, \"id\": "
			    "%lld}\n", r, id);
		else
			snprintf(out, sizeof(out), "{\"error\": {\"class\": "
			    "\"CommandNotFound\", \"desc\": \"The command %s "
			    "has not been found\"}, \"id\": %lld}\n", key, id);
		put(fd, out);
		json_decref(req);
	}
	close(fd);
	return NULL;
}

/* A VM: 1 boot vCPU + 1 hot-plugged of 4, 1 GiB + a 256 MiB DIMM of 4
 * slots up to 4 GiB, a vfio-pci A2 at 01:00.0 on rp1, rp2 free. */
static void
fake_vm(struct fake *f)
{
	static const char *k[] = { "query-name", "query-status",
	    "query-cpus-fast", "query-hotpluggable-cpus", "qom-get memory",
	    "query-memory-size-summary", "query-memory-devices", "qom-list",
	    "qom-get host", "query-pci", NULL };
	static const char *r[] = {
	    "{\"name\": \"edge-01\"}",
	    "{\"running\": true, \"status\": \"running\"}",
	    "[{\"qom-path\": \"/machine/unattached/device[0]\"}, "
	    "{\"qom-path\": \"/machine/peripheral/vrcpu-1\"}]",
	    "[{\"type\": \"max-x86_64-cpu\", \"vcpus-count\": 1, \"props\": "
	    "{\"socket-id\": 0, \"core-id\": 3}},"
	    "{\"type\": \"max-x86_64-cpu\", \"vcpus-count\": 1, \"props\": "
	    "{\"socket-id\": 0, \"core-id\": 2}},"
	    "{\"type\": \"max-x86_64-cpu\", \"vcpus-count\": 1, \"props\": "
	    "{\"socket-id\": 0, \"core-id\": 1}, \"qom-path\": "
	    "\"/machine/peripheral/vrcpu-1\"},"
	    "{\"type\": \"max-x86_64-cpu\", \"vcpus-count\": 1, \"props\": "
	    "{\"socket-id\": 0, \"core-id\": 0}, \"qom-path\": "
	    "\"/machine/unattached/device[0]\"}]",
	    "{\"size\": 1073741824, \"slots\": 4, \"max-size\": 4294967296}",
	    "{\"base-memory\": 1073741824, \"plugged-memory\": 268435456}",
	    "[{\"type\": \"dimm\", \"data\": {\"id\": \"vrdimm-0\", \"memdev\": "
	    "\"/objects/vrmem-0\", \"size\": 268435456, \"hotpluggable\": "
	    "true, \"slot\": 0}}]",
	    "[{\"name\": \"type\", \"type\": \"string\"}, {\"name\": \"rp1\", "
	    "\"type\": \"child<pcie-root-port>\"}, {\"name\": \"rp2\", "
	    "\"type\": \"child<pcie-root-port>\"}, {\"name\": \"gpu0\", "
	    "\"type\": \"child<vfio-pci>\"}, {\"name\": \"odd\", \"type\": "
	    "\"child<\"}, {\"name\": \"odd2\", \"type\": \"child<>\"}]",
	    "\"0000:01:00.0\"",
	    "[{\"bus\": 0, \"devices\": [{\"qdev_id\": \"rp1\", \"class_info\": "
	    "{\"class\": 1540}, \"pci_bridge\": {\"devices\": [{\"qdev_id\": "
	    "\"gpu0\", \"class_info\": {\"class\": 770}}]}}, {\"qdev_id\": "
	    "\"rp2\", \"class_info\": {\"class\": 1540}, \"pci_bridge\": "
	    "{\"devices\": []}}]}]",
	    NULL };
	size_t i;

	for (i = 0; k[i]; i++) {
		f->keys[i] = k[i];
		f->replies[i] = r[i];
	}
}

static void
set_reply(struct fake *f, const char *key, const char *reply)
{
	size_t i;

	for (i = 0; i < 23 && f->keys[i]; i++)
		if (strcmp(f->keys[i], key) == 0)
			break;
	f->keys[i] = key;
	f->replies[i] = reply;
}

static void *
fake_open(struct fake *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vr_backend_options o = VR_BACKEND_OPTIONS_INIT;
	void *conn = NULL;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/fake-qmp.sock",
	    unit_tmpdir());
	unlink(sa.sun_path);
	f->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(f->listen_fd, 1) < 0)
		abort();
	pthread_create(&f->th, NULL, fake_main, f);
	o.sysfs_root = "tests/fixtures/sysfs-a2";
	o.timeout_ms = 2000;
	if (vr_qemu_driver.open(&conn, sa.sun_path, &o) < 0) {
		unit_check(false, __FILE__, __LINE__, "open: %s",
		    vr_error_msg());
		pthread_join(f->th, NULL);
		close(f->listen_fd);
		return NULL;
	}
	return conn;
}

static void
fake_close(struct fake *f, void *conn)
{
	vr_qemu_driver.close(conn);
	pthread_join(f->th, NULL);
	close(f->listen_fd);
}

static int
classify(void *conn, const struct vr_vm_live *live, struct vr_change *c,
    enum vr_field field, int64_t to)
{
	free(c->reason); /* the caller zeroed c once */
	memset(c, 0, sizeof(*c));
	c->field = field;
	c->action = VR_ACTION_UPDATE;
	c->to.i = to;
	return vr_qemu_driver.classify(conn, live, c);
}

TEST(test_qemu_observe)
{
	struct fake f = { 0 };
	struct vr_vm_live live;
	struct vr_host host = { 0 };
	void *conn;

	fake_vm(&f);
	conn = fake_open(&f);
	if (!conn)
		return;
	memset(&live, 0, sizeof(live));
	CHECK_INT(vr_qemu_driver.observe(conn, "edge-01", NULL, &live), 0);
	CHECK_STR(live.name, "edge-01");
	CHECK(live.running);
	CHECK_INT(live.cpu_count, 2);
	CHECK_INT(live.memory_mb, 1280);
	CHECK_INT(live.gpu.count, 1);
	CHECK_INT(live.gpu.type, VR_GPU_DDA);
	CHECK_STR(live.gpu.name, A2);
	vr_vm_live_clear(&live);
	CHECK_INT(vr_qemu_driver.host(conn, &host), 0);
	CHECK(host.cpus > 0);
	CHECK(host.memory_mb > 0);
	CHECK(vr_host_find_gpu(&host, A2) != NULL);
	CHECK(host.gpu_blocker == NULL); /* the fixture has IOMMU groups */
	vr_host_clear(&host);
	CHECK_INT(vr_qemu_driver.observe(conn, "edge-99", NULL, &live),
	    VR_ENOTFOUND);
	CHECK_CONTAINS(vr_error_msg(), "no VM 'edge-99'");
	CHECK_CONTAINS(vr_error_msg(), "'edge-01'");
	vr_vm_live_clear(&live);
	fake_close(&f, conn);
}

TEST(test_qemu_classify)
{
	struct fake f = { 0 };
	struct vr_vm_live live;
	struct vr_change c;
	void *conn;

	fake_vm(&f);
	conn = fake_open(&f);
	if (!conn)
		return;
	memset(&live, 0, sizeof(live));
	memset(&c, 0, sizeof(c));
	CHECK_INT(classify(conn, &live, &c, VR_FIELD_CPU_COUNT, 3),
	    VR_EINVALID); /* before any observe */
	CHECK_INT(vr_qemu_driver.observe(conn, "edge-01", NULL, &live), 0);

	CHECK_INT(classify(conn, &live, &c, VR_FIELD_CPU_COUNT, 4), 0);
	CHECK_INT(c.mode, VR_MODE_LIVE);
	CHECK_INT(classify(conn, &live, &c, VR_FIELD_CPU_COUNT, 6), 0);
	CHECK_INT(c.mode, VR_MODE_RESTART);
	CHECK_CONTAINS(c.reason, "needs maxcpus >= 6; the VM was started "
	    "with 4");
	CHECK_CONTAINS(c.reason, "-smp 1,maxcpus=6");
	CHECK_INT(classify(conn, &live, &c, VR_FIELD_CPU_COUNT, 1), 0);
	CHECK_INT(c.mode, VR_MODE_LIVE); /* the hot-plugged one can go */

	CHECK_INT(classify(conn, &live, &c, VR_FIELD_MEMORY, 2048), 0);
	CHECK_INT(c.mode, VR_MODE_LIVE);
	CHECK(c.reason == NULL);
	CHECK_INT(classify(conn, &live, &c, VR_FIELD_MEMORY, 1024), 0);
	CHECK_INT(c.mode, VR_MODE_LIVE); /* the 256 MB DIMM goes */
	CHECK_INT(classify(conn, &live, &c, VR_FIELD_MEMORY, 1152), 0);
	CHECK_INT(c.mode, VR_MODE_RESTART); /* no DIMM of 128 MB */
	CHECK_CONTAINS(c.reason, "no set of hot-plugged DIMMs");
	CHECK_INT(classify(conn, &live, &c, VR_FIELD_MEMORY, 512), 0);
	CHECK_INT(c.mode, VR_MODE_RESTART);
	CHECK_CONTAINS(c.reason, "boot RAM (1024 MB) cannot shrink");
	CHECK_INT(classify(conn, &live, &c, VR_FIELD_MEMORY, 8192), 0);
	CHECK_INT(c.mode, VR_MODE_RESTART);
	CHECK_CONTAINS(c.reason, "maxmem=8192M");
	CHECK_INT(classify(conn, &live, &c, VR_FIELD_MEMORY, 1300), 0);
	CHECK_INT(c.mode, VR_MODE_RESTART);
	CHECK_CONTAINS(c.reason, "steps of 128 MB");

	/* GPU: one more A2 (02:00.0) fits rp2; a virtio GPU never live */
	free(c.reason);
	memset(&c, 0, sizeof(c));
	c.field = VR_FIELD_GPU;
	c.action = VR_ACTION_UPDATE;
	c.to.gpu.name = (char *)A2;
	c.to.gpu.type = VR_GPU_DDA;
	c.to.gpu.count = 2;
	CHECK_INT(vr_qemu_driver.classify(conn, &live, &c), 0);
	CHECK_INT(c.mode, VR_MODE_LIVE);
	c.to.gpu.type = VR_GPU_PV;
	c.to.gpu.count = 1;
	CHECK_INT(vr_qemu_driver.classify(conn, &live, &c), 0);
	CHECK_INT(c.mode, VR_MODE_RESTART);
	CHECK_CONTAINS(c.reason, "virtio-gpu-pci");
	c.to.gpu.name = NULL;
	free(c.reason);
	vr_vm_live_clear(&live);
	fake_close(&f, conn);
}

TEST(test_qemu_apply_refuses_restart_changes)
{
	struct fake f = { 0 };
	struct vr_vm_spec spec = { .name = (char *)"edge-01" };
	struct vr_apply_request req = { 0 };
	struct vr_vm_live live;
	struct vr_change c = { 0 };
	void *conn;

	fake_vm(&f);
	conn = fake_open(&f);
	if (!conn)
		return;
	memset(&live, 0, sizeof(live));
	CHECK_INT(vr_qemu_driver.observe(conn, "edge-01", NULL, &live), 0);
	CHECK_INT(classify(conn, &live, &c, VR_FIELD_MEMORY, 8192), 0);
	req.spec = &spec;
	req.live = &live;
	req.changes = &c;
	req.nchanges = 1;
	req.may_restart = true;
	CHECK_INT(vr_qemu_driver.apply(conn, &req), VR_EUNSUPPORTED);
	CHECK_CONTAINS(vr_error_msg(), "QEMU's command line");
	CHECK_CONTAINS(vr_error_msg(), "maxmem=8192M");
	CHECK(!c.applied);
	vr_change_clear(&c);
	vr_vm_live_clear(&live);
	fake_close(&f, conn);
	CHECK(strstr(f.log, "device_add") == NULL);
	CHECK(strstr(f.log, "object-add") == NULL);
}

TEST(test_qemu_hostile_query_results)
{
	static const char *bad[][2] = {
		{ "query-cpus-fast", "{\"not\": \"a list\"}" },
		{ "query-hotpluggable-cpus", "\"nope\"" },
		{ "query-name", "[]" },
		{ "qom-get memory", "null" },
		{ "query-memory-devices", "42" },
		{ "qom-list", "{\"a\": 1}" },
		{ "qom-get host", "[1, 2]" },
		{ "query-pci", "[{\"devices\": [{\"pci_bridge\": 7}]}, 3]" },
		{ "query-status", "\"x\"" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fake f = { 0 };
		struct vr_vm_live live;
		void *conn;
		int rc;

		fake_vm(&f);
		set_reply(&f, bad[i][0], bad[i][1]);
		conn = fake_open(&f);
		if (!conn)
			return;
		memset(&live, 0, sizeof(live));
		/* an error or a VM with fewer facts; never a crash */
		rc = vr_qemu_driver.observe(conn, NULL, NULL, &live);
		CHECK(rc == 0 || rc == VR_EBACKEND || rc == VR_ENOTFOUND);
		vr_vm_live_clear(&live);
		fake_close(&f, conn);
	}
}

TEST(test_qemu_missing_command_is_qemus_error)
{
	struct fake f = { 0 };
	struct vr_vm_live live;
	void *conn;

	fake_vm(&f);
	set_reply(&f, "query-hotpluggable-cpus", NULL);
	conn = fake_open(&f);
	if (!conn)
		return;
	memset(&live, 0, sizeof(live));
	CHECK_INT(vr_qemu_driver.observe(conn, "edge-01", NULL, &live),
	    VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "query-hotpluggable-cpus: The command "
	    "query-hotpluggable-cpus has not been found");
	vr_vm_live_clear(&live);
	fake_close(&f, conn);
}

TEST(test_qemu_open_needs_a_socket)
{
	struct vr_backend_options o = VR_BACKEND_OPTIONS_INIT;
	void *conn = NULL;

	CHECK_INT(vr_qemu_driver.open(&conn, "", &o), VR_EINVALID);
	CHECK_CONTAINS(vr_error_msg(), "--backend qemu:PATH");
	CHECK_INT(vr_qemu_driver.open(&conn, "/nonexistent/qmp.sock", &o),
	    VR_ENOTFOUND);
	CHECK(conn == NULL);
}

TEST(test_qemu_no_hotplug_after_vcpu_unplug_on_72_tcg)
{
	struct fake f = { 0 };
	struct vr_vm_live live;
	struct vr_change c = { 0 };
	void *conn;

	fake_vm(&f);
	set_reply(&f, "query-version", "{\"qemu\": {\"major\": 7, "
	    "\"minor\": 2, \"micro\": 22}}");
	set_reply(&f, "query-kvm", "{\"enabled\": false, \"present\": true}");
	set_reply(&f, "query-acpi-ospm-status", "[{\"source\": 0, \"status\": "
	    "0, \"slot\": \"0\", \"slot-type\": \"CPU\"}, {\"source\": 3, "
	    "\"status\": 0, \"slot\": \"1\", \"slot-type\": \"CPU\"}]");
	conn = fake_open(&f);
	if (!conn)
		return;
	memset(&live, 0, sizeof(live));
	CHECK_INT(vr_qemu_driver.observe(conn, "edge-01", NULL, &live), 0);
	CHECK_INT(classify(conn, &live, &c, VR_FIELD_MEMORY, 2048), 0);
	CHECK_INT(c.mode, VR_MODE_RESTART);
	CHECK_CONTAINS(c.reason, "once a vCPU was unplugged");
	CHECK_INT(classify(conn, &live, &c, VR_FIELD_CPU_COUNT, 3), 0);
	CHECK_INT(c.mode, VR_MODE_RESTART);
	/* removals stay live */
	CHECK_INT(classify(conn, &live, &c, VR_FIELD_MEMORY, 1024), 0);
	CHECK_INT(c.mode, VR_MODE_LIVE);
	CHECK_INT(classify(conn, &live, &c, VR_FIELD_CPU_COUNT, 1), 0);
	CHECK_INT(c.mode, VR_MODE_LIVE);
	vr_change_clear(&c);
	vr_vm_live_clear(&live);
	fake_close(&f, conn);
}
