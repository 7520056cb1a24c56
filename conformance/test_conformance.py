"""The suite's own checker and normalization can fail (python3 -m unittest discover -s conformance)."""

import unittest

from conformance import differences, failures, normalized

RESULT = {
    "status": "failed",
    "key-fields": {"n": 2},
    "raw-data": {"value": [1, 2]},
    "errors": [{"status-code": 400, "message": "Bogus: is not a parameter"}],
    "files": [],
}


class Checker(unittest.TestCase):
    def test_a_matching_expectation_passes(self):
        ok = {"status": "failed", "equals": {"key-fields.n": 2}, "counts": {"raw-data.value": 2},
              "errors": [{"status-code": 400, "parameter": "Bogus", "message-contains": "not a"}]}
        self.assertEqual(failures(ok, RESULT), [])

    def test_each_kind_of_mismatch_is_reported(self):
        for wrong in [
            {"status": "successful"},
            {"status": "failed", "equals": {"key-fields.n": 3}},
            {"status": "failed", "equals": {"key-fields.missing": 2}},
            {"status": "failed", "counts": {"raw-data.value": 3}},
            {"status": "failed", "errors": [{"status-code": 400, "parameter": "Other"}]},
            {"status": "failed", "errors": [{"status-code": 404, "parameter": "Bogus"}]},
        ]:
            self.assertEqual(len(failures(wrong, RESULT)), 1, wrong)


class Normalization(unittest.TestCase):
    def test_file_ids_and_token_times_are_the_only_things_removed(self):
        a = {"raw-data": {"token": {"exp": 1, "aud": "x"}, "fileId": "a" * 32},
             "files": [{"file-id": "a" * 32}]}
        b = {"raw-data": {"token": {"exp": 2, "aud": "x"}, "fileId": "b" * 32},
             "files": [{"file-id": "b" * 32}]}
        self.assertEqual(normalized(a), normalized(b))
        self.assertEqual(normalized(a)["raw-data"]["fileId"], "file-1")
        c = {**b, "raw-data": {"token": {"exp": 2, "aud": "y"}, "fileId": "b" * 32}}
        self.assertEqual(differences(normalized(a), normalized(c)), ['.raw-data.token.aud: "x" != "y"'])


if __name__ == "__main__":
    unittest.main()
