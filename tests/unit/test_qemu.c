/*
 * test_qemu.c - the qemu driver against a scripted QMP peer on a real unix
 * socket: what it observes, how it classifies (with the reasons and QEMU
 * options it names), that apply refuses restart-mode changes without
 * sending anything, and that odd or hostile query results are errors or
 * are ignored, never crashes.  A reply or event member that decides
 * anything and is not of QEMU's shape (type, range, length, a control
 * character) is an error naming the command and the member, before apply
 * sends anything; members QEMU may add are still allowed.  The real-VM
 * tests are in t0500-qemu.sh.
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
#include "../../reconciler/engine/reconcile.h"
#include "../../schema/load.h"
#include "../../schema/util/error.h"
#include "drvcheck.h"
#include "unit.h"

extern const struct vr_driver vr_qemu_driver;

#define A2 "NVIDIA Corporation GA107GL [A2 / A16]"

/* The peer answers "cmd" (or "qom-get PROPERTY") from a table; anything
 * else is a CommandNotFound error.  A key "KEY@N" answers the Nth KEY only
 * (the first is 1); "after KEY" is an event line it sends after each
 * reply to KEY.  It logs every command it received. */
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

/* How many times the log holds `key`. */
static int
fake_calls(const struct fake *f, const char *key)
{
	const char *p = f->log;
	size_t n = strlen(key);
	int calls = 0;

	while (*p) {
		if (strncmp(p, key, n) == 0 && p[n] == ';')
			calls++;
		if (!strchr(p, ';'))
			break;
		p = strchr(p, ';') + 1;
	}
	return calls;
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
		const char *cmd, *r, *prop, *ev;
		char key[256], nth[300], *out;
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
		snprintf(nth, sizeof(nth), "%s@%d", key, fake_calls(f, key));
		r = fake_reply(f, nth);
		if (!r)
			r = fake_reply(f, key);
		if (strcmp(key, "qmp_capabilities") == 0)
			r = "{}";
		if (r)
			out = vr_asprintf("{\"return\": %s, \"id\": %lld}\n",
			    r, id);
		else
			out = vr_asprintf("{\"error\": {\"class\": "
			    "\"CommandNotFound\", \"desc\": \"The command %s "
			    "has not been found\"}, \"id\": %lld}\n", key, id);
		put(fd, out);
		free(out);
		snprintf(nth, sizeof(nth), "after %s", key);
		ev = fake_reply(f, nth);
		if (ev) {
			put(fd, ev);
			put(fd, "\n");
		}
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

/* Start the peer on a socket in the test's directory, whose path goes to
 * path[] (of sizeof(sun_path)). */
static void
fake_listen(struct fake *f, char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/fake-qmp.sock",
	    unit_tmpdir());
	unlink(sa.sun_path);
	f->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(f->listen_fd, 1) < 0)
		abort();
	pthread_create(&f->th, NULL, fake_main, f);
	memcpy(path, sa.sun_path, sizeof(sa.sun_path));
}

