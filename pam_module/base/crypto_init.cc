#include "base/crypto_init.h"

#include <openssl/crypto.h>

namespace twotp {

void InitCryptoForModule() {
  // A failure here shows again, with OpenSSL's reason, at the first real use.
  (void)OPENSSL_init_crypto(
      OPENSSL_INIT_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, nullptr);
}

}  // namespace twotp
