// Well-formed Twilio identifiers for tests that never reach Twilio (unit
// tests over a scripted transport, the fuzz targets).
#ifndef PAM_TWILIO_OTP_TESTS_COMMON_TWILIO_TEST_IDS_H_
#define PAM_TWILIO_OTP_TESTS_COMMON_TWILIO_TEST_IDS_H_

namespace twotp_test {

constexpr char kAccount[] = "AC0123456789abcdef0123456789abcdef";
constexpr char kService[] = "VA0123456789abcdef0123456789abcdef";
constexpr char kVerification[] = "VE0123456789abcdef0123456789abcdef";
constexpr char kTo[] = "+15005550006";  // Twilio's magic "valid" test number

}  // namespace twotp_test

#endif  // PAM_TWILIO_OTP_TESTS_COMMON_TWILIO_TEST_IDS_H_
