/*
 * module.h - vmrecon's loadable modules: the parts that need a heavy
 * library (libvirt, libgit2, libcurl) live in shared objects under
 * $(PREFIX)/lib/vmrecon/ and are opened with dlopen() only when a command
 * uses them, as libvirt loads its connection drivers.  A module exports one
 * versioned entry, VR_MODULE_ENTRY, which must match this vmrecon exactly.
 * Helper executables (vmrecon-git-helper, gitproto.h) sit beside them and
 * are found the same way.
 *
 * Where modules are looked for (the first directory that has the file):
 *   $VMRECON_MODULE_DIR, alone, when set (tests);
 *   <dir of /proc/self/exe>/../lib/vmrecon (an install, any PREFIX);
 *   the build tree's lib/vmrecon, only when the executable is in the tree.
 */
#ifndef VR_MODULE_H
#define VR_MODULE_H

/* The layout of struct vr_module_info and of every module's api struct;
 * bumped when either changes.  The entry symbol carries it in its name, so
 * a module of another layout is not even found. */
#define VR_MODULE_ABI 1

#ifndef VR_VERSION
#define VR_VERSION "0.0.0"
#endif
#define VR_MODULE_ENTRY "vr_module_entry_v1"
#define VR_MODULE_DEFINE vr_module_entry_v1

struct vr_module_info {
	unsigned abi;            /* VR_MODULE_ABI */
	const char *version;     /* VR_VERSION of the build that made it */
	const char *name;        /* "libvirt", "git", "http" */
	const void *api;         /* the module's table, by name */
	/* the library it wraps and its run-time version, for `version -v` */
	const char *(*library)(void);
};

/* Load module NAME (file vmrecon-NAME.so) once per process and return its
 * api table, or NULL with vr_error_set() saying why (not found: where it
 * looked; refused: which version it is). */
const void *vr_module_load(const char *name);

/* The loaded module's info, or NULL (loads it). */
const struct vr_module_info *vr_module_info(const char *name);

/* Where NAME would be loaded from, without loading it: 0 and the path in
 * buf, or VR_ENOTFOUND with vr_error_set() listing the places looked. */
int vr_module_find(const char *name, char *buf, unsigned long len);

/* The same for any file kept beside the modules (the git helper
 * executable); `what` names its kind in the error ("helper"). */
int vr_module_find_file(const char *what, const char *file, char *buf,
    unsigned long len);

#endif
