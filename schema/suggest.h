/*
 * suggest.h - "did you mean": the edit distance (with transpositions,
 * Damerau's) between what a user typed and the words a program knows,
 * for YAML keys (load.c), commands and options (reconciler/).
 */
#ifndef VR_SUGGEST_H
#define VR_SUGGEST_H

#include <stddef.h>
#include <stdint.h>

/* Decode one UTF-8 code point at s (n bytes left); *w gets its width.
 * Bad sequences give U+FFFD with width 1. */
uint32_t vr_utf8_next(const unsigned char *s, size_t n, size_t *w);

/* The distance between s (slen bytes of UTF-8, compared as code points
 * folded to lower case) and the ASCII word `known`; 1000 when either is
 * over 64 characters. */
int vr_suggest_distance(const char *s, size_t slen, const char *known);

/* The NULL-terminated `known` word nearest s, if under 3 edits and fewer
 * edits than s has characters; else NULL. */
const char *vr_suggest_near(const char *s, size_t len,
    const char *const *known);

/* The first known word that s (4 characters or more) begins, or NULL. */
const char *vr_suggest_prefix(const char *s, size_t len,
    const char *const *known);

#endif
