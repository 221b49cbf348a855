/*
** hash.c — SHA-256 through libcrypto's EVP interface (hash.h).
*/
#include "hash.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct hash_sha256 {
    EVP_MD_CTX *context;
    int failed;
};

/* SHA-256 is fetched once, from a library context of our own. OpenSSL 3's
** global default context cannot survive running out of memory while it
** sets itself up (lazily, inside the first EVP call): it keeps going with a
** lock it failed to create and crashes on it (found by fault injection). A
** context made by OSSL_LIB_CTX_new() is either whole or NULL; when it or
** the fetch fails, every digest fails as out of memory instead. Both live
** as long as the process. */
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static OSSL_LIB_CTX *sha256_library;
static EVP_MD *sha256;

static void sha256_init(void)
{
    sha256_library = OSSL_LIB_CTX_new();
    if (sha256_library != NULL)
        sha256 = EVP_MD_fetch(sha256_library, "SHA2-256", NULL);
}

hash_sha256 *hash_begin(void)
{
    hash_sha256 *h;
    if (pthread_once(&sha256_once, sha256_init) != 0 || sha256 == NULL)
        return NULL;
    h = calloc(1, sizeof *h);
    if (h == NULL)
        return NULL;
    h->context = EVP_MD_CTX_new();
    if (h->context == NULL || EVP_DigestInit_ex(h->context, sha256, NULL) != 1) {
        EVP_MD_CTX_free(h->context);
        free(h);
        return NULL;
    }
    return h;
}

int hash_update(hash_sha256 *h, const void *data, size_t length)
{
    if (h->failed || EVP_DigestUpdate(h->context, data, length) != 1) {
        h->failed = 1;
        return -1;
    }
    return 0;
}

char *hash_end(hash_sha256 *h)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0, i;
    char *hex = NULL;
    if (h == NULL)
        return NULL;
    if (!h->failed && EVP_DigestFinal_ex(h->context, digest, &length) == 1 &&
        (hex = malloc(2 * length + 1)) != NULL) {
        for (i = 0; i < length; i++)
            snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    }
    EVP_MD_CTX_free(h->context);
    free(h);
    return hex;
}

char *hash_file(const char *path)
{
    static unsigned char chunk[1 << 20];
    unsigned char *buffer = malloc(sizeof chunk);
    FILE *stream = fopen(path, "rb");
    hash_sha256 *h = hash_begin();
    char *hex = NULL;
    size_t n;
    int error_number = 0;
    (void)chunk;
    if (stream == NULL || h == NULL || buffer == NULL) {
        error_number = stream == NULL ? errno : ENOMEM;
        goto done;
    }
    while ((n = fread(buffer, 1, sizeof chunk, stream)) > 0)
        if (hash_update(h, buffer, n) != 0)
            break;
    if (ferror(stream)) {
        error_number = errno ? errno : EIO;
        goto done;
    }
    hex = hash_end(h);
    h = NULL;
done:
    if (stream != NULL)
        fclose(stream);
    if (h != NULL)
        free(hash_end(h));
    free(buffer);
    if (hex == NULL)
        errno = error_number ? error_number : ENOMEM;
    return hex;
}
