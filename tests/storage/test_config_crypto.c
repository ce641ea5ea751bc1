/* config_crypto: round trip, tampering, wrong key/row, nonces, rotation. */
#include "storage/config_crypto.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* 32 bytes: "0123456789abcdef0123456789abcdef" and "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345" */
#define KEY1 "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
#define KEY2 "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU="
static const char PLAIN[] = "{\"clientSecret\":\"s3cr3t-value\",\"clientId\":\"abc\"}";

static void encrypt(const config_crypto *c, const char *aad, uint8_t **env, size_t *len)
{
    err_info e = {0};
    assert_int_equal(config_crypto_encrypt(c, PLAIN, strlen(PLAIN), aad, env, len, &e), 0);
    assert_int_equal(*len, strlen(PLAIN) + CONFIG_CRYPTO_OVERHEAD);
}

static void test_round_trip(void **state)
{
    (void)state;
    err_info e = {0};
    config_crypto *c = config_crypto_new(KEY1, NULL, &e);
    assert_non_null(c);
    uint8_t *env;
    size_t len;
    encrypt(c, "job-1", &env, &len);
    assert_null(memmem(env, len, "s3cr3t", 6));
    char *out;
    size_t out_len;
    assert_int_equal(config_crypto_decrypt(c, env, len, "job-1", &out, &out_len, &e), 0);
    assert_string_equal(out, PLAIN);
    assert_int_equal(out_len, strlen(PLAIN));
    config_crypto_wipe_free(out);
    free(env);
    config_crypto_free(c);
}

static void test_tamper_and_wrong_row(void **state)
{
    (void)state;
    err_info e = {0};
    config_crypto *c = config_crypto_new(KEY1, NULL, &e);
    uint8_t *env;
    size_t len;
    encrypt(c, "job-1", &env, &len);
    /* every single-byte change anywhere in the envelope is detected */
    for (size_t i = 0; i < len; i++) {
        env[i] ^= 0x01;
        char *out = NULL;
        size_t out_len;
        err_clear(&e);
        assert_int_equal(config_crypto_decrypt(c, env, len, "job-1", &out, &out_len, &e), -1);
        assert_null(out);
        assert_int_equal(e.kind, ERR_INVALID);
        env[i] ^= 0x01;
    }
    char *out = NULL;
    size_t out_len;
    assert_int_equal(config_crypto_decrypt(c, env, len, "job-2", &out, &out_len, &e), -1);
    assert_non_null(strstr(e.message, "authentication"));
    assert_int_equal(config_crypto_decrypt(c, env, len - 1, "job-1", &out, &out_len, &e), -1);
    assert_int_equal(config_crypto_decrypt(c, env, 5, "job-1", &out, &out_len, &e), -1);
    free(env);
    config_crypto_free(c);
}

static void test_wrong_key_and_rotation(void **state)
{
    (void)state;
    err_info e = {0};
    config_crypto *c1 = config_crypto_new(KEY1, NULL, &e);
    config_crypto *c2 = config_crypto_new(KEY2, NULL, &e);
    config_crypto *rotated = config_crypto_new(KEY2, " " KEY1 " ,", &e);
    assert_non_null(rotated);
    uint8_t *env;
    size_t len;
    encrypt(c1, "j", &env, &len);
    char *out = NULL;
    size_t out_len;
    assert_int_equal(config_crypto_decrypt(c2, env, len, "j", &out, &out_len, &e), -1);
    assert_non_null(strstr(e.message, "unknown key"));
    assert_non_null(strstr(e.hint, "CONFIG_ENCRYPTION_OLD_KEYS"));
    assert_int_equal(config_crypto_decrypt(rotated, env, len, "j", &out, &out_len, &e), 0);
    assert_string_equal(out, PLAIN);
    config_crypto_wipe_free(out);
    free(env);
    /* new encryptions use the current key */
    encrypt(rotated, "j", &env, &len);
    assert_int_equal(config_crypto_decrypt(c2, env, len, "j", &out, &out_len, &e), 0);
    config_crypto_wipe_free(out);
    assert_int_equal(config_crypto_decrypt(c1, env, len, "j", &out, &out_len, &e), -1);
    free(env);
    char id1[17], id2[17];
    config_crypto_key_id_hex(c1, id1);
    config_crypto_key_id_hex(c2, id2);
    assert_int_equal(strlen(id1), 16);
    assert_string_not_equal(id1, id2);
    config_crypto_free(c1);
    config_crypto_free(c2);
    config_crypto_free(rotated);
}

static int cmp_nonce(const void *a, const void *b) { return memcmp(a, b, CONFIG_CRYPTO_NONCE_LEN); }

static void test_nonce_unique(void **state)
{
    (void)state;
    err_info e = {0};
    config_crypto *c = config_crypto_new(KEY1, NULL, &e);
    enum { N = 2000 };
    uint8_t(*nonces)[CONFIG_CRYPTO_NONCE_LEN] = calloc(N, CONFIG_CRYPTO_NONCE_LEN);
    for (int i = 0; i < N; i++) {
        uint8_t *env;
        size_t len;
        encrypt(c, "x", &env, &len);
        memcpy(nonces[i], env + 1 + CONFIG_CRYPTO_KEY_ID_LEN, CONFIG_CRYPTO_NONCE_LEN);
        free(env);
    }
    qsort(nonces, N, CONFIG_CRYPTO_NONCE_LEN, cmp_nonce);
    for (int i = 1; i < N; i++)
        assert_true(memcmp(nonces[i - 1], nonces[i], CONFIG_CRYPTO_NONCE_LEN) != 0);
    free(nonces);
    config_crypto_free(c);
}

static void test_bad_keys(void **state)
{
    (void)state;
    err_info e = {0};
    assert_null(config_crypto_new(NULL, NULL, &e));
    assert_int_equal(e.kind, ERR_INVALID);
    assert_null(config_crypto_new("c2hvcnQ=", NULL, &e)); /* "short" */
    assert_null(strstr(e.message, "c2hvcnQ"));
    assert_non_null(strstr(e.hint, "openssl rand -base64 32"));
    assert_null(config_crypto_new(KEY1 "AAAA", NULL, &e));
    assert_null(config_crypto_new("!!!!MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmN", NULL, &e));
    assert_null(config_crypto_new(KEY1, KEY2 ",bad", &e));
    assert_non_null(strstr(e.message, "old encryption key"));
    /* URL-safe alphabet and missing padding are accepted */
    config_crypto *c = config_crypto_new("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY", NULL, &e);
    assert_non_null(c);
    config_crypto_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_tamper_and_wrong_row),
        cmocka_unit_test(test_wrong_key_and_rotation),
        cmocka_unit_test(test_nonce_unique),
        cmocka_unit_test(test_bad_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
