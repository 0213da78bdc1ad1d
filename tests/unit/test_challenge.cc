// twilio/challenge: the three challenges as MakeChallenge builds them
// (twilio/messaging_challenge, twilio/verify_challenge and, with
// twilio.verify_custom_code, twilio/verify_custom_code_challenge, through the
// Challenge interface) over the real TwilioClient, a scripted transport and a
// fake clock: expiry, single use, local refusal of malformed codes, the
// cancel of an abandoned verification, and a custom code's feedback.
#include <chrono>
#include <string>

#include "twilio/challenge.h"
#include "fake_clock.h"
#include "scripted_transport.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;
using std::chrono::seconds;

namespace {

constexpr char kVerification[] = "VE0123456789abcdef0123456789abcdef";
constexpr char kTo[] = "+15550104567";
const ChallengeContext kContext{"alice", "sudo", "bastion", "", "systemctl restart nginx"};

const std::string kStarted =
    std::string(R"({"sid":")") + kVerification + R"(","status":"pending","channel":"sms","to":"+15550104567"})";
const std::string kApproved =
    std::string(R"({"sid":")") + kVerification + R"(","status":"approved","valid":true})";
const std::string kMessage = R"({"sid":"SM0123456789abcdef0123456789abcdef","status":"queued"})";
const std::string kCall = R"({"sid":"CA0123456789abcdef0123456789abcdef","status":"queued"})";

struct Rig {
  explicit Rig(Mode mode, bool custom_code = false) {
    config.twilio.mode = mode;
    config.twilio.verify_custom_code = custom_code;
    config.twilio.account_sid = "AC0123456789abcdef0123456789abcdef";
    config.twilio.verify_service_sid = "VA0123456789abcdef0123456789abcdef";
    config.twilio.from = "+15005550006";
    config.policy.code_ttl = 300;
    config.policy.message = "{code} approves {command} on {host}";
  }
  Config config;
  ScriptedTransport transport;
  FakeClock clock;
  TwilioClient client{config.twilio, transport, clock};

  std::unique_ptr<Challenge> Make() { return MakeChallenge(config, client, clock); }
  // The code a messaging-mode send put in the SMS body (the digits before " approves").
  std::string SentCode() const {
    const std::string& body = transport.requests.back()["Body"];
    return body.substr(0, body.find(' '));
  }
};

void test_messaging_code_passes_once(void**) {
  Rig rig(Mode::kMessaging);
  auto challenge = rig.Make();
  rig.transport.Reply(201, kMessage);
  assert_true(challenge->Send(kTo, Channel::kSms, kContext).ok());
  const std::string code = rig.SentCode();
  assert_int_equal(code.size(), 6);
  assert_string_equal(rig.transport.requests[0]["Body"].c_str(),
                      (code + " approves systemctl restart nginx on bastion").c_str());
  assert_int_equal(challenge->Check(Secret(code)).value(), CheckOutcome::kApproved);
  // Single use: the same code again finds nothing pending.
  assert_true(challenge->Check(Secret(code)).status().Is(Fault::kCodeDead));
}

void test_messaging_code_expires_after_ttl(void**) {
  Rig rig(Mode::kMessaging);
  auto challenge = rig.Make();
  rig.transport.Reply(201, kMessage);
  assert_true(challenge->Send(kTo, Channel::kSms, kContext).ok());
  const std::string code = rig.SentCode();
  rig.clock.Advance(seconds(301));
  assert_true(challenge->Check(Secret(code)).status().Is(Fault::kCodeDead));
}

void test_messaging_code_within_ttl_passes(void**) {
  Rig rig(Mode::kMessaging);
  auto challenge = rig.Make();
  rig.transport.Reply(201, kMessage);
  assert_true(challenge->Send(kTo, Channel::kSms, kContext).ok());
  rig.clock.Advance(seconds(299));
  assert_int_equal(challenge->Check(Secret(rig.SentCode())).value(), CheckOutcome::kApproved);
}

void test_messaging_wrong_or_malformed_code_is_wrong(void**) {
  Rig rig(Mode::kMessaging);
  auto challenge = rig.Make();
  rig.transport.Reply(201, kMessage);
  assert_true(challenge->Send(kTo, Channel::kSms, kContext).ok());
  std::string wrong = rig.SentCode();
  wrong[0] = static_cast<char>('0' + (wrong[0] - '0' + 1) % 10);
  for (const std::string& typed : {wrong, rig.SentCode() + "0", std::string("abcdef"), std::string()}) {
    assert_int_equal(challenge->Check(Secret(typed)).value(), CheckOutcome::kWrongCode);
  }
  assert_int_equal(challenge->Check(Secret(rig.SentCode())).value(), CheckOutcome::kApproved);
}

void test_messaging_resend_replaces_the_code(void**) {
  Rig rig(Mode::kMessaging);
  auto challenge = rig.Make();
  rig.transport.Reply(201, kMessage);
  rig.transport.Reply(201, kMessage);
  assert_true(challenge->Send(kTo, Channel::kSms, kContext).ok());
  const std::string first = rig.SentCode();
  assert_true(challenge->Send(kTo, Channel::kSms, kContext).ok());
  const std::string second = rig.SentCode();
  if (first != second) {
    assert_int_equal(challenge->Check(Secret(first)).value(), CheckOutcome::kWrongCode);
  }
  assert_int_equal(challenge->Check(Secret(second)).value(), CheckOutcome::kApproved);
}

void test_messaging_call_speaks_the_code(void**) {
  Rig rig(Mode::kMessaging);
  auto challenge = rig.Make();
  rig.transport.Reply(201, kCall);
  assert_true(challenge->Send(kTo, Channel::kCall, kContext).ok());
  const auto& sent = rig.transport.requests[0];
  assert_true(sent.url.ends_with("/Calls.json"));
  assert_true(sent["Twiml"].find("Your verification code is ") != std::string::npos);
}

void test_messaging_failed_send_leaves_nothing_pending(void**) {
  Rig rig(Mode::kMessaging);
  auto challenge = rig.Make();
  rig.transport.Reply(503, "");
  assert_true(challenge->Send(kTo, Channel::kSms, kContext).Is(Fault::kUnavailable));
  assert_true(challenge->Check(Secret("123456")).status().Is(Fault::kCodeDead));
}

void test_messaging_refuses_whatsapp(void**) {
  Rig rig(Mode::kMessaging);
  auto challenge = rig.Make();
  assert_true(challenge->Send(kTo, Channel::kWhatsapp, kContext).Is(Fault::kBadInput));
  assert_true(rig.transport.requests.empty());
}

void test_verify_malformed_codes_never_spend_a_check(void**) {
  Rig rig(Mode::kVerify);
  auto challenge = rig.Make();
  rig.transport.Reply(201, kStarted);
  assert_true(challenge->Send(kTo, Channel::kSms, kContext).ok());
  for (const char* typed : {"123", "12345678901", "12a456", "", "１２３４"}) {
    assert_int_equal(challenge->Check(Secret(typed)).value(), CheckOutcome::kWrongCode);
  }
  assert_int_equal(rig.transport.requests.size(), 1);  // only the start went out
  rig.transport.Reply(200, kApproved);
  assert_int_equal(challenge->Check(Secret("123456")).value(), CheckOutcome::kApproved);
  assert_string_equal(rig.transport.requests[1]["VerificationSid"].c_str(), kVerification);
}

void test_verify_code_older_than_ttl_is_dead_and_canceled(void**) {
  Rig rig(Mode::kVerify);
  auto challenge = rig.Make();
  rig.transport.Reply(201, kStarted);
  assert_true(challenge->Send(kTo, Channel::kSms, kContext).ok());
  rig.clock.Advance(seconds(301));
  rig.transport.Reply(200, std::string(R"({"sid":")") + kVerification + R"(","status":"canceled"})");
  assert_true(challenge->Check(Secret("123456")).status().Is(Fault::kCodeDead));
  assert_int_equal(rig.transport.requests.size(), 2);
  assert_string_equal(rig.transport.requests[1]["Status"].c_str(), "canceled");
}

void test_verify_abandoned_challenge_cancels_once(void**) {
  Rig rig(Mode::kVerify);
  {
    auto challenge = rig.Make();
    rig.transport.Reply(201, kStarted);
    assert_true(challenge->Send(kTo, Channel::kSms, kContext).ok());
    rig.transport.Reply(200, std::string(R"({"sid":")") + kVerification + R"(","status":"canceled"})");
  }  // destroyed while pending: cancels
  assert_int_equal(rig.transport.requests.size(), 2);
  assert_true(rig.transport.requests[1].url.ends_with(std::string("/Verifications/") + kVerification));
}

void test_verify_approved_challenge_is_not_canceled(void**) {
  Rig rig(Mode::kVerify);
  {
    auto challenge = rig.Make();
    rig.transport.Reply(201, kStarted);
    rig.transport.Reply(200, kApproved);
    assert_true(challenge->Send(kTo, Channel::kSms, kContext).ok());
    assert_int_equal(challenge->Check(Secret("123456")).value(), CheckOutcome::kApproved);
  }
  assert_int_equal(rig.transport.requests.size(), 2);  // start and check, no cancel
}

void test_messaging_parallel_login_adopts_the_pending_code(void**) {
  Rig rig(Mode::kMessaging);
  auto first = rig.Make();
  rig.transport.Reply(201, kMessage);
  assert_true(first->Send(kTo, Channel::kSms, kContext).ok());
  const PendingCode shared = first->Export(rig.clock.WallNow());
  assert_false(shared.empty());
  assert_true(shared.mac_hex.find(rig.SentCode()) == std::string::npos);

  auto second = rig.Make();
  rig.clock.Advance(seconds(60));
  assert_true(second->Adopt(shared).ok());
  assert_int_equal(second->Check(Secret(rig.SentCode())).value(), CheckOutcome::kApproved);
  assert_int_equal(rig.transport.requests.size(), 1);  // one SMS for both logins
}

void test_stale_or_foreign_pending_code_is_not_adopted(void**) {
  Rig rig(Mode::kMessaging);
  auto first = rig.Make();
  rig.transport.Reply(201, kMessage);
  assert_true(first->Send(kTo, Channel::kSms, kContext).ok());
  PendingCode shared = first->Export(rig.clock.WallNow());
  rig.clock.Advance(seconds(301));
  assert_true(rig.Make()->Adopt(shared).Is(Fault::kCodeDead));

  PendingCode broken = first->Export(rig.clock.WallNow());
  broken.mac_hex = "zz";
  assert_true(rig.Make()->Adopt(broken).Is(Fault::kCodeDead));

  PendingCode sid_only;  // a verify-mode record means nothing to messaging mode
  sid_only.verification_sid = kVerification;
  sid_only.sent_at = rig.clock.WallNow();
  assert_true(rig.Make()->Adopt(sid_only).Is(Fault::kCodeDead));
}

void test_verify_parallel_login_checks_the_same_verification(void**) {
  Rig rig(Mode::kVerify);
  auto first = rig.Make();
  rig.transport.Reply(201, kStarted);
  assert_true(first->Send(kTo, Channel::kCall, kContext).ok());
  const PendingCode shared = first->Export(rig.clock.WallNow());
  assert_string_equal(shared.verification_sid.c_str(), kVerification);
  assert_string_equal(shared.channel.c_str(), "call");

  auto second = rig.Make();
  assert_true(second->Adopt(shared).ok());
  rig.transport.Reply(200, kApproved);
  assert_int_equal(second->Check(Secret("123456")).value(), CheckOutcome::kApproved);
  assert_string_equal(rig.transport.requests.back()["VerificationSid"].c_str(), kVerification);
  first->Abandon();  // the first login gives up: its cancel must not break the second's success
}

// A code a login that is gone left behind: cancelled by its SID, before the
// next send, without this challenge taking it over; its own code is never
// cancelled this way. Messaging mode has nothing to call.
void test_cancel_ends_a_verification_left_behind(void**) {
  Rig rig(Mode::kVerify);
  auto next = rig.Make();
  PendingCode left;
  left.verification_sid = kVerification;
  left.sent_at = rig.clock.WallNow();
  rig.transport.Reply(200, std::string(R"({"sid":")") + kVerification + R"(","status":"canceled"})");
  next->Cancel(left);
  assert_int_equal(rig.transport.requests.size(), 1);
  assert_true(rig.transport.requests[0].url.ends_with(std::string("/Verifications/") + kVerification));
  assert_string_equal(rig.transport.requests[0]["Status"].c_str(), "canceled");
  assert_true(next->Export(rig.clock.WallNow()).empty());  // not taken over

  rig.transport.Reply(201, kStarted);
  assert_true(next->Send(kTo, Channel::kSms, kContext).ok());
  next->Cancel(next->Export(rig.clock.WallNow()));  // its own: untouched
  next->Cancel(PendingCode{});
  assert_int_equal(rig.transport.requests.size(), 2);

  Rig messaging(Mode::kMessaging);
  messaging.Make()->Cancel(left);
  assert_true(messaging.transport.requests.empty());
}

// Verify with a custom code: the module's code goes out as CustomCode, is
// checked here (Twilio never sees a check), and the outcome is reported.
Rig CustomCodeRig() { return Rig(Mode::kVerify, /*custom_code=*/true); }
const std::string kCanceled = std::string(R"({"sid":")") + kVerification + R"(","status":"canceled"})";

void test_custom_code_is_sent_checked_here_and_reported_approved(void**) {
  Rig rig = CustomCodeRig();
  auto challenge = rig.Make();
  rig.transport.Reply(201, kStarted);
  assert_true(challenge->Send(kTo, Channel::kSms, kContext).ok());
  const auto& start = rig.transport.requests[0];
  assert_true(start.url.ends_with("/Verifications"));
  const std::string code = start["CustomCode"];
  assert_int_equal(code.size(), 6);
  assert_true(code.find_first_not_of("0123456789") == std::string::npos);

  std::string wrong = code;
  wrong[0] = static_cast<char>('0' + (wrong[0] - '0' + 1) % 10);
  for (const std::string& typed : {wrong, code + "0", std::string("abcdef")}) {
    assert_int_equal(challenge->Check(Secret(typed)).value(), CheckOutcome::kWrongCode);
  }
  assert_int_equal(rig.transport.requests.size(), 1);  // wrong codes never reach Twilio

  rig.transport.Reply(200, std::string(R"({"sid":")") + kVerification + R"(","status":"approved"})");
  assert_int_equal(challenge->Check(Secret(code)).value(), CheckOutcome::kApproved);
  assert_int_equal(rig.transport.requests.size(), 2);
  const auto& feedback = rig.transport.requests[1];
  assert_true(feedback.url.ends_with(std::string("/Verifications/") + kVerification));
  assert_string_equal(feedback["Status"].c_str(), "approved");
  assert_false(feedback.Has("Code"));
  assert_true(challenge->Check(Secret(code)).status().Is(Fault::kCodeDead));  // single use
  challenge.reset();
  assert_int_equal(rig.transport.requests.size(), 2);  // approved: nothing to cancel
}

void test_custom_code_feedback_that_fails_still_approves(void**) {
  Rig rig = CustomCodeRig();
  auto challenge = rig.Make();
  rig.transport.Reply(201, kStarted);
  assert_true(challenge->Send(kTo, Channel::kSms, kContext).ok());
  rig.transport.Reply(503, "");
  assert_int_equal(challenge->Check(Secret(rig.transport.requests[0]["CustomCode"])).value(),
                   CheckOutcome::kApproved);
}

void test_custom_code_given_up_or_expired_is_reported_canceled(void**) {
  Rig rig = CustomCodeRig();
  {
    auto challenge = rig.Make();
    rig.transport.Reply(201, kStarted);
    assert_true(challenge->Send(kTo, Channel::kSms, kContext).ok());
    rig.transport.Reply(200, kCanceled);
  }  // the login gave up (attempts used up, Ctrl-C)
  assert_int_equal(rig.transport.requests.size(), 2);
  assert_string_equal(rig.transport.requests[1]["Status"].c_str(), "canceled");

  auto challenge = rig.Make();
  rig.transport.Reply(201, kStarted);
  assert_true(challenge->Send(kTo, Channel::kSms, kContext).ok());
  const std::string code = rig.transport.requests[2]["CustomCode"];
  rig.clock.Advance(seconds(301));
  rig.transport.Reply(200, kCanceled);
  assert_true(challenge->Check(Secret(code)).status().Is(Fault::kCodeDead));
  assert_int_equal(rig.transport.requests.size(), 4);
  assert_string_equal(rig.transport.requests[3]["Status"].c_str(), "canceled");
}

// A resend is a new code: the old verification is ended first, so Twilio
// can't hand it back, and only the new code passes.
void test_custom_code_resend_ends_the_old_verification(void**) {
  Rig rig = CustomCodeRig();
  auto challenge = rig.Make();
  const std::string second_sid = "VE0123456789abcdef0123456789abcdee";
  rig.transport.Reply(201, kStarted);
  rig.transport.Reply(200, kCanceled);
  rig.transport.Reply(201, std::string(R"({"sid":")") + second_sid + R"(","status":"pending"})");
  assert_true(challenge->Send(kTo, Channel::kSms, kContext).ok());
  assert_true(challenge->Send(kTo, Channel::kCall, kContext).ok());
  assert_int_equal(rig.transport.requests.size(), 3);
  assert_string_equal(rig.transport.requests[1]["Status"].c_str(), "canceled");
  assert_true(rig.transport.requests[1].url.ends_with(kVerification));
  assert_string_equal(rig.transport.requests[2]["Channel"].c_str(), "call");
  const std::string first = rig.transport.requests[0]["CustomCode"];
  const std::string second = rig.transport.requests[2]["CustomCode"];
  if (first != second) {
    assert_int_equal(challenge->Check(Secret(first)).value(), CheckOutcome::kWrongCode);
  }
  rig.transport.Reply(200, "{}");
  assert_int_equal(challenge->Check(Secret(second)).value(), CheckOutcome::kApproved);
  assert_true(rig.transport.requests.back().url.ends_with(second_sid));
  assert_string_equal(rig.transport.requests.back()["Status"].c_str(), "approved");
}

// A parallel login shares the code as both halves: the verification to
// report on and the HMAC to check against. Half a record is not adopted.
void test_custom_code_parallel_login_needs_both_halves(void**) {
  Rig rig = CustomCodeRig();
  auto first = rig.Make();
  rig.transport.Reply(201, kStarted);
  assert_true(first->Send(kTo, Channel::kSms, kContext).ok());
  const std::string code = rig.transport.requests[0]["CustomCode"];
  const PendingCode shared = first->Export(rig.clock.WallNow());
  assert_string_equal(shared.verification_sid.c_str(), kVerification);
  assert_false(shared.mac_hex.empty());
  assert_true(shared.mac_hex.find(code) == std::string::npos);

  PendingCode sid_only = shared;
  sid_only.mac_hex.clear();
  assert_true(rig.Make()->Adopt(sid_only).Is(Fault::kCodeDead));
  PendingCode mac_only = shared;
  mac_only.verification_sid.clear();
  assert_true(rig.Make()->Adopt(mac_only).Is(Fault::kCodeDead));

  auto second = rig.Make();
  assert_true(second->Adopt(shared).ok());
  rig.transport.Reply(200, "{}");
  assert_int_equal(second->Check(Secret(code)).value(), CheckOutcome::kApproved);
  assert_string_equal(rig.transport.requests.back()["Status"].c_str(), "approved");
  assert_int_equal(rig.transport.requests.size(), 2);  // one start for both logins
  first->Forget();
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_messaging_code_passes_once),
      cmocka_unit_test(test_messaging_code_expires_after_ttl),
      cmocka_unit_test(test_messaging_code_within_ttl_passes),
      cmocka_unit_test(test_messaging_wrong_or_malformed_code_is_wrong),
      cmocka_unit_test(test_messaging_resend_replaces_the_code),
      cmocka_unit_test(test_messaging_call_speaks_the_code),
      cmocka_unit_test(test_messaging_failed_send_leaves_nothing_pending),
      cmocka_unit_test(test_messaging_refuses_whatsapp),
      cmocka_unit_test(test_verify_malformed_codes_never_spend_a_check),
      cmocka_unit_test(test_verify_code_older_than_ttl_is_dead_and_canceled),
      cmocka_unit_test(test_verify_abandoned_challenge_cancels_once),
      cmocka_unit_test(test_cancel_ends_a_verification_left_behind),
      cmocka_unit_test(test_verify_approved_challenge_is_not_canceled),
      cmocka_unit_test(test_messaging_parallel_login_adopts_the_pending_code),
      cmocka_unit_test(test_stale_or_foreign_pending_code_is_not_adopted),
      cmocka_unit_test(test_verify_parallel_login_checks_the_same_verification),
      cmocka_unit_test(test_custom_code_is_sent_checked_here_and_reported_approved),
      cmocka_unit_test(test_custom_code_feedback_that_fails_still_approves),
      cmocka_unit_test(test_custom_code_given_up_or_expired_is_reported_canceled),
      cmocka_unit_test(test_custom_code_resend_ends_the_old_verification),
      cmocka_unit_test(test_custom_code_parallel_login_needs_both_halves),
  };
  return cmocka_run_group_tests_name("challenge", tests, nullptr, nullptr);
}
