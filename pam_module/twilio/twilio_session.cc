#include "twilio/twilio_session.h"

namespace twotp {

namespace {
TransportOptions OptionsFor(const TwilioConfig& twilio) {
  TransportOptions options;
  options.ca_file = twilio.ca_file;
  options.ca_path = twilio.ca_path;
  options.request_timeout = std::chrono::seconds(twilio.timeout);
  options.total_budget = std::chrono::seconds(twilio.total_timeout);
  options.proxy = twilio.proxy;
  return options;
}
}  // namespace

Result<std::unique_ptr<TwilioSession>> TwilioSession::Open(const Config& config, const FileTrust& trust,
                                                           Clock& clock) {
  Result<TwilioCredentials> credentials = LoadTwilioCredentials(config.twilio, trust);
  if (!credentials.ok()) return credentials.status();
  return std::unique_ptr<TwilioSession>(new TwilioSession(config, std::move(credentials.value()), clock));
}

TwilioSession::TwilioSession(const Config& config, TwilioCredentials credentials, Clock& clock)
    : transport_(OptionsFor(config.twilio), credentials.username, std::move(credentials.password), clock),
      client_(config.twilio, transport_, clock),
      challenge_(MakeChallenge(config, client_, clock)) {}

}  // namespace twotp