static void *
fake_open(struct fake *f)
{
	struct vr_backend_options o = VR_BACKEND_OPTIONS_INIT;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	void *conn = NULL;

	fake_listen(f, path);
	o.sysfs_root = "tests/fixtures/sysfs-a2";
	o.timeout_ms = 2000;
	if (vr_qemu_driver.open(&conn, path, &o) < 0) {
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

/* Its fields are what its classify and apply do, asked directly: a
 * change of another field is refused before any command is sent. */
TEST(test_qemu_fields_are_what_it_classifies_and_applies)
{
	struct vr_backend_options o = VR_BACKEND_OPTIONS_INIT;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct fake f = { 0 };

	fake_vm(&f);
	fake_listen(&f, path);
	o.sysfs_root = "tests/fixtures/sysfs-a2";
	o.timeout_ms = 2000;
	drvcheck_fields(&vr_qemu_driver, path, &o, "edge-01");
	pthread_join(f.th, NULL);
	close(f.listen_fd);
	CHECK_INT(fake_calls(&f, "device_add"), 0);
	CHECK_INT(fake_calls(&f, "device_del"), 0);
	CHECK_INT(fake_calls(&f, "object-add"), 0);
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

/* Observe the fake VM once, then apply one change of `field` to `to`,
 * which classify must give `mode`: apply's result, and in *applied (may
 * be NULL) whether it took the change as done.  The fake accepts every
 * device_add, device_del, object-add and object-del. */
static int
apply_change(struct fake *f, enum vr_field field, int64_t to,
    enum vr_mode mode, bool *applied)
{
	struct vr_vm_spec spec = { .name = (char *)"edge-01" };
	struct vr_apply_request req = { 0 };
	struct vr_vm_live live;
	struct vr_change c = { 0 };
	void *conn;
	int rc;

	set_reply(f, "device_add", "{}");
	set_reply(f, "device_del", "{}");
	set_reply(f, "object-add", "{}");
	set_reply(f, "object-del", "{}");
	conn = fake_open(f);
	if (!conn)
		return 1;
	memset(&live, 0, sizeof(live));
	CHECK_INT(vr_qemu_driver.observe(conn, "edge-01", NULL, &live), 0);
	CHECK_INT(classify(conn, &live, &c, field, to), 0);
	CHECK_INT(c.mode, mode);
	req.spec = &spec;
	req.live = &live;
	req.changes = &c;
	req.nchanges = 1;
	req.may_restart = mode == VR_MODE_RESTART;
	rc = vr_qemu_driver.apply(conn, &req);
	if (applied)
		*applied = c.applied;
	vr_change_clear(&c);
	vr_vm_live_clear(&live);
	fake_close(f, conn);
	return rc;
}

TEST(test_qemu_apply_refuses_restart_changes)
{
	struct fake f = { 0 };
	bool applied = true;

	fake_vm(&f);
	CHECK_INT(apply_change(&f, VR_FIELD_MEMORY, 8192, VR_MODE_RESTART,
	    &applied), VR_EUNSUPPORTED);
	CHECK_CONTAINS(vr_error_msg(), "QEMU's command line");
	CHECK_CONTAINS(vr_error_msg(), "maxmem=8192M");
	CHECK(!applied);
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

/* "[E, E, ...]": n copies of `elem`; the caller frees. */
static char *
json_copies(const char *elem, size_t n)
{
	size_t len = strlen(elem), i;
	char *s = malloc(n * (len + 2) + 3), *p = s;

	*p++ = '[';
	for (i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		memcpy(p, elem, len);
		p += len;
	}
	*p++ = ']';
	*p = '\0';
	return s;
}

#define CPU_SLOT(extra) "[{\"type\": \"max-x86_64-cpu\", \"vcpus-count\": 1, " \
	"\"qom-path\": \"/machine/unattached/device[0]\", " extra "}]"
#define DIMM(data) "[{\"type\": \"dimm\", \"data\": {\"slot\": 0, " data "}}]"
#define DIMM_OK_ID "\"id\": \"vrdimm-0\", \"hotpluggable\": true"
#define BRIDGE(dev) "[{\"bus\": 0, \"devices\": [" dev "]}]"

/* Observe with `reply` to `key` (and QEMU 7.2 without KVM, whose ACPI
 * trace is then read, with `tcg72`): it must fail naming the socket and
 * then `msg`, and fill in nothing. */
static void
expect_refused(const char *key, const char *reply, const char *msg,
    bool tcg72)
{
	struct fake f = { 0 };
	struct vr_vm_live live;
	char want[1200];
	void *conn;
	int rc;

	fake_vm(&f);
	if (tcg72) {
		set_reply(&f, "query-version", "{\"qemu\": {\"major\": 7, "
		    "\"minor\": 2, \"micro\": 0}}");
		set_reply(&f, "query-kvm", "{\"enabled\": false}");
		set_reply(&f, "query-acpi-ospm-status", "[]");
	}
	set_reply(&f, key, reply);
	conn = fake_open(&f);
	if (!conn)
		return;
	memset(&live, 0, sizeof(live));
	snprintf(want, sizeof(want), "qemu:%s/fake-qmp.sock: %s",
	    unit_tmpdir(), msg);
	rc = vr_qemu_driver.observe(conn, "edge-01", NULL, &live);
	unit_check(rc == VR_EBACKEND && strstr(vr_error_msg(), want) &&
	    live.name == NULL, __FILE__, __LINE__, "%s %.60s: rc %d, \"%s\" "
	    "contains \"%s\"", key, reply, rc, vr_error_msg(), want);
	vr_vm_live_clear(&live);
	fake_close(&f, conn);
}

/* Each reply that is not what QEMU sends (wrong type, out of range, too
 * long, a control character) in a member that decides anything: observe
 * fails naming the socket, the command and the member's path, and fills
 * in nothing. */
TEST(test_qemu_malformed_replies_are_refused)
{
	static const struct {
		const char *key, *reply, *msg;
		bool tcg72; /* QEMU 7.2 without KVM: the ACPI trace is read */
	} bad[] = {
		{ "query-name", "{\"name\": \"edge\\u001b01\"}",
		    "query-name: name: contains a control character", 0 },
		{ "query-name", "{\"name\": \"e234567890123456789012345678901"
		    "2345678901234567890123456789012345\"}", /* 65 */
		    "query-name: name: expected 1 to 64 characters", 0 },
		{ "query-name", "{\"name\": 5}",
		    "query-name: name: expected a string", 0 },
		{ "query-status", "{\"running\": \"yes\"}",
		    "query-status: running: expected true or false", 0 },
		{ "query-status", "{\"status\": \"running\"}",
		    "query-status: missing key 'running'", 0 },
		{ "query-cpus-fast", "[]", "query-cpus-fast: expected an "
		    "array of 1 to 1024 elements", 0 },
		{ "query-cpus-fast", "[{\"qom-path\": 7}]",
		    "query-cpus-fast: [0].qom-path: expected a string", 0 },
		{ "query-cpus-fast", "[3]",
		    "query-cpus-fast: [0]: expected an object", 0 },
		{ "query-hotpluggable-cpus", "[]", "query-hotpluggable-cpus: "
		    "expected an array of 1 to 4096 elements", 0 },
		{ "query-hotpluggable-cpus", "[{\"type\": \"max-x86_64-cpu\", "
		    "\"vcpus-count\": 0, \"props\": {\"core-id\": 0}}]",
		    "query-hotpluggable-cpus: [0].vcpus-count: 0 is out of "
		    "range (1 to 4096)", 0 },
		{ "query-hotpluggable-cpus", "[{\"type\": \"max-x86_64-cpu\", "
		    "\"vcpus-count\": \"1\", \"props\": {\"core-id\": 0}}]",
		    "query-hotpluggable-cpus: [0].vcpus-count: expected an "
		    "integer", 0 },
		{ "query-hotpluggable-cpus", CPU_SLOT("\"props\": "
		    "{\"core-id\": -1}"), "query-hotpluggable-cpus: "
		    "[0].props.core-id: -1 is out of range (0 to 4095)", 0 },
		{ "query-hotpluggable-cpus", CPU_SLOT("\"props\": "
		    "{\"core-id\": 5000}"), "query-hotpluggable-cpus: "
		    "[0].props.core-id: 5000 is out of range", 0 },
		{ "query-hotpluggable-cpus", CPU_SLOT("\"props\": "
		    "{\"core-id\": \"0\"}"), "query-hotpluggable-cpus: "
		    "[0].props.core-id: expected an integer", 0 },
		{ "query-hotpluggable-cpus", CPU_SLOT("\"props\": "
		    "{\"core-id\": 0, \"driver\": 1}"),
		    "query-hotpluggable-cpus: [0].props: a member is not a "
		    "CPU topology id", 0 },
		{ "query-hotpluggable-cpus", "[{\"type\": 7, \"vcpus-count\": "
		    "1, \"props\": {}}]",
		    "query-hotpluggable-cpus: [0].type: expected a string", 0 },
		{ "query-hotpluggable-cpus", "[{\"type\": \"t\", "
		    "\"vcpus-count\": 1, \"props\": {}, \"qom-path\": "
		    "\"/machine/peripheral/x\\n\"}]",
		    "query-hotpluggable-cpus: [0].qom-path: contains a control "
		    "character", 0 },
		{ "query-hotpluggable-cpus", "[{\"type\": \"t\", "
		    "\"vcpus-count\": 1, \"props\": [0]}]",
		    "query-hotpluggable-cpus: [0].props: expected an object",
		    0 },
		{ "qom-get memory", "{\"size\": 1073741824, \"slots\": -1, "
		    "\"max-size\": 4294967296}", "qom-get /machine memory: "
		    "slots: -1 is out of range (0 to 256)", 0 },
		{ "qom-get memory", "{\"size\": 1073741824, \"slots\": 4, "
		    "\"max-size\": \"4G\"}", "qom-get /machine memory: "
		    "max-size: expected an integer", 0 },
		{ "qom-get memory", "{\"size\": 1073741824, \"slots\": 4, "
		    "\"max-size\": -1}", "qom-get /machine memory: "
		    "max-size: -1 is out of range", 0 },
		{ "query-memory-size-summary", "{\"base-memory\": -1, "
		    "\"plugged-memory\": 0}", "query-memory-size-summary: "
		    "base-memory: -1 is out of range (1048576 to "
		    "17592186044416)", 0 },
		{ "query-memory-size-summary", "{\"base-memory\": "
		    "4611686018427387904}", "query-memory-size-summary: "
		    "base-memory: 4611686018427387904 is out of range", 0 },
		{ "query-memory-size-summary", "{\"base-memory\": 1073741824, "
		    "\"plugged-memory\": 1.5}", "query-memory-size-summary: "
		    "plugged-memory: expected an integer", 0 },
		{ "query-memory-size-summary", "{\"base-memory\": "
		    "17592186044416, \"plugged-memory\": 1073741824}",
		    "query-memory-size-summary: base-memory and plugged-memory "
		    "add up to 16778240 MB, out of range (1 to 16777216)", 0 },
		{ "query-memory-size-summary", "{}",
		    "query-memory-size-summary: missing key 'base-memory'", 0 },
		{ "query-memory-devices", DIMM(DIMM_OK_ID ", \"memdev\": "
		    "\"/objects/vrmem-0\", \"size\": -268435456"),
		    "query-memory-devices: [0].data.size: -268435456 is out of "
		    "range", 0 },
		{ "query-memory-devices", DIMM("\"id\": \"vrdimm\\u0007\", "
		    "\"hotpluggable\": true, \"memdev\": \"/objects/vrmem-0\", "
		    "\"size\": 268435456"),
		    "query-memory-devices: [0].data.id: contains a control "
		    "character", 0 },
		{ "query-memory-devices", DIMM(DIMM_OK_ID ", \"memdev\": 5, "
		    "\"size\": 268435456"), "query-memory-devices: "
		    "[0].data.memdev: expected a string", 0 },
		{ "query-memory-devices", DIMM(DIMM_OK_ID ", \"memdev\": "
		    "\"/objects/\", \"size\": 268435456"),
		    "query-memory-devices: [0].data.memdev: '/objects/' names "
		    "no object", 0 },
		{ "query-memory-devices", DIMM("\"id\": \"vrdimm-0\", "
		    "\"hotpluggable\": \"true\", \"memdev\": "
		    "\"/objects/vrmem-0\", \"size\": 268435456"),
		    "query-memory-devices: [0].data.hotpluggable: expected "
		    "true or false", 0 },
		{ "query-memory-devices", "[{\"type\": 3, \"data\": {}}]",
		    "query-memory-devices: [0].type: expected a string", 0 },
		{ "query-memory-devices", "[{\"type\": \"dimm\"}]",
		    "query-memory-devices: [0]: missing key 'data'", 0 },
		{ "qom-list", "[{\"name\": 1, \"type\": \"child<vfio-pci>\"}]",
		    "qom-list /machine/peripheral: [0].name: expected a "
		    "string", 0 },
		{ "qom-list", "[{\"name\": \"gpu0\\r\", \"type\": "
		    "\"child<vfio-pci>\"}]", "qom-list /machine/peripheral: "
		    "[0].name: contains a control character", 0 },
		{ "qom-get host", "\"0000:01:00.0\\n\"",
		    "qom-get /machine/peripheral/gpu0 host: contains a control "
		    "character", 0 },
		{ "qom-get host", "\"01:00.0\"",
		    "qom-get /machine/peripheral/gpu0 host: '01:00.0' is not a "
		    "PCI address", 0 },
		{ "qom-get host", "5",
		    "qom-get /machine/peripheral/gpu0 host: expected a string",
		    0 },
		{ "query-pci", BRIDGE("{\"qdev_id\": \"rp2\", \"class_info\": "
		    "{\"class\": \"1540\"}, \"pci_bridge\": {\"devices\": "
		    "[]}}"),
		    "query-pci: [0].devices[0].class_info.class: expected an "
		    "integer", 0 },
		{ "query-pci", BRIDGE("{\"qdev_id\": \"rp\\u00012\", "
		    "\"class_info\": {\"class\": 1540}, \"pci_bridge\": "
		    "{\"devices\": []}}"), "query-pci: [0].devices[0].qdev_id: "
		    "contains a control character", 0 },
		{ "query-pci", BRIDGE("{\"qdev_id\": \"rp2\", \"class_info\": "
		    "{\"class\": 1540}, \"pci_bridge\": 7}"),
		    "query-pci: [0].devices[0].pci_bridge: expected an object",
		    0 },
		{ "query-pci", BRIDGE("{\"qdev_id\": \"rp1\", \"class_info\": "
		    "{\"class\": 1540}, \"pci_bridge\": {\"devices\": "
		    "[{\"qdev_id\": 5, \"class_info\": {\"class\": 1540}, "
		    "\"pci_bridge\": {\"devices\": []}}]}}"),
		    "query-pci: [0].devices[0].pci_bridge.devices[0].qdev_id: "
		    "expected a string", 0 },
		{ "query-pci", "[{\"bus\": 0}]",
		    "query-pci: [0]: missing key 'devices'", 0 },
		{ "query-version", "{\"qemu\": {\"major\": \"7\", \"minor\": "
		    "2}}", "query-version: qemu.major: expected an integer",
		    0 },
		{ "query-kvm", "{\"enabled\": 0}",
		    "query-kvm: enabled: expected true or false", 1 },
		{ "query-acpi-ospm-status", "[{\"source\": \"3\", \"status\": "
		    "0, \"slot\": \"1\", \"slot-type\": \"CPU\"}]",
		    "query-acpi-ospm-status: [0].source: expected an integer",
		    1 },
	};
	char *many;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_refused(bad[i].key, bad[i].reply, bad[i].msg,
		    bad[i].tcg72);
	/* more vCPUs than the field allows, more slots than QEMU has */
	many = json_copies("{\"qom-path\": \"/machine/unattached/cpu\"}",
	    1025);
	expect_refused("query-cpus-fast", many, "query-cpus-fast: expected "
	    "an array of 1 to 1024 elements", false);
	free(many);
	many = json_copies("{\"type\": \"t\", \"vcpus-count\": 1, "
	    "\"props\": {}}", 4097);
	expect_refused("query-hotpluggable-cpus", many,
	    "query-hotpluggable-cpus: expected an array of 1 to 4096 "
	    "elements", false);
	free(many);
	many = json_copies("{\"type\": \"t\", \"vcpus-count\": 4096, "
	    "\"props\": {}}", 2);
	expect_refused("query-hotpluggable-cpus", many,
	    "query-hotpluggable-cpus: 8192 vCPUs in all is out of range "
	    "(1 to 4096)", false);
	free(many);
}

/* Apply observes again first: a malformed reply there stops it before
 * QEMU is sent anything. */
TEST(test_qemu_apply_sends_nothing_after_a_malformed_reply)
{
	static const struct {
		enum vr_field field;
		int64_t to;
		const char *key, *reply, *msg;
	} bad[] = {
		{ VR_FIELD_MEMORY, 1536, "query-memory-size-summary@2",
		    "{\"base-memory\": -1, \"plugged-memory\": 268435456}",
		    "query-memory-size-summary: base-memory: -1 is out of "
		    "range" },
		/* props go to device_add verbatim: no driver of QEMU's
		 * choosing */
		{ VR_FIELD_CPU_COUNT, 3, "query-hotpluggable-cpus@2",
		    "[{\"type\": \"max-x86_64-cpu\", \"vcpus-count\": 1, "
		    "\"props\": {\"core-id\": 3, \"driver\": \"pc-dimm\"}}, "
		    "{\"type\": \"max-x86_64-cpu\", \"vcpus-count\": 1, "
		    "\"props\": {\"core-id\": 0}, \"qom-path\": "
		    "\"/machine/unattached/device[0]\"}]",
		    "query-hotpluggable-cpus: [0].props: a member is not a "
		    "CPU topology id" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fake f = { 0 };
		bool applied = true;

		fake_vm(&f);
		set_reply(&f, bad[i].key, bad[i].reply);
		CHECK_INT(apply_change(&f, bad[i].field, bad[i].to,
		    VR_MODE_LIVE, &applied), VR_EBACKEND);
		CHECK_CONTAINS(vr_error_msg(), bad[i].msg);
		CHECK(!applied);
		CHECK(strstr(f.log, "device_add") == NULL);
		CHECK(strstr(f.log, "object-add") == NULL);
	}
}

/* What confirms an unplug (the DEVICE_DELETED or ACPI_DEVICE_OST event,
 * the vCPU gone from query-cpus-fast) is read as strictly: a malformed
 * one is an error at once, neither a removal taken as done nor a wait
 * to the deadline. */
TEST(test_qemu_malformed_unplug_confirmation_is_refused)
{
	char want[700];
	struct fake f;

	memset(&f, 0, sizeof(f));
	fake_vm(&f);
	set_reply(&f, "after device_del", "{\"event\": \"DEVICE_DELETED\", "
	    "\"data\": {\"device\": 5, \"path\": \"/machine/peripheral/"
	    "vrdimm-0\"}, \"timestamp\": {\"seconds\": 1, \"microseconds\": "
	    "0}}");
	CHECK_INT(apply_change(&f, VR_FIELD_MEMORY, 1024, VR_MODE_LIVE,
	    NULL), VR_EBACKEND);
	snprintf(want, sizeof(want), "qemu:%s/fake-qmp.sock: event "
	    "DEVICE_DELETED: data.device: expected a string", unit_tmpdir());
	CHECK_CONTAINS(vr_error_msg(), want);
	CHECK(strstr(f.log, "object-del") == NULL);

	memset(&f, 0, sizeof(f));
	fake_vm(&f);
	set_reply(&f, "after device_del", "{\"event\": \"ACPI_DEVICE_OST\", "
	    "\"data\": {\"info\": {\"device\": \"vrcpu-1\", \"slot\": \"1\", "
	    "\"slot-type\": \"CPU\", \"source\": \"3\", \"status\": 0}}}");
	CHECK_INT(apply_change(&f, VR_FIELD_CPU_COUNT, 1, VR_MODE_LIVE,
	    NULL), VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "event ACPI_DEVICE_OST: "
	    "data.info.source: expected an integer");

	/* no event; the third query-cpus-fast (after observe's and apply's)
	 * is the one that looks for the vCPU */
	memset(&f, 0, sizeof(f));
	fake_vm(&f);
	set_reply(&f, "query-cpus-fast@3", "[{\"qom-path\": "
	    "\"/machine/unattached/device[0]\"}, {\"qom-path\": 9}]");
	CHECK_INT(apply_change(&f, VR_FIELD_CPU_COUNT, 1, VR_MODE_LIVE,
	    NULL), VR_EBACKEND);
	CHECK_CONTAINS(vr_error_msg(), "query-cpus-fast: [1].qom-path: "
	    "expected a string");
}

/* QEMU adds members to its replies and events in new releases, and leaves
 * some out (no memory slots: no max-size, slots, plugged-memory): all of
 * that still reads, and an unplug is still confirmed. */
TEST(test_qemu_unknown_members_are_allowed)
{
	struct vr_vm_live live;
	struct fake f = { 0 };
	void *conn;

	fake_vm(&f);
	set_reply(&f, "query-name", "{\"name\": \"edge-01\", \"new\": 1}");
	set_reply(&f, "query-status", "{\"running\": false, \"status\": "
	    "\"paused\", \"singlestep\": false, \"new\": [1]}");
	set_reply(&f, "query-cpus-fast", "[{\"qom-path\": "
	    "\"/machine/unattached/device[0]\", \"cpu-index\": 0, "
	    "\"thread-id\": 77, \"props\": {\"core-id\": 0}, \"target\": "
	    "\"x86_64\"}]");
	set_reply(&f, "query-hotpluggable-cpus", "[{\"type\": "
	    "\"max-x86_64-cpu\", \"vcpus-count\": 1, \"props\": "
	    "{\"socket-id\": 0, \"die-id\": 0, \"cluster-id\": 0, "
	    "\"module-id\": 0, \"core-id\": 1, \"thread-id\": 0}, \"new\": "
	    "true}, {\"type\": \"max-x86_64-cpu\", \"vcpus-count\": 1, "
	    "\"props\": {\"core-id\": 0}, \"qom-path\": "
	    "\"/machine/unattached/device[0]\"}]");
	set_reply(&f, "qom-get memory", "{\"size\": 2147483648}");
	set_reply(&f, "query-memory-size-summary", "{\"base-memory\": "
	    "2147483648, \"new\": 0}");
	set_reply(&f, "query-memory-devices", "[{\"type\": \"virtio-mem\", "
	    "\"data\": {\"size\": \"odd\"}}, {\"type\": \"nvdimm\", "
	    "\"data\": {}}]");
	set_reply(&f, "query-pci", "[{\"bus\": 0, \"new\": {}, \"devices\": "
	    "[{\"bus\": 0, \"slot\": 1, \"function\": 0, \"qdev_id\": \"\", "
	    "\"class_info\": {\"desc\": \"Host bridge\", \"class\": 1536}, "
	    "\"id\": {\"vendor\": 32902, \"device\": 10688}, \"regions\": []},"
	    " {\"qdev_id\": \"rp2\", \"class_info\": {\"class\": 1540}, "
	    "\"pci_bridge\": {\"bus\": {\"number\": 1}, \"devices\": [], "
	    "\"new\": 2}}, {\"qdev_id\": \"rp3\", \"class_info\": {\"class\":"
	    " 1540}, \"pci_bridge\": {\"bus\": {\"number\": 2}}}]}]");
	set_reply(&f, "qom-list", "[{\"name\": \"type\", \"type\": "
	    "\"string\", \"description\": \"x\"}, {\"name\": \"rp2\", "
	    "\"type\": \"child<pcie-root-port>\", \"default-value\": 1}]");
	conn = fake_open(&f);
	if (!conn)
		return;
	memset(&live, 0, sizeof(live));
	CHECK_INT(vr_qemu_driver.observe(conn, "edge-01", NULL, &live), 0);
	CHECK(!live.running);
	CHECK_INT(live.cpu_count, 1);
	CHECK_INT(live.memory_mb, 2048);
	CHECK_INT(live.gpu.count, 0);
	vr_vm_live_clear(&live);
	fake_close(&f, conn);

	/* DEVICE_DELETED with more members, then the memory backend goes */
	memset(&f, 0, sizeof(f));
	fake_vm(&f);
	set_reply(&f, "after device_del", "{\"event\": \"DEVICE_DELETED\", "
	    "\"data\": {\"device\": \"vrdimm-0\", \"path\": "
	    "\"/machine/peripheral/vrdimm-0\", \"new\": 1}, \"timestamp\": "
	    "{\"seconds\": 1, \"microseconds\": 0}}");
	CHECK_INT(apply_change(&f, VR_FIELD_MEMORY, 1024, VR_MODE_LIVE,
	    NULL), 0);
	CHECK_CONTAINS(f.log, "device_del;object-del;");
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

/* One reconcile pass of `yaml` on the fake (apply or diff), its output
 * in *out and *err (owned), its exit code returned. */
static int
fake_pass(struct fake *f, const char *yaml, bool apply, char **out,
    char **err)
{
	struct vr_reconcile_options o = VR_RECONCILE_OPTIONS_INIT;
	struct vr_backend_options bo = VR_BACKEND_OPTIONS_INIT;
	struct vr_reconcile_result res;
	struct vr_diags d = VR_DIAGS_INIT;
	struct vr_backend *b = NULL;
	struct vr_spec *spec = NULL;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)], *kt;
	size_t n1, n2;
	FILE *fo = open_memstream(out, &n1), *fe = open_memstream(err, &n2);
	int code = -1;

	fake_listen(f, path);
	kt = vr_asprintf("qemu:%s", path);
	bo.sysfs_root = "tests/fixtures/sysfs-a2";
	bo.timeout_ms = 2000;
	if (!CHECK(vr_spec_load_buffer(&spec, &d, "spec.yaml", yaml,
	    strlen(yaml)) == 0) || !CHECK(vr_backend_open(&b, kt, &bo) == 0))
		goto out;
	o.apply = apply;
	o.out = fo;
	o.err = fe;
	vr_reconcile(&res, spec, b, NULL, &o);
	code = res.exit_code;
	vr_reconcile_result_clear(&res);
out:
	fclose(fo);
	fclose(fe);
	vr_backend_free(b);
	pthread_join(f->th, NULL);
	close(f->listen_fd);
	vr_spec_free(spec);
	vr_diags_free(&d);
	free(kt);
	return code;
}

/*
 * restartPolicy IfNeeded with a change beyond the limits QEMU was started
 * with (issue 25): no backend action can make it, so the plan says so up
 * front, with the reason and the fix, and apply changes nothing of the
 * VM (not the vCPU it could add live) instead of half of it; with Never
 * the plan says it stays pending.
 */
TEST(test_qemu_ifneeded_beyond_limits_changes_nothing)
{
	static const char yaml[] = "apiVersion: vmrecon/v1\n"
	    "kind: VirtualMachine\nmetadata:\n  name: edge-01\nspec:\n"
	    "  cpuCount: 3\n  memoryInMB: 8192\n  restartPolicy: IfNeeded\n";
	static const char never[] = "apiVersion: vmrecon/v1\n"
	    "kind: VirtualMachine\nmetadata:\n  name: edge-01\nspec:\n"
	    "  cpuCount: 3\n  memoryInMB: 8192\n";
	struct fake f = { 0 };
	char *out = NULL, *err = NULL;

	fake_vm(&f);
	CHECK_INT(fake_pass(&f, never, false, &out, &err), VR_EXIT_DRIFT);
	CHECK_CONTAINS(out ? out : "", "~ cpuCount    2 -> 3 (live)");
	CHECK_CONTAINS(out ? out : "", "restart: needs maxmem >= 8192 MB");
	CHECK_CONTAINS(out ? out : "", "qemu cannot restart edge-01 this "
	    "way: make that change yourself as said; apply leaves it "
	    "pending");
	free(out);
	free(err);

	memset(&f, 0, sizeof(f));
	fake_vm(&f);
	CHECK_INT(fake_pass(&f, yaml, false, &out, &err), VR_EXIT_DRIFT);
	CHECK_CONTAINS(out ? out : "", "qemu cannot restart edge-01 this "
	    "way, so apply changes nothing of edge-01 (restartPolicy "
	    "IfNeeded asks for every change): make that change yourself as "
	    "said, or write restartPolicy: Never");
	CHECK_CONTAINS(out ? out : "", "needs maxmem >= 8192 MB");
	CHECK_CONTAINS(out ? out : "", "maxmem=8192M");
	free(out);
	free(err);

	memset(&f, 0, sizeof(f));
	fake_vm(&f);
	CHECK_INT(fake_pass(&f, yaml, true, &out, &err), VR_EXIT_ERROR);
	CHECK_CONTAINS(err ? err : "", "edge-01: nothing applied: memoryInMB "
	    "needs what no qemu action can do: needs maxmem >= 8192 MB");
	CHECK(strstr(f.log, "device_add") == NULL);
	CHECK(strstr(f.log, "object-add") == NULL);
	free(out);
	free(err);
}
