// The integration suite's entry point: each group is a file of scenarios.
int RunLoginTests();
int RunAbuseTests();

int main() { return RunLoginTests() + RunAbuseTests(); }
