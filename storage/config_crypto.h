/*
 * config_crypto: instance config (it holds the client secret) encrypted at
 * rest with AES-256-GCM (OpenSSL EVP).
 *
 * Envelope (binary, stored in a bytea column):
 *   byte 0      format version (1)
 *   bytes 1..8  key id: the first 8 bytes of SHA-256(key)
 *   bytes 9..20 random 96-bit nonce, fresh for every encryption
 *   then        ciphertext, then the 16-byte GCM tag
 * The caller passes additional authenticated data (the job id) so that a
 * ciphertext copied to another row does not decrypt.
 *
 * Key rotation: config_crypto_new takes the current key (CONFIG_ENCRYPTION_KEY,
 * used for every encryption) and optional old keys (e.g. from
 * CONFIG_ENCRYPTION_OLD_KEYS, a comma-separated list of base64 keys) that are
 * only used to decrypt envelopes whose key id matches them.  To rotate: set the
 * new key, move the old one to the old-keys list, wait until no queued job
 * uses it, then remove it.
 *
 * Keys are held in memory locked against swapping where possible and wiped at
 * free.  Callers must wipe plaintext with config_crypto_wipe() after use.
 * Thread safe: the object is immutable after creation.
 */
#ifndef AI_STORAGE_CONFIG_CRYPTO_H
#define AI_STORAGE_CONFIG_CRYPTO_H

#include "common/error.h"

#include <stddef.h>
#include <stdint.h>

#define CONFIG_CRYPTO_KEY_LEN 32
#define CONFIG_CRYPTO_KEY_ID_LEN 8
#define CONFIG_CRYPTO_NONCE_LEN 12
#define CONFIG_CRYPTO_TAG_LEN 16
#define CONFIG_CRYPTO_OVERHEAD (1 + CONFIG_CRYPTO_KEY_ID_LEN + CONFIG_CRYPTO_NONCE_LEN + CONFIG_CRYPTO_TAG_LEN)

typedef struct config_crypto config_crypto;

/* key_b64: base64 of exactly 32 bytes (standard alphabet, padding optional).
 * old_keys_b64: NULL or a comma-separated list of such keys.  Errors
 * (ERR_INVALID) never echo the key. */
config_crypto *config_crypto_new(const char *key_b64, const char *old_keys_b64, err_info *err);
void config_crypto_free(config_crypto *c);

/* Encrypts plain[0..len) bound to aad (NUL-terminated, may be ""); *out is a
 * malloc'ed envelope of len + CONFIG_CRYPTO_OVERHEAD bytes. */
int config_crypto_encrypt(const config_crypto *c, const void *plain, size_t len, const char *aad,
                          uint8_t **out, size_t *out_len, err_info *err);

/* Decrypts an envelope; *out is malloc'ed, NUL-terminated (not counted in
 * *out_len).  ERR_INVALID when the key id is unknown (hint: set the key in
 * CONFIG_ENCRYPTION_OLD_KEYS), or when authentication fails (tampered
 * envelope, wrong row).  The caller wipes and frees *out with
 * config_crypto_wipe_free(). */
int config_crypto_decrypt(const config_crypto *c, const uint8_t *env, size_t env_len,
                          const char *aad, char **out, size_t *out_len, err_info *err);

/* Overwrites len bytes with zeros in a way the compiler cannot drop. */
void config_crypto_wipe(void *p, size_t len);
/* Wipes a NUL-terminated string and frees it.  NULL is accepted. */
void config_crypto_wipe_free(char *s);

/* Key id of the current key, as 16 lowercase hex chars + NUL. */
void config_crypto_key_id_hex(const config_crypto *c, char out[17]);

#endif
