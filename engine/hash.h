/*
** hash.h — SHA-256 of rule files and snapshots, through OpenSSL's libcrypto
** (which uses the CPU's SHA instructions where it has them).
*/
#ifndef KAOHE_HASH_H
#define KAOHE_HASH_H

#include <stddef.h>

typedef struct hash_sha256 hash_sha256;

/* Starts a digest; NULL when out of memory. */
hash_sha256 *hash_begin(void);
/* Adds bytes; returns 0, or -1 on failure (the digest is then unusable). */
int hash_update(hash_sha256 *h, const void *data, size_t length);
/* Finishes: returns the lowercase hex digest (caller frees) or NULL, and
** frees `h` in every case. */
char *hash_end(hash_sha256 *h);

/* The hex SHA-256 of a file's bytes (caller frees), or NULL with errno set. */
char *hash_file(const char *path);

#endif
