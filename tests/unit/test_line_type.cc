// twilio/line_type: the Lookup v2 request for a number's line type, what its
// reply is read as, and what enrolment makes of each line type.
#include <string>

#include "twilio/line_type.h"
#include "scripted_transport.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using twotp::Channel;
using twotp::Fault;
using twotp::JudgeLineType;
using twotp::LineType;
using twotp::LineVerdict;

namespace {

struct Rig {
  Rig() { twilio.lookup_url = "https://lookups.example/"; }
  twotp::TwilioConfig twilio;
  twotp::ScriptedTransport transport;
  twotp::Result<LineType> Look(const std::string& number) {
    return twotp::LookUpLineType(twilio, transport, number);
  }
};

void test_the_request_asks_for_the_line_type_of_the_number(void**) {
  Rig rig;
  rig.transport.Reply(200, R"({"phone_number":"+15550104567","valid":true,"line_type_intelligence":)"
                           R"({"type":"mobile","carrier_name":"Example Wireless","error_code":null}})");
  twotp::Result<LineType> line = rig.Look("+15550104567");
  assert_true(line.ok());
  assert_true(line->valid);
  assert_string_equal(line->type.c_str(), "mobile");
  assert_string_equal(line->carrier.c_str(), "Example Wireless");
  assert_string_equal(rig.transport.requests.at(0).method.c_str(), "GET");
  assert_string_equal(rig.transport.requests.at(0).url.c_str(),
                      "https://lookups.example/v2/PhoneNumbers/%2B15550104567?Fields=line_type_intelligence");
}

void test_replies_that_say_nothing_usable(void**) {
  Rig rig;
  rig.transport.Reply(200, R"({"valid":false,"line_type_intelligence":null})");
  twotp::Result<LineType> invalid = rig.Look("+15550104567");
  assert_true(invalid.ok() && !invalid->valid && invalid->type.empty());
  rig.transport.Reply(200, R"({"phone_number":"+15550104567"})");  // no `valid`
  assert_true(rig.Look("+15550104567").status().Is(Fault::kUnavailable));
  rig.transport.Reply(503, "");
  assert_true(rig.Look("+15550104567").status().Is(Fault::kUnavailable));
  rig.transport.Reply(401, R"({"code":20003,"message":"Authenticate","status":401})");
  assert_true(rig.Look("+15550104567").status().Is(Fault::kConfig));
  // A hostile carrier name never reaches a log line as it came.
  rig.transport.Reply(200, "{\"valid\":true,\"line_type_intelligence\":{\"type\":\"mobile\",\"carrier_name\":"
                           "\"evil\\ninjected\"}}");
  twotp::Result<LineType> hostile = rig.Look("+15550104567");
  assert_true(hostile.ok() && hostile->carrier.find('\n') == std::string::npos);
  const size_t before = rig.transport.requests.size();
  assert_true(rig.Look("15550104567").status().Is(Fault::kBadInput));  // not E.164: never sent
  assert_int_equal(rig.transport.requests.size(), before);
}

void test_each_line_type_is_judged_for_the_channel(void**) {
  const struct {
    bool valid;
    const char* type;
    Channel channel;
    LineVerdict verdict;
  } rows[] = {
      {true, "mobile", Channel::kSms, LineVerdict::kFine},
      {true, "landline", Channel::kSms, LineVerdict::kRefuse},
      {true, "landline", Channel::kWhatsapp, LineVerdict::kRefuse},
      {true, "landline", Channel::kCall, LineVerdict::kWarn},
      {true, "nonFixedVoip", Channel::kSms, LineVerdict::kWarn},
      {true, "fixedVoip", Channel::kSms, LineVerdict::kWarn},
      {true, "premium", Channel::kCall, LineVerdict::kRefuse},
      {true, "tollFree", Channel::kSms, LineVerdict::kRefuse},
      {true, "sharedCost", Channel::kCall, LineVerdict::kRefuse},
      {true, "uan", Channel::kCall, LineVerdict::kRefuse},
      {true, "pager", Channel::kSms, LineVerdict::kRefuse},
      {true, "voicemail", Channel::kCall, LineVerdict::kRefuse},
      {true, "personal", Channel::kSms, LineVerdict::kWarn},
      {true, "", Channel::kSms, LineVerdict::kWarn},
      {false, "mobile", Channel::kSms, LineVerdict::kRefuse},
  };
  for (const auto& row : rows) {
    const twotp::LineAdvice advice = JudgeLineType(LineType{row.valid, row.type, ""}, row.channel);
    if (advice.verdict != row.verdict) fail_msg("%s by %s", row.type, twotp::ChannelName(row.channel));
    assert_true(advice.verdict == LineVerdict::kFine || !advice.reason.empty());
  }
  assert_true(JudgeLineType(LineType{true, "landline", ""}, Channel::kSms).reason.find("can't receive SMS") !=
              std::string::npos);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_the_request_asks_for_the_line_type_of_the_number),
      cmocka_unit_test(test_replies_that_say_nothing_usable),
      cmocka_unit_test(test_each_line_type_is_judged_for_the_channel),
  };
  return cmocka_run_group_tests_name("line_type", tests, nullptr, nullptr);
}
