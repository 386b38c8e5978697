/*
 * base64.h - standard base64 (RFC 4648 §4, with padding), for PowerShell's
 * -EncodedCommand, SSH host key fingerprints and the blobs the git helper
 * sends back (gitproto.h).
 */
#ifndef VR_BASE64_H
#define VR_BASE64_H

#include <stddef.h>

#include <stdbool.h>

/* `n` bytes at `p` in base64, NUL-terminated; the caller frees it. */
char *vr_base64(const unsigned char *p, size_t n);

/* Decode `n` characters of padded base64 at `s` into *out (malloc'd, with
 * a NUL after the *len bytes).  Strict: only the alphabet, a length that
 * is a multiple of 4, padding only at the end, no stray bits.  Returns
 * false on any other input (nothing allocated). */
bool vr_base64_decode(unsigned char **out, size_t *len, const char *s,
    size_t n);

#endif
