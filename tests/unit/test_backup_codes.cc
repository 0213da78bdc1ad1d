// state/backup_codes: the form and uniqueness of the backup codes printed,
// single use, the typed forms that are forgiven, and refusal without scrypt of
// anything that can't be a code.
#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "state/backup_codes.h"
#include "cmocka_cxx.h"  // last: its macros clash with the standard headers

using namespace twotp;

namespace {

constexpr std::string_view kAlphabet = "abcdefghjkmnpqrstuvwxyz23456789";

NewBackupCodes Generate(int count) {
  Result<NewBackupCodes> codes = GenerateBackupCodes(count);
  assert_true(codes.ok());
  return std::move(codes.value());
}

bool HasCodeForm(const std::string& code) {
  if (code.size() != 9 || code[4] != '-') return false;
  for (size_t i = 0; i < code.size(); ++i) {
    if (i != 4 && kAlphabet.find(code[i]) == std::string_view::npos) return false;
  }
  return true;
}

bool IsLowerHex(const std::string& s, size_t size) {
  return s.size() == size && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

void test_generated_codes_have_the_printed_form(void**) {
  NewBackupCodes codes = Generate(20);
  assert_int_equal(codes.codes.size(), 20);
  assert_int_equal(codes.hashes.size(), 20);
  std::set<std::string> salts;
  for (size_t i = 0; i < codes.codes.size(); ++i) {
    assert_true(HasCodeForm(codes.codes[i].str()));
    assert_true(IsLowerHex(codes.hashes[i].salt_hex, 32));
    assert_true(IsLowerHex(codes.hashes[i].hash_hex, 64));
    salts.insert(codes.hashes[i].salt_hex);
  }
  assert_int_equal(salts.size(), 20);  // a fresh salt per code
}

void test_generated_codes_are_distinct_across_batches(void**) {
  std::set<std::string> seen;
  for (int batch = 0; batch < 5; ++batch) {
    for (const Secret& code : Generate(10).codes) seen.insert(code.str());
  }
  assert_int_equal(seen.size(), 50);
}

void test_count_out_of_range_is_bad_input(void**) {
  assert_true(GenerateBackupCodes(0).status().Is(Fault::kBadInput));
  assert_true(GenerateBackupCodes(21).status().Is(Fault::kBadInput));
  assert_true(GenerateBackupCodes(-1).status().Is(Fault::kBadInput));
}

void test_each_code_works_once(void**) {
  NewBackupCodes codes = Generate(3);
  std::vector<BackupCodeHash> stored = codes.hashes;
  for (const Secret& code : codes.codes) {
    Result<bool> first = ConsumeBackupCode(stored, code);
    assert_true(first.ok() && first.value());
    Result<bool> again = ConsumeBackupCode(stored, code);
    assert_true(again.ok() && !again.value());
  }
  assert_true(stored.empty());
}

void test_only_the_matching_hash_is_removed(void**) {
  NewBackupCodes codes = Generate(3);
  std::vector<BackupCodeHash> stored = codes.hashes;
  assert_true(ConsumeBackupCode(stored, codes.codes[1]).value());
  assert_int_equal(stored.size(), 2);
  assert_string_equal(stored[0].hash_hex.c_str(), codes.hashes[0].hash_hex.c_str());
  assert_string_equal(stored[1].hash_hex.c_str(), codes.hashes[2].hash_hex.c_str());
}

void test_typed_variants_are_forgiven(void**) {
  NewBackupCodes codes = Generate(4);
  const std::string c0 = codes.codes[0].str();  // "abcd-efgh"
  std::string upper = codes.codes[1].str();
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  const std::string c2 = codes.codes[2].str();
  const std::string c3 = codes.codes[3].str();
  const std::vector<std::string> typed = {
      c0.substr(0, 4) + c0.substr(5),                                   // no dash
      upper,                                                             // upper case
      " " + c2.substr(0, 4) + " " + c2.substr(5, 2) + " " + c2.substr(7) + " ",  // spaces
      c3.substr(0, 2) + "-" + c3.substr(2, 2) + "--" + c3.substr(5),    // dashes anywhere
  };
  std::vector<BackupCodeHash> stored = codes.hashes;
  for (const std::string& t : typed) {
    assert_true(LooksLikeBackupCode(t));
    Result<bool> used = ConsumeBackupCode(stored, Secret(t));
    assert_true(used.ok() && used.value());
  }
  assert_true(stored.empty());
}

void test_wrong_code_leaves_every_hash(void**) {
  NewBackupCodes codes = Generate(5);
  std::vector<BackupCodeHash> stored = codes.hashes;
  // A well-formed code that was not issued (one symbol changed).
  std::string wrong = codes.codes[0].str();
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  Result<bool> used = ConsumeBackupCode(stored, Secret(wrong));
  assert_true(used.ok() && !used.value());
  assert_int_equal(stored.size(), 5);
}

void test_malformed_input_is_refused_without_scrypt(void**) {
  const std::vector<std::string> bad = {
      "",          "123456",     "abcd-efg",   "abcd-efghj", "abcd-efg0",  "abcd-efgl",  "abcd-efgi",
      "abcd-efgo", "abcd_efgh",  "abcd.efgh",  "abcd-efg\xc3\xa9", "resend", "voice", "abcdefgh\n",
      // Numeric codes (code_length = 8) are never backup codes, dash or not.
      "23456789",  "2345-6789",
  };
  // A damaged entry makes any real attempt a kState fault before scrypt runs
  // (a well-formed code proves it below); an ok "false" for the malformed
  // inputs therefore shows they were turned away before any hash was touched.
  std::vector<BackupCodeHash> stored = Generate(2).hashes;
  stored[0].salt_hex = "damaged";
  assert_true(ConsumeBackupCode(stored, Secret("abcd-efgh")).status().Is(Fault::kState));
  for (const std::string& b : bad) {
    assert_false(LooksLikeBackupCode(b));
    Result<bool> used = ConsumeBackupCode(stored, Secret(b));
    assert_true(used.ok() && !used.value());
  }
  assert_int_equal(stored.size(), 2);
}

void test_damaged_stored_hash_is_a_state_fault(void**) {
  NewBackupCodes codes = Generate(2);
  std::vector<BackupCodeHash> stored = codes.hashes;
  stored[1].hash_hex.pop_back();
  assert_true(ConsumeBackupCode(stored, codes.codes[0]).status().Is(Fault::kState));
  assert_int_equal(stored.size(), 2);  // nothing spent
  stored = codes.hashes;
  stored[0].salt_hex[0] = 'x';
  assert_true(ConsumeBackupCode(stored, codes.codes[1]).status().Is(Fault::kState));
}

void test_no_stored_codes_is_false(void**) {
  std::vector<BackupCodeHash> none;
  Result<bool> used = ConsumeBackupCode(none, Secret("abcd-efgh"));
  assert_true(used.ok() && !used.value());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_generated_codes_have_the_printed_form),
      cmocka_unit_test(test_generated_codes_are_distinct_across_batches),
      cmocka_unit_test(test_count_out_of_range_is_bad_input),
      cmocka_unit_test(test_each_code_works_once),
      cmocka_unit_test(test_only_the_matching_hash_is_removed),
      cmocka_unit_test(test_typed_variants_are_forgiven),
      cmocka_unit_test(test_wrong_code_leaves_every_hash),
      cmocka_unit_test(test_malformed_input_is_refused_without_scrypt),
      cmocka_unit_test(test_damaged_stored_hash_is_a_state_fault),
      cmocka_unit_test(test_no_stored_codes_is_false),
  };
  return cmocka_run_group_tests_name("backup_codes", tests, nullptr, nullptr);
}
