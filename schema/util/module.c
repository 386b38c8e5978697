/* module.c - finding, checking and opening vmrecon's loadable modules
 * (module.h): trust of the path (trust.h) and the module's note
 * (elfnote.h) before dlopen.  Each module is opened at most once per
 * process. */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfnote.h"
#include "error.h"
#include "module.h"
#include "trust.h"

struct loaded {
	struct loaded *next;
	const struct vr_module_info *info;
	char name[];
};

static struct loaded *loaded; /* never unloaded: a module's code may sit in
                               * callbacks and thread stacks until exit */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The directory of the running executable, "" if unknown. */
static void
exe_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *slash;

	if (n <= 0 || (size_t)n >= len - 1) {
		buf[0] = '\0';
		return;
	}
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
}

/* The directories to look in, in order; returns how many (at most 2). */
static int
search_dirs(char dirs[2][PATH_MAX])
{
	const char *env = getenv("VMRECON_MODULE_DIR");
	char dir[PATH_MAX];
	int n = 0;

	if (env && *env) {
		snprintf(dirs[0], PATH_MAX, "%s", env);
		return 1;
	}
	exe_dir(dir, sizeof(dir));
	if (dir[0])
		snprintf(dirs[n++], PATH_MAX, "%.*s/../lib/vmrecon",
		    PATH_MAX - 20, dir);
#if defined(VR_BUILD_DIR) && defined(VR_SRC_DIR)
	/* run from the tree: build/rel/vmrecon, build/rel/unit or ./vmrecon */
	if (strcmp(dir, VR_BUILD_DIR) == 0 || strcmp(dir, VR_SRC_DIR) == 0)
		snprintf(dirs[n++], PATH_MAX, "%s/lib/vmrecon", VR_BUILD_DIR);
#endif
	return n;
}

int
vr_module_find_file(const char *what, const char *file, char *buf,
    unsigned long len)
{
	char dirs[2][PATH_MAX];
	struct stat st;
	int i, n = search_dirs(dirs);

	for (i = 0; i < n; i++) {
		snprintf(buf, len, "%s/%s", dirs[i], file);
		if (stat(buf, &st) == 0 && S_ISREG(st.st_mode))
			return 0;
	}
	buf[0] = '\0';
	return vr_error_set(VR_ENOTFOUND, "%s %s not found in %s%s%s "
	    "(VMRECON_MODULE_DIR overrides)", what, file,
	    n ? dirs[0] : "(no directory: /proc/self/exe unreadable)",
	    n > 1 ? " nor " : "", n > 1 ? dirs[1] : "");
}

int
vr_module_find(const char *name, char *buf, unsigned long len)
{
	char file[256];

	snprintf(file, sizeof(file), "vmrecon-%s.so", name);
	return vr_module_find_file("module", file, buf, len);
}

/* Copy the note's string `s` (n bytes, maybe not terminated) for a
 * message: printable ASCII only. */
static void
note_str(char *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n && s[i]; i++)
		out[i] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
}

static int
refuse_version(const char *path, const char *mod, const char *ver,
    unsigned abi)
{
	return vr_error_set(VR_EINVALID, "refusing module %s: it is the %s "
	    "module of vmrecon %s (layout %u), this is vmrecon %s (layout %d); "
	    "install the modules built with this vmrecon", path, mod, ver, abi,
	    VR_VERSION, VR_MODULE_ABI);
}

/* The checked descriptor of module NAME, found and trusted (trust.h), its
 * note naming this vmrecon; its path in `path`.  Nothing of it runs. */
static int
open_trusted(const char *name, char *path, unsigned long len)
{
	struct vr_module_note_desc d;
	char ver[sizeof(d.version)], mod[sizeof(d.name)], *why;
	int fd, rc;

	if ((rc = vr_module_find(name, path, len)) < 0)
		return rc;
	if ((fd = vr_trust_open(path, "module")) < 0)
		return fd;
	rc = vr_elf_note(fd, VR_MODULE_NOTE_OWNER, VR_MODULE_NOTE_TYPE, &d,
	    sizeof(d));
	if (rc == VR_ENOTFOUND) {
		rc = vr_error_set(VR_EINVALID, "refusing module %s: it is not "
		    "a vmrecon %s module (it has no vmrecon note): it was "
		    "built by another vmrecon version, or is no module", path,
		    VR_VERSION);
	} else if (rc < 0) {
		why = vr_strdup(vr_error_msg());
		rc = vr_error_set(rc, "refusing module %s: %s", path, why);
		free(why);
	} else {
		note_str(ver, d.version, sizeof(d.version));
		note_str(mod, d.name, sizeof(d.name));
		if (d.abi != VR_MODULE_ABI || strcmp(ver, VR_VERSION) != 0 ||
		    strcmp(mod, name) != 0)
			rc = refuse_version(path, mod, ver, d.abi);
	}
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int
vr_module_check(const char *name)
{
	char path[PATH_MAX];
	int fd = open_trusted(name, path, sizeof(path));

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static const struct vr_module_info *
open_checked(const char *name)
{
	char path[PATH_MAX], self[64];
	const struct vr_module_info *info;
	void *h;
	int fd;

	if ((fd = open_trusted(name, path, sizeof(path))) < 0)
		return NULL;
	/* the file checked, not whatever its path names by now; lazy: a
	 * module of another version may name functions this vmrecon lacks;
	 * its entry is checked before any of them is called.  The fd stays
	 * open while the module is loaded (for good): the loader knows a
	 * module by this name, and a second module opened through the same
	 * fd number would be taken for the first. */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	h = dlopen(self, RTLD_LAZY | RTLD_LOCAL);
	if (!h) {
		vr_error_set(VR_ENOTFOUND, "cannot load module %s: %s", path,
		    dlerror());
		close(fd);
		return NULL;
	}
	/* the note said so; the entry is what the code will use */
	info = dlsym(h, VR_MODULE_ENTRY);
	if (!info) {
		vr_error_set(VR_EINVALID, "%s is not a vmrecon %s module "
		    "(no %s): it was built by another vmrecon version; this "
		    "is vmrecon %s", path, VR_VERSION, VR_MODULE_ENTRY,
		    VR_VERSION);
		dlclose(h);
		close(fd);
		return NULL;
	}
	if (info->abi != VR_MODULE_ABI || !info->version ||
	    strcmp(info->version, VR_VERSION) != 0 || !info->name ||
	    strcmp(info->name, name) != 0 || !info->api) {
		refuse_version(path, info->name ? info->name : "?",
		    info->version ? info->version : "?", info->abi);
		dlclose(h);
		close(fd);
		return NULL;
	}
	return info;
}

const struct vr_module_info *
vr_module_info(const char *name)
{
	struct loaded *l;
	const struct vr_module_info *info = NULL;

	pthread_mutex_lock(&lock);
	for (l = loaded; l; l = l->next)
		if (strcmp(l->name, name) == 0)
			info = l->info;
	if (!info && (info = open_checked(name))) {
		l = vr_malloc(sizeof(*l) + strlen(name) + 1);
		strcpy(l->name, name);
		l->info = info;
		l->next = loaded;
		loaded = l;
	}
	pthread_mutex_unlock(&lock);
	return info;
}

const void *
vr_module_load(const char *name)
{
	const struct vr_module_info *info = vr_module_info(name);

	return info ? info->api : NULL;
}
