"""Unit test of bench/callgrind_guard.py's compare(): a rise of more than
10 % fails, less passes. Run: /usr/bin/python3 -m unittest bench/test_callgrind_guard.py
(or /usr/bin/python3 bench/test_callgrind_guard.py)."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import callgrind_guard as guard  # noqa: E402


class Compare(unittest.TestCase):
    BASE = {"import": 1_000_000, "once": 2_000_000}

    def test_rise_of_11_percent_fails(self):
        ok, lines = guard.compare(self.BASE, {"import": 1_110_000, "once": 2_000_000})
        self.assertFalse(ok)
        self.assertIn("FAIL", lines[0])

    def test_rise_of_9_percent_passes(self):
        ok, _ = guard.compare(self.BASE, {"import": 1_090_000, "once": 2_180_000})
        self.assertTrue(ok)

    def test_fall_passes(self):
        ok, _ = guard.compare(self.BASE, {"import": 500_000, "once": 1_000_000})
        self.assertTrue(ok)

    def test_missing_step_fails(self):
        ok, _ = guard.compare(self.BASE, {"import": 1_000_000})
        self.assertFalse(ok)

    def test_baseline_round_trip(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            path = f.name
        try:
            guard.write_baseline(self.BASE, path)
            self.assertEqual(guard.read_baseline(path), self.BASE)
        finally:
            os.unlink(path)


if __name__ == "__main__":
    unittest.main()
