// Contract test driver: makes every request the module can make, through
// the production HttpsTransport (TLS included), against Twilio's OpenAPI
// specs served by a validating mock (Prism behind a TLS front, see run.sh).
//
//   contract_client VERIFY_URL API_URL CA_FILE LOOKUP_URL
//
// A request breaks the contract when the mock answers >= 400 (401 no auth,
// 415 not a form, 422 a parameter missing or malformed, 404 unknown path) or
// does not answer. A 2xx whose example body our typed parser does not accept
// is noted but passes: the examples are Twilio's, not the contract.
// Exit status 0 when every request passed, 1 otherwise, 2 on bad usage.
#include <cstdio>
#include <exception>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "twilio/https_transport.h"
#include "twilio/account_reader.h"
#include "twilio/challenge.h"
#include "twilio/line_type.h"
#include "twilio/rate_limits.h"
#include "twilio/totp_factors.h"
#include "twilio/twilio_client.h"
#include "twilio/verification_details.h"

using namespace twotp;

namespace {

constexpr char kTo[] = "+15005550006";

// Forwards to the real transport and remembers what the last reply was, so
// the driver can judge the HTTP status without the client exposing it.
class RecordingTransport : public HttpTransport {
 public:
  explicit RecordingTransport(HttpTransport& inner) : inner_(inner) {}

  Result<HttpResponse> PostForm(const std::string& url, const Form& form) override {
    return Note(inner_.PostForm(url, form));
  }
  Result<HttpResponse> Get(const std::string& url) override { return Note(inner_.Get(url)); }
  Result<HttpResponse> Delete(const std::string& url) override { return Note(inner_.Delete(url)); }
  std::chrono::milliseconds budget_left() const override { return inner_.budget_left(); }
  void Spend(std::chrono::milliseconds d) override { inner_.Spend(d); }

  void Forget() {
    last_status_.reset();
    last_error_body_.clear();
  }
  const std::optional<long>& last_status() const { return last_status_; }
  const std::string& last_error_body() const { return last_error_body_; }

