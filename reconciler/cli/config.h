/*
 * config.h - the config file: named contexts, as kubectl's kubeconfig has,
 * each naming a backend (and its target), a state dir, a backend timeout
 * and a hostname once, so that no command has to repeat them:
 *
 *     apiVersion: vmrecon/v1
 *     kind: Config
 *     currentContext: edge01
 *     contexts:
 *       edge01:
 *         backend: "eflow:ssh -o BatchMode=yes admin@edge01 powershell"
 *         backendTimeout: 3min
 *         hostname: edge01
 *       lab-qemu:
 *         backend: qemu:/run/qemu/lab.qmp
 *         stateDir: /var/lib/vmrecon/lab
 *
 * Which file: $VMRECON_CONFIG when set (that file and no other; missing is
 * an error, and /dev/null means none, as GIT_CONFIG_GLOBAL=/dev/null does
 * for git); else as root /etc/vmrecon/config.yaml, the machine's, so that
 * sudo, cron and systemd units see the same contexts whatever HOME says
 * (as root's state dir is /var/lib/vmrecon); else, for other users,
 * $XDG_CONFIG_HOME/vmrecon/config.yaml (~/.config/...) when it exists, and
 * /etc/vmrecon/config.yaml when it does not.  One file is read, never a
 * merge of several.
 *
 * Trust: a context's backend is a command vmrecon runs (the eflow
 * launcher), so whoever can write the file can run code as the user of
 * vmrecon, often root.  The file is read only after the walk of trust.h:
 * it and every directory above it owned by root or the user and not
 * writable by group or others; otherwise it is refused, naming the path
 * at fault.  It is read strictly, as spec files are (ytree.h): unknown
 * keys, duplicates and wrong types are errors as FILE:LINE:COL.
 *
 * use-context rewrites only the value of currentContext (adding the key
 * when it is missing), keeping the rest of the file as it was, comments
 * included; the result is loaded again before it is written, and written
 * atomically (fileio.h), never through a symbolic link.
 */
#ifndef VR_CONFIG_H
#define VR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../schema/diag.h"
#include "../../schema/model.h"

#define VR_CONFIG_KIND "Config"
#define VR_CONFIG_SYSTEM "/etc/vmrecon/config.yaml"
#define VR_CONFIG_NONE "/dev/null"
#define VR_CONFIG_MAX_BYTES (256 * 1024)
#define VR_CONTEXT_NAME_MAX 63

struct vr_context {
	char *name;
	char *backend;      /* KIND[:TARGET], or NULL */
	char *state_dir;    /* absolute, or NULL */
	int64_t backend_timeout_ms; /* 0: not set */
	char *hostname;     /* or NULL */
	struct vr_pos at;   /* of its name */
};

struct vr_config {
	char *path;
	char *current;      /* currentContext, or NULL */
	struct vr_context *v;
	size_t n;
	/* for use-context: the file's bytes and, in characters as libyaml
	 * counts them, where currentContext's value is (has_current) */
	char *text;
	size_t len;
	bool has_current;
	size_t current_index, current_end;
	size_t top_index;   /* where the top mapping starts */
};

/* The file in force (see above), for effective user `euid`; *named is
 * true when $VMRECON_CONFIG named it.  Returns an allocated path. */
char *vr_config_path(unsigned euid, bool *named);

/* Load `path` after the trust walk.  VR_ENOTFOUND when it does not exist
 * (nothing in diags), VR_EINVALID with the file's problems in diags or
 * with a trust refusal in the error, VR_ERROR otherwise. */
int vr_config_load(struct vr_config **out, struct vr_diags *diags,
    const char *path);

/* Check `len` bytes of a config named `path` (no file is read). */
int vr_config_load_buffer(struct vr_config **out, struct vr_diags *diags,
    const char *path, const char *buf, size_t len);

/* The context of that name, or NULL. */
const struct vr_context *vr_config_find(const struct vr_config *cfg,
    const char *name);

/* The context names, comma-separated, for messages ("" when none). */
char *vr_config_names(const struct vr_config *cfg);

/* Make `name` (a context of cfg) the current context: rewrite the value
 * of currentContext in the file cfg was loaded from, atomically, without
 * following a symbolic link at the file.  cfg->current follows. */
int vr_config_use(struct vr_config *cfg, const char *name);

void vr_config_free(struct vr_config *cfg);

#endif
