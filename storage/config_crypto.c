/*
 * config_crypto: AES-256-GCM envelopes (see the header for the layout).
 *
 * Trade-offs: a random 96-bit nonce per encryption is safe for far more
 * messages than this service will ever write under one key (NIST's 2^32
 * limit); the key id is a hash prefix of the key, so it reveals nothing
 * useful and needs no registry.  Old keys are only for decryption.
 */
#include "storage/config_crypto.h"

#include "common/random.h"

#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/mman.h>

#define MAX_KEYS 8
#define FORMAT_VERSION 1

typedef struct key_entry {
    uint8_t key[CONFIG_CRYPTO_KEY_LEN];
    uint8_t id[CONFIG_CRYPTO_KEY_ID_LEN];
} key_entry;

struct config_crypto {
    key_entry keys[MAX_KEYS]; /* keys[0] is the current key */
    int nkeys;
};

void config_crypto_wipe(void *p, size_t len)
{
    if (p && len)
        OPENSSL_cleanse(p, len);
}

void config_crypto_wipe_free(char *s)
{
    if (!s)
        return;
    config_crypto_wipe(s, strlen(s));
    free(s);
}

static int b64_val(int ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+' || ch == '-') return 62;
    if (ch == '/' || ch == '_') return 63;
    return -1;
}

/* Decodes [s, s+len) (whitespace trimmed, padding optional) into exactly 32 bytes. */
static int decode_key(const char *s, size_t len, uint8_t out[CONFIG_CRYPTO_KEY_LEN])
{
    while (len && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\n' || s[len - 1] == '\r' ||
                   s[len - 1] == '\t' || s[len - 1] == '='))
        len--;
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_val((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n >= CONFIG_CRYPTO_KEY_LEN)
                return -1;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    acc = 0;
    return n == CONFIG_CRYPTO_KEY_LEN ? 0 : -1;
}

static void key_id(const uint8_t key[CONFIG_CRYPTO_KEY_LEN], uint8_t id[CONFIG_CRYPTO_KEY_ID_LEN])
{
    uint8_t md[32];
    unsigned int n = 0;
    EVP_Digest(key, CONFIG_CRYPTO_KEY_LEN, md, &n, EVP_sha256(), NULL);
    memcpy(id, md, CONFIG_CRYPTO_KEY_ID_LEN);
}

config_crypto *config_crypto_new(const char *key_b64, const char *old_keys_b64, err_info *err)
{
    if (!key_b64 || !key_b64[0]) {
        err_set(err, ERR_INVALID, "CONFIG_ENCRYPTION_KEY is not set");
        err_hint(err, "set it to 32 random bytes in base64, e.g. the output of: openssl rand -base64 32");
        return NULL;
    }
    config_crypto *c = calloc(1, sizeof *c);
    if (!c) {
        err_set(err, ERR_NOMEM, "out of memory");
        return NULL;
    }
    (void)mlock(c, sizeof *c); /* best effort: keep keys out of swap */
    if (decode_key(key_b64, strlen(key_b64), c->keys[0].key) != 0) {
        err_set(err, ERR_INVALID, "CONFIG_ENCRYPTION_KEY is not 32 bytes of base64");
        err_hint(err, "generate one with: openssl rand -base64 32");
        goto fail;
    }
    key_id(c->keys[0].key, c->keys[0].id);
    c->nkeys = 1;
    for (const char *p = old_keys_b64; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            if (c->nkeys == MAX_KEYS) {
                err_set(err, ERR_INVALID, "too many old encryption keys (at most %d)", MAX_KEYS - 1);
                goto fail;
            }
            if (decode_key(p, len, c->keys[c->nkeys].key) != 0) {
                err_set(err, ERR_INVALID, "old encryption key #%d is not 32 bytes of base64", c->nkeys);
                err_hint(err, "CONFIG_ENCRYPTION_OLD_KEYS is a comma-separated list of base64 keys");
                goto fail;
            }
            key_id(c->keys[c->nkeys].key, c->keys[c->nkeys].id);
            c->nkeys++;
        }
        p = end ? end + 1 : p + len;
    }
    return c;
fail:
    config_crypto_free(c);
    return NULL;
}

void config_crypto_free(config_crypto *c)
{
    if (!c)
        return;
    config_crypto_wipe(c, sizeof *c);
    munlock(c, sizeof *c);
    free(c);
}

