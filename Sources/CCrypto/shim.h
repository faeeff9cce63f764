#ifndef TXGUARD_CCRYPTO_SHIM_H
#define TXGUARD_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <stddef.h>

/** SHA-256 of `len` bytes into `out` (32 bytes). Returns 1 on success. */
static inline int txg_sha256(const void *data, size_t len, unsigned char *out) {
    unsigned int n = 0;
    return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32;
}
#endif
