// OpenSSL's one-time setup, as a PAM module wants it.
#ifndef PAM_TWILIO_OTP_CRYPTO_INIT_H_
#define PAM_TWILIO_OTP_CRYPTO_INIT_H_

namespace twotp {

// Initialises libcrypto (system openssl.cnf included, so a FIPS or crypto
// policy there still applies) without registering OpenSSL's exit handler:
// that handler frees every provider, name map and cache at the process's
// exit, about 1.8 M instructions of each sudo, su and sshd for memory the
// kernel frees anyway. libcrypto pins itself in memory, so nothing is left
// dangling when libpam unloads the module. It must run before any other
// OpenSSL call of the process to count; when the process (sshd) set OpenSSL
// up first, its choice stands. Safe to call more than once.
//
// Nor does it load the texts of libcrypto's errors (another 0.9 M): a login
// that works never prints one. twilio/tls_connection.cc, which prints them,
// loads them when one is to be printed.
void InitCryptoForModule();

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_CRYPTO_INIT_H_
