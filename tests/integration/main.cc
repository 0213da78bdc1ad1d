// The integration suite's entry point: each group is a file of scenarios.
// TWOTP_SOAK=N runs only the memory soak (soak.cc) with N logins.
#include <cstdlib>

int RunLoginTests();
int RunAbuseTests();
int RunParallelTests();
int RunFaultMatrixTests();
int RunBadInputTests();
int RunVerifyFeatureTests();
int RunFleetTests();
int RunSoak(int logins);

int main() {
  if (const char* soak = std::getenv("TWOTP_SOAK"); soak != nullptr && *soak != '\0') return RunSoak(std::atoi(soak));
  return RunLoginTests() + RunAbuseTests() + RunParallelTests() + RunFaultMatrixTests() + RunBadInputTests() +
         RunVerifyFeatureTests() + RunFleetTests();
}
