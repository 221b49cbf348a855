/*
** sha256.h — SHA-256 of rule files and snapshots, through OpenSSL's libcrypto
** (which uses the CPU's SHA instructions where it has them).
*/
#ifndef KAOHE_SHA256_H
#define KAOHE_SHA256_H

#include <stddef.h>

typedef struct sha256_ctx sha256_ctx;

/* Starts a digest; NULL when out of memory. */
sha256_ctx *sha256_begin(void);
/* Adds bytes: ERROR_OK, or ERROR_SYSTEM on failure (the digest is then unusable). */
int sha256_update(sha256_ctx *h, const void *data, size_t length);
/* Finishes: returns the lowercase hex digest (caller frees) or NULL, and
** frees `h` in every case. */
char *sha256_end(sha256_ctx *h);

/* The hex SHA-256 of a file's bytes (caller frees), or NULL with errno set. */
char *sha256_file(const char *path);

#endif
