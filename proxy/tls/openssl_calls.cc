// Every OpenSSL function faultline calls, defined here and forwarding to the library that
// openssl_library.cc loads on first use (why: openssl_library.h). Hidden: they are this
// binary's own, never exported for a shared library to bind to. A call of OpenSSL's that is
// missing here fails at link time: add it with its declaration from the OpenSSL headers.
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "proxy/tls/openssl_library.h"

// The first call resolves the function and keeps its address for the later ones.
#define FL_OPENSSL(ret, name, params, args)                                              \
  extern "C" __attribute__((visibility("hidden"))) ret name params {                     \
    static const auto real =                                                             \
        reinterpret_cast<ret(*) params>(faultline::proxy::tls::openssl_function(#name)); \
    return real args;                                                                    \
  }

// clang-format off
FL_OPENSSL(BIGNUM *, ASN1_INTEGER_to_BN, (const ASN1_INTEGER *ai, BIGNUM *bn), (ai, bn))
FL_OPENSSL(int, ASN1_TIME_to_tm, (const ASN1_TIME *s, struct tm *tm), (s, tm))
FL_OPENSSL(long, BIO_ctrl, (BIO *bp, int cmd, long larg, void *parg), (bp, cmd, larg, parg))
FL_OPENSSL(size_t, BIO_ctrl_pending, (BIO *b), (b))
FL_OPENSSL(BIO *, BIO_new, (const BIO_METHOD *type), (type))
FL_OPENSSL(int, BIO_read, (BIO *b, void *data, int dlen), (b, data, dlen))
FL_OPENSSL(const BIO_METHOD *, BIO_s_mem, (void), ())
FL_OPENSSL(int, BIO_write, (BIO *b, const void *data, int dlen), (b, data, dlen))
FL_OPENSSL(char *, BN_bn2hex, (const BIGNUM *a), (a))
FL_OPENSSL(void, BN_free, (BIGNUM *a), (a))
FL_OPENSSL(void, CRYPTO_free, (void *ptr, const char *file, int line), (ptr, file, line))
FL_OPENSSL(int, CRYPTO_get_ex_new_index, (int class_index, long argl, void *argp, CRYPTO_EX_new *new_func, CRYPTO_EX_dup *dup_func, CRYPTO_EX_free *free_func), (class_index, argl, argp, new_func, dup_func, free_func))
FL_OPENSSL(void, ERR_clear_error, (void), ())
FL_OPENSSL(void, ERR_error_string_n, (unsigned long e, char *buf, size_t len), (e, buf, len))
FL_OPENSSL(unsigned long, ERR_peek_last_error, (void), ())
FL_OPENSSL(void, EVP_PKEY_free, (EVP_PKEY *pkey), (pkey))
FL_OPENSSL(void, OPENSSL_sk_pop_free, (OPENSSL_STACK *st, void (*func)(void *)), (st, func))
FL_OPENSSL(EVP_PKEY *, PEM_read_PrivateKey, (FILE *out, EVP_PKEY **x, pem_password_cb *cb, void *u), (out, x, cb, u))
FL_OPENSSL(int, SSL_CTX_check_private_key, (const SSL_CTX *ctx), (ctx))
FL_OPENSSL(long, SSL_CTX_ctrl, (SSL_CTX *ctx, int cmd, long larg, void *parg), (ctx, cmd, larg, parg))
FL_OPENSSL(void, SSL_CTX_free, (SSL_CTX * a0), (a0))
FL_OPENSSL(X509 *, SSL_CTX_get0_certificate, (const SSL_CTX *ctx), (ctx))
FL_OPENSSL(void *, SSL_CTX_get_ex_data, (const SSL_CTX *ssl, int idx), (ssl, idx))
FL_OPENSSL(int, SSL_CTX_load_verify_locations, (SSL_CTX *ctx, const char *CAfile, const char *CApath), (ctx, CAfile, CApath))
FL_OPENSSL(SSL_CTX *, SSL_CTX_new, (const SSL_METHOD *meth), (meth))
FL_OPENSSL(void, SSL_CTX_sess_set_new_cb, (SSL_CTX *ctx, int (*new_session_cb)(struct ssl_st *ssl, SSL_SESSION *sess)), (ctx, new_session_cb))
FL_OPENSSL(int, SSL_CTX_set_alpn_protos, (SSL_CTX *ctx, const unsigned char *protos, unsigned int protos_len), (ctx, protos, protos_len))
FL_OPENSSL(void, SSL_CTX_set_alpn_select_cb, (SSL_CTX *ctx, SSL_CTX_alpn_select_cb_func cb, void *arg), (ctx, cb, arg))
FL_OPENSSL(int, SSL_CTX_set_cipher_list, (SSL_CTX * a0, const char *str), (a0, str))
FL_OPENSSL(void, SSL_CTX_set_client_CA_list, (SSL_CTX *ctx, struct stack_st_X509_NAME *name_list), (ctx, name_list))
FL_OPENSSL(void, SSL_CTX_set_client_hello_cb, (SSL_CTX *c, SSL_client_hello_cb_fn cb, void *arg), (c, cb, arg))
FL_OPENSSL(int, SSL_CTX_set_default_verify_paths, (SSL_CTX *ctx), (ctx))
FL_OPENSSL(int, SSL_CTX_set_ex_data, (SSL_CTX *ssl, int idx, void *data), (ssl, idx, data))
FL_OPENSSL(int, SSL_CTX_set_num_tickets, (SSL_CTX *ctx, size_t num_tickets), (ctx, num_tickets))
FL_OPENSSL(uint64_t, SSL_CTX_set_options, (SSL_CTX *ctx, uint64_t op), (ctx, op))
FL_OPENSSL(void, SSL_CTX_set_verify, (SSL_CTX *ctx, int mode, SSL_verify_cb callback), (ctx, mode, callback))
FL_OPENSSL(int, SSL_CTX_use_PrivateKey_file, (SSL_CTX *ctx, const char *file, int type), (ctx, file, type))
FL_OPENSSL(int, SSL_CTX_use_certificate_chain_file, (SSL_CTX *ctx, const char *file), (ctx, file))
FL_OPENSSL(void, SSL_SESSION_free, (SSL_SESSION *ses), (ses))
FL_OPENSSL(int, SSL_SESSION_is_resumable, (const SSL_SESSION *s), (s))
FL_OPENSSL(int, SSL_SESSION_up_ref, (SSL_SESSION *ses), (ses))
FL_OPENSSL(int, SSL_client_hello_get0_ext, (SSL *s, unsigned int type, const unsigned char **out, size_t *outlen), (s, type, out, outlen))
FL_OPENSSL(long, SSL_ctrl, (SSL *ssl, int cmd, long larg, void *parg), (ssl, cmd, larg, parg))
FL_OPENSSL(int, SSL_do_handshake, (SSL *s), (s))
FL_OPENSSL(void, SSL_free, (SSL *ssl), (ssl))
FL_OPENSSL(void, SSL_get0_alpn_selected, (const SSL *ssl, const unsigned char **data, unsigned int *len), (ssl, data, len))
FL_OPENSSL(X509_VERIFY_PARAM *, SSL_get0_param, (SSL *ssl), (ssl))
FL_OPENSSL(const char *, SSL_get0_peername, (SSL *s), (s))
FL_OPENSSL(SSL_CTX *, SSL_get_SSL_CTX, (const SSL *ssl), (ssl))
FL_OPENSSL(int, SSL_get_error, (const SSL *s, int ret_code), (s, ret_code))
FL_OPENSSL(void *, SSL_get_ex_data, (const SSL *ssl, int idx), (ssl, idx))
FL_OPENSSL(const char *, SSL_get_servername, (const SSL *s, const int type), (s, type))
FL_OPENSSL(int, SSL_get_shutdown, (const SSL *ssl), (ssl))
FL_OPENSSL(long, SSL_get_verify_result, (const SSL *ssl), (ssl))
FL_OPENSSL(struct stack_st_X509_NAME *, SSL_load_client_CA_file, (const char *file), (file))
FL_OPENSSL(SSL *, SSL_new, (SSL_CTX *ctx), (ctx))
FL_OPENSSL(int, SSL_pending, (const SSL *s), (s))
FL_OPENSSL(int, SSL_read, (SSL *ssl, void *buf, int num), (ssl, buf, num))
FL_OPENSSL(int, SSL_select_next_proto, (unsigned char **out, unsigned char *outlen, const unsigned char *in, unsigned int inlen, const unsigned char *client, unsigned int client_len), (out, outlen, in, inlen, client, client_len))
FL_OPENSSL(int, SSL_session_reused, (const SSL *s), (s))
FL_OPENSSL(int, SSL_set1_host, (SSL *s, const char *hostname), (s, hostname))
FL_OPENSSL(void, SSL_set_accept_state, (SSL *s), (s))
FL_OPENSSL(int, SSL_set_alpn_protos, (SSL *ssl, const unsigned char *protos, unsigned int protos_len), (ssl, protos, protos_len))
FL_OPENSSL(void, SSL_set_bio, (SSL *s, BIO *rbio, BIO *wbio), (s, rbio, wbio))
FL_OPENSSL(void, SSL_set0_wbio, (SSL *s, BIO *wbio), (s, wbio))
FL_OPENSSL(void, SSL_set_connect_state, (SSL *s), (s))
FL_OPENSSL(int, SSL_set_ex_data, (SSL *ssl, int idx, void *data), (ssl, idx, data))
FL_OPENSSL(int, SSL_set_session, (SSL *to, SSL_SESSION *session), (to, session))
FL_OPENSSL(void, SSL_set_shutdown, (SSL *ssl, int mode), (ssl, mode))
FL_OPENSSL(int, SSL_shutdown, (SSL *s), (s))
FL_OPENSSL(int, SSL_write, (SSL *ssl, const void *buf, int num), (ssl, buf, num))
FL_OPENSSL(const SSL_METHOD *, TLS_client_method, (void), ())
FL_OPENSSL(const SSL_METHOD *, TLS_server_method, (void), ())
FL_OPENSSL(void, X509_NAME_free, (X509_NAME *a), (a))
FL_OPENSSL(int, X509_VERIFY_PARAM_set1_ip_asc, (X509_VERIFY_PARAM *param, const char *ipasc), (param, ipasc))
FL_OPENSSL(const ASN1_TIME *, X509_get0_notAfter, (const X509 *x), (x))
FL_OPENSSL(const ASN1_INTEGER *, X509_get0_serialNumber, (const X509 *x), (x))
FL_OPENSSL(const char *, X509_verify_cert_error_string, (long n), (n))
// clang-format on
