// The module loads none of libcrypto's error texts at start (a login that
// works prints none: base/crypto_init.h); an error that reaches an
// administrator must still read as words, not "reason(136)". A program of
// its own, so that nothing has set OpenSSL up before, as in a real login.
#include <string>

#include "base/crypto_init.h"
#include "temp_files.h"
#include "twilio/tls_connection.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;

static void test_a_ca_file_that_is_not_pem_is_named_in_words(void**) {
  InitCryptoForModule();
  twotp_test::TempDir dir;
  assert_true(dir.Create("twotp-openssl-texts"));
  const std::string not_pem = dir.Write("not_a_ca.pem", "hello\n", 0600);
  const Result<TlsContext> made = TlsContext::Create(not_pem, "");
  assert_false(made.ok());
  const std::string message = made.status().message();
  if (message.find("no certificate or crl found") == std::string::npos) fail_msg("%s", message.c_str());
  dir.Remove();
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_ca_file_that_is_not_pem_is_named_in_words),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
