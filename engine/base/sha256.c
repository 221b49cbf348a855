/*
** sha256.c — SHA-256 through libcrypto's EVP interface (sha256.h).
*/
#include "sha256.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "error.h"

struct sha256_ctx {
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

sha256_ctx *sha256_begin(void)
{
    sha256_ctx *h;
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

int sha256_update(sha256_ctx *h, const void *data, size_t length)
{
    if (h->failed || EVP_DigestUpdate(h->context, data, length) != 1) {
        h->failed = 1;
        return ERROR_SYSTEM;
    }
    return ERROR_OK;
}

char *sha256_end(sha256_ctx *h)
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

char *sha256_file(const char *path)
{
    static unsigned char chunk[1 << 20];
    unsigned char *buffer = malloc(sizeof chunk);
    FILE *stream = fopen(path, "rb");
    sha256_ctx *h = sha256_begin();
    char *hex = NULL;
    size_t n;
    int error_number = 0;
    (void)chunk;
    if (stream == NULL || h == NULL || buffer == NULL) {
        error_number = stream == NULL ? errno : ENOMEM;
        goto done;
    }
    while ((n = fread(buffer, 1, sizeof chunk, stream)) > 0)
        if (sha256_update(h, buffer, n) != ERROR_OK)
            break;
    if (ferror(stream)) {
        error_number = errno ? errno : EIO;
        goto done;
    }
    hex = sha256_end(h);
    h = NULL;
done:
    if (stream != NULL)
        fclose(stream);
    if (h != NULL)
        free(sha256_end(h));
    free(buffer);
    if (hex == NULL)
        errno = error_number ? error_number : ENOMEM;
    return hex;
}