void config_crypto_key_id_hex(const config_crypto *c, char out[17])
{
    for (int i = 0; i < CONFIG_CRYPTO_KEY_ID_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", c->keys[0].id[i]);
}

int config_crypto_encrypt(const config_crypto *c, const void *plain, size_t len, const char *aad,
                          uint8_t **out, size_t *out_len, err_info *err)
{
    *out = NULL;
    *out_len = 0;
    if (len > (size_t)1 << 30)
        return err_set(err, ERR_INVALID, "config too large to encrypt");
    size_t total = len + CONFIG_CRYPTO_OVERHEAD;
    uint8_t *env = malloc(total);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int rc = -1, n = 0;
    if (!env || !ctx) {
        err_set(err, ERR_NOMEM, "out of memory");
        goto done;
    }
    env[0] = FORMAT_VERSION;
    memcpy(env + 1, c->keys[0].id, CONFIG_CRYPTO_KEY_ID_LEN);
    uint8_t *nonce = env + 1 + CONFIG_CRYPTO_KEY_ID_LEN;
    uint8_t *ct = nonce + CONFIG_CRYPTO_NONCE_LEN;
    if (random_bytes(nonce, CONFIG_CRYPTO_NONCE_LEN) != 0) {
        err_set(err, ERR_INTERNAL, "no randomness for the encryption nonce");
        goto done;
    }
    if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CONFIG_CRYPTO_NONCE_LEN, NULL) != 1 ||
        EVP_EncryptInit_ex(ctx, NULL, NULL, c->keys[0].key, nonce) != 1 ||
        /* the header (version, key id, nonce) is authenticated too */
        EVP_EncryptUpdate(ctx, NULL, &n, env, 1 + CONFIG_CRYPTO_KEY_ID_LEN) != 1 ||
        (aad && aad[0] && EVP_EncryptUpdate(ctx, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) != 1) ||
        EVP_EncryptUpdate(ctx, ct, &n, plain, (int)len) != 1 ||
        EVP_EncryptFinal_ex(ctx, ct + n, &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CONFIG_CRYPTO_TAG_LEN, ct + len) != 1) {
        err_set(err, ERR_INTERNAL, "AES-256-GCM encryption failed");
        goto done;
    }
    *out = env;
    *out_len = total;
    env = NULL;
    rc = 0;
done:
    free(env);
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

int config_crypto_decrypt(const config_crypto *c, const uint8_t *env, size_t env_len,
                          const char *aad, char **out, size_t *out_len, err_info *err)
{
    *out = NULL;
    *out_len = 0;
    if (env_len < CONFIG_CRYPTO_OVERHEAD || env[0] != FORMAT_VERSION || env_len > ((size_t)1 << 30)) {
        err_set(err, ERR_INVALID, "stored config is not a valid encrypted envelope");
        return err_hint(err, "the row was altered; send the event again to store a fresh config");
    }
    const key_entry *k = NULL;
    for (int i = 0; i < c->nkeys && !k; i++)
        if (memcmp(c->keys[i].id, env + 1, CONFIG_CRYPTO_KEY_ID_LEN) == 0)
            k = &c->keys[i];
    if (!k) {
        char hex[17];
        for (int i = 0; i < CONFIG_CRYPTO_KEY_ID_LEN; i++)
            snprintf(hex + 2 * i, 3, "%02x", env[1 + i]);
        err_set(err, ERR_INVALID, "stored config was encrypted with an unknown key (key id %s)", hex);
        return err_hint(err, "add that key to CONFIG_ENCRYPTION_OLD_KEYS, or send the event again");
    }
    const uint8_t *nonce = env + 1 + CONFIG_CRYPTO_KEY_ID_LEN;
    const uint8_t *ct = nonce + CONFIG_CRYPTO_NONCE_LEN;
    size_t len = env_len - CONFIG_CRYPTO_OVERHEAD;
    char *plain = malloc(len + 1);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int rc = -1, n = 0, n2 = 0;
    if (!plain || !ctx) {
        err_set(err, ERR_NOMEM, "out of memory");
        goto done;
    }
    uint8_t tag[CONFIG_CRYPTO_TAG_LEN];
    memcpy(tag, ct + len, sizeof tag);
    if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CONFIG_CRYPTO_NONCE_LEN, NULL) != 1 ||
        EVP_DecryptInit_ex(ctx, NULL, NULL, k->key, nonce) != 1 ||
        EVP_DecryptUpdate(ctx, NULL, &n, env, 1 + CONFIG_CRYPTO_KEY_ID_LEN) != 1 ||
        (aad && aad[0] && EVP_DecryptUpdate(ctx, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) != 1) ||
        EVP_DecryptUpdate(ctx, (uint8_t *)plain, &n, ct, (int)len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CONFIG_CRYPTO_TAG_LEN, tag) != 1 ||
        EVP_DecryptFinal_ex(ctx, (uint8_t *)plain + n, &n2) != 1) {
        err_set(err, ERR_INVALID, "stored config failed authentication (tampered, or copied from another job)");
        err_hint(err, "send the event again to store a fresh config");
        config_crypto_wipe(plain, len);
        goto done;
    }
    plain[len] = 0;
    *out = plain;
    *out_len = len;
    plain = NULL;
    rc = 0;
done:
    free(plain);
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}
