// cmocka for C++ tests: Debian's cmocka.h has no extern "C" guard of its own.
// Include it LAST: cmocka defines macros such as fail() that break the
// standard library headers included after it.
#ifndef PAM_TWILIO_OTP_TESTS_CMOCKA_CXX_H_
#define PAM_TWILIO_OTP_TESTS_CMOCKA_CXX_H_

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {
#include <cmocka.h>
}

#endif  // PAM_TWILIO_OTP_TESTS_CMOCKA_CXX_H_