 private:
  // Keeps the status of `reply`, and its body when it is an error: only error
  // bodies are kept, they are the mock's explanation, never ours.
  Result<HttpResponse> Note(Result<HttpResponse> reply) {
    last_status_ = reply.ok() ? std::optional<long>(reply->status) : std::nullopt;
    last_error_body_ = reply.ok() && reply->status >= 400 ? reply->body : "";
    return reply;
  }
  HttpTransport& inner_;
  std::optional<long> last_status_;
  std::string last_error_body_;
};

// What Prism says is wrong: its problem+json detail and validation messages.
std::string Explain(const std::string& body) {
  try {
    const nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
    if (!json.is_object()) return body.substr(0, 200);
    std::string out = json.value("title", std::string());
    if (json.contains("validation") && json["validation"].is_array()) {
      for (const auto& v : json["validation"]) {
        if (v.is_object()) out += "; " + v.value("message", std::string());
      }
    } else {
      out += ": " + json.value("detail", std::string());
    }
    return out;
  } catch (const std::exception&) {
    return body.substr(0, 200);
  }
}

TwilioConfig BaseConfig(const std::string& verify_url, const std::string& api_url, const std::string& lookup_url) {
  TwilioConfig twilio;
  twilio.account_sid = "AC0123456789abcdef0123456789abcdef";
  twilio.verify_service_sid = "VA0123456789abcdef0123456789abcdef";
  twilio.messaging_service_sid = "MG0123456789abcdef0123456789abcdef";
  twilio.from = "+15005550006";
  twilio.locale = "en";
  twilio.friendly_name = "pam_twilio_otp test";
  twilio.verify_url = verify_url;
  twilio.api_url = api_url;
  twilio.lookup_url = lookup_url;
  return twilio;
}

struct Case {
  std::string name;
  const TwilioConfig* twilio;
  std::function<Status(TwilioClient&)> run;
};

template <typename T>
Status StatusOf(const Result<T>& result) {
  return result.ok() ? Status::Ok() : result.status();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s VERIFY_URL API_URL CA_FILE LOOKUP_URL\n", argv[0]);
    return 2;
  }
  try {
    const TwilioConfig full = BaseConfig(argv[1], argv[2], argv[4]);
    const TwilioConfig bare = [&full] {  // no Locale, no friendly name, From instead of a Messaging Service
      TwilioConfig twilio = full;
      twilio.locale.clear();
      twilio.friendly_name.clear();
      twilio.messaging_service_sid.clear();
      return twilio;
    }();
    // Every optional detail of a verification (twilio/verification_details.h).
    const TwilioConfig detailed = [&full] {
      TwilioConfig twilio = full;
      twilio.amount = "{command}";
      twilio.payee = "{user}@{host}";
      twilio.template_sid = "HJ" + std::string(32, 'a');
      twilio.template_substitutions = {{"host", "{host}"}, {"command", "{command}"}};
      return twilio;
    }();
    const ChallengeContext sudo_login{"alice", "sudo", "bastion", "203.0.113.7", "/usr/bin/apt update"};

    TransportOptions options;
    options.ca_file = argv[3];
    options.total_budget = std::chrono::seconds(120);
    HttpsTransport https(options, full.account_sid, Secret("contract-test-token"), DefaultClock());
    RecordingTransport transport(https);

    // The check and the cancel use the SID the mock handed out, when it did.
    std::string sid = "VEffffffffffffffffffffffffffffffff";
    std::vector<Case> cases;
    for (Channel channel : {Channel::kSms, Channel::kCall, Channel::kWhatsapp}) {
      for (const TwilioConfig* twilio : {&full, &bare}) {
        cases.push_back({std::string("verify_start_") + ChannelName(channel) +
                             (twilio == &full ? "_with_locale_and_friendly_name" : "_plain"),
                         twilio, [channel, &sid](TwilioClient& client) {
                           Result<Verification> started = client.StartVerification(kTo, channel);
                           if (started.ok()) sid = started->sid;
                           return StatusOf(started);
                         }});
      }
    }
    cases.push_back({"verify_start_email", &full, [](TwilioClient& client) {
                       return StatusOf(client.StartVerification("alice@example.com", Channel::kEmail));
                     }});
    cases.push_back({"verify_start_with_every_detail", &detailed, [&](TwilioClient& client) {
                       return StatusOf(client.StartVerification(kTo, Channel::kSms,
                                                                VerificationDetails(detailed, sudo_login)));
                     }});
    // The keys of the service's rate limits (twilio.rate_limits), and the
    // setup that makes the limits and their buckets (rate_limits.h).
    const TwilioConfig rate_limited = [&full] {
      TwilioConfig twilio = full;
      twilio.rate_limits = true;
      return twilio;
    }();
    cases.push_back({"verify_start_with_rate_limits", &rate_limited, [&](TwilioClient& client) {
                       return StatusOf(client.StartVerification(kTo, Channel::kSms,
                                                                VerificationDetails(rate_limited, sudo_login)));
                     }});
    LimitsConfig limits;
    limits.fleet_sends_per_hour = 1000;
    cases.push_back({"rate_limits_setup", &full,
                     [&limits](TwilioClient& client) { return StatusOf(SetUpRateLimits(client, limits)); }});
    cases.push_back({"rate_limits_missing", &full,
                     [&limits](TwilioClient& client) { return StatusOf(MissingRateLimits(client, limits)); }});
    // A custom code (twilio.verify_custom_code), sent as the login sends it;
    // then the feedback that approves it.
    Config custom_code;
    custom_code.twilio = full;
    custom_code.twilio.verify_custom_code = true;
    cases.push_back({"verify_start_with_custom_code", &custom_code.twilio, [&](TwilioClient& client) {
                       std::unique_ptr<Challenge> challenge = MakeChallenge(custom_code, client, DefaultClock());
                       Status sent = challenge->Send(kTo, Channel::kSms, sudo_login);
                       challenge->Forget();  // no cancel: the approval below is the next request
                       return sent;
                     }});
    cases.push_back({"verify_approve_custom_code", &full,
                     [&sid](TwilioClient& c) { return c.ApproveVerification(sid); }});
    cases.push_back({"verify_check", &full,
                     [&sid](TwilioClient& c) { return StatusOf(c.CheckVerification(sid, Secret("123456"))); }});
    cases.push_back({"verify_cancel", &full, [&sid](TwilioClient& c) { return c.CancelVerification(sid); }});
    cases.push_back({"message_from_number", &bare,
                     [](TwilioClient& c) { return StatusOf(c.SendMessage(kTo, Secret("123456 is your code"))); }});
    cases.push_back({"message_via_messaging_service", &full,
                     [](TwilioClient& c) { return StatusOf(c.SendMessage(kTo, Secret("123456 is your code"))); }});
    cases.push_back({"voice_call", &full,
                     [](TwilioClient& c) { return StatusOf(c.PlaceCall(kTo, Secret("1, 2, 3, 4, 5, 6"))); }});
    // check-config --online's reads (account_reader.h).
    AccountReader reader(full, transport);
    cases.push_back({"read_account", &full, [&reader](TwilioClient&) { return StatusOf(reader.FetchAccount()); }});
    cases.push_back({"read_verify_service", &full, [&reader](TwilioClient&) { return StatusOf(reader.FetchVerifyService()); }});
    // An authenticator app through Verify (totp_factors.h): the factor's
    // life, and a login's challenge. The mock's examples supply the SIDs.
    std::string factor = "YF0123456789abcdef0123456789abcdef";
    const std::string identity = TotpIdentity("alice");
    cases.push_back({"totp_factor_create", &full, [&](TwilioClient& client) {
                       Result<NewTotpFactor> created = TotpFactors(client).Create(identity, "alice");
                       if (created.ok()) factor = created->sid;
                       return StatusOf(created);
                     }});
    cases.push_back({"totp_factor_verify", &full, [&](TwilioClient& client) {
                       return StatusOf(TotpFactors(client).Verify(identity, factor, Secret("123456")));
                     }});
    cases.push_back({"totp_factor_list", &full,
                     [&](TwilioClient& client) { return StatusOf(TotpFactors(client).Verified(identity)); }});
    cases.push_back({"totp_challenge", &full, [&](TwilioClient& client) {
                       return StatusOf(TotpFactors(client).Check(identity, factor, Secret("123456")));
                     }});
    cases.push_back({"totp_factor_delete", &full,
                     [&](TwilioClient& client) { return TotpFactors(client).Delete(identity, factor); }});
    // Lookup's line type before an enrolment (line_type.h).
    cases.push_back({"lookup_line_type", &full, [&full, &transport](TwilioClient&) {
                       return StatusOf(LookUpLineType(full, transport, kTo));
                     }});
    cases.push_back({"read_numbers", &full, [&reader](TwilioClient&) { return reader.ReadNumbers(); }});
    cases.push_back({"read_owned_number", &full, [&reader](TwilioClient&) { return StatusOf(reader.OwnsNumber(kTo)); }});
    cases.push_back({"read_verified_caller_id", &full,
                     [&reader](TwilioClient&) { return StatusOf(reader.IsVerifiedCallerId(kTo)); }});

    std::printf("[==========] Running %zu request(s) against %s and %s\n", cases.size(), argv[1], argv[2]);
    int passed = 0, failed = 0;
    for (const Case& test : cases) {
      transport.Forget();
      TwilioClient client(*test.twilio, transport, DefaultClock());
      const Status status = test.run(client);
      const auto& http = transport.last_status();
      if (!http) {
        ++failed;
        std::printf("[  FAILED  ] %s: %s\n", test.name.c_str(), status.ToString().c_str());
      } else if (*http >= 400) {
        ++failed;
        std::printf("[  FAILED  ] %s: HTTP %ld: %s\n", test.name.c_str(), *http,
                    Explain(transport.last_error_body()).c_str());
      } else {
        ++passed;
        std::printf("[       OK ] %s (HTTP %ld)%s%s\n", test.name.c_str(), *http,
                    status.ok() ? "" : "; example reply not accepted by our parser: ",
                    status.ok() ? "" : status.ToString().c_str());
      }
    }
    std::printf("[  PASSED  ] %d test(s).\n", passed);
    if (failed > 0) std::printf("[  FAILED  ] %d test(s)\n", failed);
    return failed > 0 ? 1 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "contract_client: %s\n", e.what());
    return 1;
  }
}
