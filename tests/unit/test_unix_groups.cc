// base/unix_groups: group lookup through NSS (GroupsOf) and AnyGroupIn.
#include <string>
#include <vector>

#include "base/unix_groups.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;

namespace {

bool Holds(const std::vector<std::string>& names, const std::string& name) {
  for (const std::string& n : names) {
    if (n == name) return true;
  }
  return false;
}

void test_groups_of_root_holds_root(void**) {
  Result<std::vector<std::string>> groups = GroupsOf("root");
  assert_true(groups.ok());
  assert_true(Holds(groups.value(), "root"));
}

void test_groups_of_unknown_user_is_a_directory_fault(void**) {
  Result<std::vector<std::string>> groups = GroupsOf("no-such-user-twotp-test");
  assert_true(groups.status().Is(Fault::kDirectory));
  assert_true(GroupsOf("").status().Is(Fault::kDirectory));
}

void test_any_group_in(void**) {
  assert_true(AnyGroupIn({"users", "wheel"}, {"sudo", "wheel"}));
  assert_false(AnyGroupIn({"users", "audio"}, {"sudo", "wheel"}));
  assert_false(AnyGroupIn({}, {"sudo"}));
  assert_false(AnyGroupIn({"sudo"}, {}));
  assert_false(AnyGroupIn({"Wheel"}, {"wheel"}));  // names are exact
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_groups_of_root_holds_root),
      cmocka_unit_test(test_groups_of_unknown_user_is_a_directory_fault),
      cmocka_unit_test(test_any_group_in),
  };
  return cmocka_run_group_tests_name("unix_groups", tests, nullptr, nullptr);
}
