/*
 * base64.h - standard base64 (RFC 4648 §4, with padding), for PowerShell's
 * -EncodedCommand and SSH host key fingerprints.
 */
#ifndef VR_BASE64_H
#define VR_BASE64_H

#include <stddef.h>

/* `n` bytes at `p` in base64, NUL-terminated; the caller frees it. */
char *vr_base64(const unsigned char *p, size_t n);

#endif
