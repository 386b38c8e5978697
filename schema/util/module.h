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
 *
 * Before a module is opened or the helper run, the file found must pass
 * vr_trust_open() (trust.h: it and every directory up to / owned by root
 * or the user, writable by nobody else), wherever it was found, and a
 * module's note (below) must name this vmrecon; only then is the checked
 * descriptor itself loaded (dlopen of /proc/self/fd/N) or run (fexecve).
 * A planted or stale module is refused without any of its code running,
 * constructors included.
 */
#ifndef VR_MODULE_H
#define VR_MODULE_H

#include <stdint.h>

/* The layout of struct vr_module_info and of every module's api struct
 * (with what they point to: struct vr_http_options); bumped when one
 * changes.  The entry symbol carries it in its name, so a module of another
 * layout is not even found. */
#define VR_MODULE_ABI 2

#ifndef VR_VERSION
#define VR_VERSION "0.0.0"
#endif
#define VR_MODULE_ENTRY "vr_module_entry_v2"
#define VR_MODULE_DEFINE vr_module_entry_v2

/* What a module says of itself in an ELF note (owner "vmrecon", type 1, in
 * its own section .note.vmrecon, so in a PT_NOTE segment), read from the
 * file with plain reads before it is loaded (elfnote.h). */
#define VR_MODULE_NOTE_OWNER "vmrecon"
#define VR_MODULE_NOTE_TYPE 1
struct vr_module_note_desc {
	uint32_t abi;       /* VR_MODULE_ABI */
	char version[32];   /* VR_VERSION, NUL-terminated */
	char name[16];      /* "http", "libvirt" */
};

struct vr_module_note {
	uint32_t namesz, descsz, type;
	char owner[8];
	struct vr_module_note_desc desc;
};

/* In each module's entry file, beside VR_MODULE_DEFINE: VR_MODULE_NOTE("http"); */
#define VR_MODULE_NOTE(modname) \
	__attribute__((section(".note.vmrecon"), aligned(4), used)) \
	static const struct vr_module_note vr_module_note = { \
		sizeof(VR_MODULE_NOTE_OWNER), \
		sizeof(struct vr_module_note_desc), VR_MODULE_NOTE_TYPE, \
		VR_MODULE_NOTE_OWNER, { VR_MODULE_ABI, VR_VERSION, modname } }

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
 * looked; refused: which path is not trusted and why, or which version it
 * is). */
const void *vr_module_load(const char *name);

/* The loaded module's info, or NULL (loads it). */
const struct vr_module_info *vr_module_info(const char *name);

/* Where NAME would be loaded from, without loading or checking it: 0 and
 * the path in buf, or VR_ENOTFOUND with vr_error_set() listing the places
 * looked. */
int vr_module_find(const char *name, char *buf, unsigned long len);

/* The same for any file kept beside the modules (the git helper
 * executable); `what` names its kind in the error ("helper"). */
int vr_module_find_file(const char *what, const char *file, char *buf,
    unsigned long len);

/* Check, without loading or running anything, what vr_module_load would
 * check before dlopen: the trust of module NAME's path and its note.  0,
 * or an error saying why it would be refused.  For `version`. */
int vr_module_check(const char *name);

#endif
