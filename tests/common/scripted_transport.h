// ScriptedTransport: an HttpTransport for tests of reply handling. It records
// every request (URL and form fields, in order) and answers from a script of
// canned replies; once the script is used up it answers "no reply".
#ifndef PAM_TWILIO_OTP_TESTS_SCRIPTED_TRANSPORT_H_
#define PAM_TWILIO_OTP_TESTS_SCRIPTED_TRANSPORT_H_

#include <chrono>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "twilio/http_transport.h"

namespace twotp {

class ScriptedTransport : public HttpTransport {
 public:
  struct Request {
    std::string url;
    std::vector<std::string> names;             // field names in the order sent
    std::map<std::string, std::string> fields;  // name -> value
    std::string method = "POST";
    bool Has(const std::string& name) const { return fields.count(name) != 0; }
    const std::string& operator[](const std::string& name) const { return fields.at(name); }
  };

  // Queues an HTTP reply (any status) or a failure with no reply at all.
  void Reply(long status, std::string body, std::string retry_after = "") {
    script_.push_back(Result<HttpResponse>(HttpResponse{status, std::move(body), std::move(retry_after)}));
  }
  void Fail(Status status) { script_.push_back(Result<HttpResponse>(std::move(status))); }

  Result<HttpResponse> PostForm(const std::string& url, const Form& form) override {
    Request request{url, {}, {}};
    for (const FormField& field : form) {
      request.names.push_back(field.name);
      request.fields[field.name] = field.value.str();
    }
    requests.push_back(std::move(request));
    return Next();
  }

  Result<HttpResponse> Get(const std::string& url) override {
    requests.push_back(Request{url, {}, {}, "GET"});
    return Next();
  }

  Result<HttpResponse> Delete(const std::string& url) override {
    requests.push_back(Request{url, {}, {}, "DELETE"});
    return Next();
  }

  std::chrono::milliseconds budget_left() const override { return budget; }
  void Spend(std::chrono::milliseconds d) override {
    budget -= d;
    spent += d;
  }

  std::vector<Request> requests;
  std::chrono::milliseconds budget = std::chrono::milliseconds::max();
  std::chrono::milliseconds spent{0};  // what Spend was told, in total

 private:
  Result<HttpResponse> Next() {
    if (script_.empty()) return Status::Unavailable("scripted transport: no reply left");
    Result<HttpResponse> next = std::move(script_.front());
    script_.pop_front();
    return next;
  }

  std::deque<Result<HttpResponse>> script_;
};

}  // namespace twotp

#endif  // PAM_TWILIO_OTP_TESTS_SCRIPTED_TRANSPORT_H_
