/*
 * trust.h - may vmrecon load or run this file?  As OpenSSH's safe_path():
 * the file and every directory on the way to it from / must be owned by
 * root or by the user running vmrecon and not be writable by group or
 * others; otherwise someone else could put their code where vmrecon (often
 * root) would load or run it.  /tmp and other world-writable directories
 * fail, sticky or not, as in OpenSSH.
 *
 * The walk opens each component relative to the directory checked before
 * it, without following symbolic links (O_NOFOLLOW); a link is followed by
 * hand, and only out of a checked directory (nobody else can change it), so
 * the directories a link leads through are checked as well.  The answer is
 * a descriptor of the checked file: load or run that (dlopen of
 * /proc/self/fd/N, fexecve), and what runs is what was checked.
 */
#ifndef VR_TRUST_H
#define VR_TRUST_H

/* Open `path` (absolute, or relative to the working directory) for
 * reading after the check above: the fd (O_RDONLY, O_CLOEXEC) of a regular
 * file, or VR_EINVALID with a message naming the component at fault and
 * why, VR_ENOTFOUND when a component is missing, VR_ERROR otherwise.  The
 * message starts "refusing <what> <path>: ". */
int vr_trust_open(const char *path, const char *what);

#endif
