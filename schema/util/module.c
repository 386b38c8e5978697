/* module.c - finding, opening and checking vmrecon's loadable modules
 * (module.h).  Each module is opened at most once per process. */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "module.h"

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

static const struct vr_module_info *
open_checked(const char *name)
{
	char path[PATH_MAX];
	const struct vr_module_info *info;
	void *h;

	if (vr_module_find(name, path, sizeof(path)) < 0)
		return NULL;
	/* lazy: a module of another version may name functions this vmrecon
	 * lacks; its entry is checked before any of them is called */
	h = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
	if (!h) {
		vr_error_set(VR_ENOTFOUND, "cannot load module %s: %s", path,
		    dlerror());
		return NULL;
	}
	info = dlsym(h, VR_MODULE_ENTRY);
	if (!info) {
		vr_error_set(VR_EINVALID, "%s is not a vmrecon %s module "
		    "(no %s): it was built by another vmrecon version; this "
		    "is vmrecon %s", path, VR_VERSION, VR_MODULE_ENTRY,
		    VR_VERSION);
		dlclose(h);
		return NULL;
	}
	if (info->abi != VR_MODULE_ABI || !info->version ||
	    strcmp(info->version, VR_VERSION) != 0 || !info->name ||
	    strcmp(info->name, name) != 0 || !info->api) {
		vr_error_set(VR_EINVALID, "refusing module %s: it is the %s "
		    "module of vmrecon %s (layout %u), this is vmrecon %s "
		    "(layout %d); install the modules built with this vmrecon",
		    path, info->name ? info->name : "?",
		    info->version ? info->version : "?", info->abi,
		    VR_VERSION, VR_MODULE_ABI);
		dlclose(h);
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
