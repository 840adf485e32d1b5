"""The manual pages and the systemd unit against the programs.

- every command of `ritual help` is a command in ritual(1), and back, and
  each command's options there are the ones `ritual help` shows;
- every option of `rituald --help` is in rituald(8)'s OPTIONS, and back;
- every sysexits code the programs can return is in the page's EXIT STATUS;
- the pages render with groff without a warning;
- etc/rituald.service.in (as make install fills it in) passes `systemd-analyze verify`.

Needs no fake server and no configuration.
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import ROOT, RITUAL, RITUALD, need

MAN = os.path.join(ROOT, "man")
PAGES = ("ritual.1", "rituald.8", "ritual.conf.5")


def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return f.read()


def section(page, name):
    """The lines of section `.Sh name` of a man page (up to the next .Sh)."""
    lines = read("man", page).splitlines()
    out, inside = [], False
    for line in lines:
        if line.startswith(".Sh "):
            inside = line[4:].strip().strip('"') == name
            continue
        if inside:
            out.append(line)
    if not out:
        raise AssertionError("%s has no section %s" % (page, name))
    return out


def flags(line):
    """The options named by Fl macros on an mdoc line: "Fl c" -> "-c",
    "Fl \\-config" -> "--config"."""
    found = []
    for m in re.finditer(r"\bFl\s+(\S+)", line):
        arg = m.group(1).replace("\\-", "-").rstrip(",")
        arg = arg.split("=")[0]
        found.append("-" + arg)
    return found


def run(*argv):
    p = subprocess.run(list(argv), capture_output=True, text=True, timeout=30)
    return p


def exit_codes(*sources):
    """EX_* names used in the given source files."""
    names = set()
    for src in sources:
        names |= set(re.findall(r"\bEX_[A-Z]+\b", read("src", src)))
    names.discard("EX_OK")
    return names


class RitualPage(unittest.TestCase):
    def help_commands(self):
        """`ritual help`'s rows: "  NAME  ARGS  DESCRIPTION", or, for long
        args, "  NAME  ARGS" with more args on lines indented 14 and the
        description on lines indented 18."""
        p = run(RITUAL, "help")
        self.assertEqual(p.returncode, 0, p.stderr)
        cmds = {}
        cur = None
        after = p.stdout.split("Commands:\n", 1)[1]
        for line in after.splitlines():
            if line.strip() == "":
                break
            m = re.match(r"^  (\S+) +(.*)$", line)
            if m:
                cur = m.group(1)
                parts = re.split(r"\s{2,}", m.group(2), 1)
                cmds[cur] = parts[0]
                if len(parts) == 2:     # the args column is capped at 32
                    self.assertEqual(line.index(parts[1], 14 + len(parts[0])), 48, line)
                else:
                    self.assertLessEqual(len(line), 78, line)
                continue
            m = re.match(r"^ {14}(\S.*)$", line)
            if m and cur:
                cmds[cur] += " " + m.group(1)
        self.assertGreater(len(cmds), 5, p.stdout)
        self.assertIn("--write-config", cmds.get("connect", ""), p.stdout)
        return cmds

    def page_commands(self):
        cmds = {}
        cur = None   # a command whose .It line goes on to .Xc (Xo ... Xc)
        for line in section("ritual.1", "COMMANDS"):
            if cur:
                if line.startswith(".Xc"):
                    cur = None
                else:
                    cmds[cur] += " " + line
                continue
            m = re.match(r"^\.It Cm (\S+)(.*)$", line)
            if m:
                cmds[m.group(1)] = m.group(2)
                if m.group(2).rstrip().endswith("Xo"):
                    cur = m.group(1)
        return cmds

    def test_commands_match(self):
        helped = self.help_commands()
        documented = self.page_commands()
        self.assertEqual(sorted(set(helped) - set(documented)), [],
                         "commands in `ritual help` missing from ritual.1 COMMANDS")
        self.assertEqual(sorted(set(documented) - set(helped)), [],
                         "commands in ritual.1 COMMANDS that `ritual help` lacks")

    def test_command_options_match(self):
        helped = self.help_commands()
        documented = self.page_commands()
        for name, args in helped.items():
            want = sorted(set(re.findall(r"--[a-z-]+", args)))
            have = sorted(set(flags(documented.get(name, ""))))
            self.assertEqual(want, have, "options of `ritual %s`: help says %r, "
                             "ritual.1 says %r" % (name, want, have))

    def test_each_command_help_works(self):
        for name in self.help_commands():
            p = run(RITUAL, name, "--help")
            self.assertEqual(p.returncode, 0, "ritual %s --help: %s" % (name, p.stderr))
            self.assertIn("usage: ritual " + name, p.stdout)

    def test_exit_status_lists_every_code(self):
        text = "\n".join(section("ritual.1", "EXIT STATUS"))
        for name in sorted(exit_codes("cli.c")):
            self.assertIn("Dv %s" % name, text, "ritual.1 EXIT STATUS lacks %s" % name)

    def test_environment(self):
        text = "\n".join(section("ritual.1", "ENVIRONMENT"))
        self.assertIn("Ev RITUAL_CONFIG", text)


class RitualdPage(unittest.TestCase):
    def help_options(self):
        p = run(RITUALD, "--help")
        self.assertEqual(p.returncode, 0, p.stderr)
        opts = set()
        for line in p.stdout.splitlines():
            m = re.match(r"^\s+((?:-\w|--[\w-]+)(?:,\s*--[\w-]+)?)\s", line)
            if m:
                opts |= {o.strip() for o in m.group(1).split(",")}
        self.assertIn("--once", opts, p.stdout)
        return opts

    def page_options(self):
        opts = set()
        for line in section("rituald.8", "OPTIONS"):
            if line.startswith(".It "):
                opts |= set(flags(line))
        return opts

    def test_every_option_documented(self):
        missing = sorted(self.help_options() - self.page_options())
        self.assertEqual(missing, [], "rituald --help options missing from rituald.8 OPTIONS")

    def test_no_phantom_options(self):
        # -h/--help is accepted but not listed by the usage text itself.
        extra = sorted(self.page_options() - self.help_options() - {"-h", "--help"})
        self.assertEqual(extra, [], "rituald.8 documents options rituald --help lacks")

    def test_documented_options_are_accepted(self):
        for opt in sorted(self.page_options()):
            if opt in ("-c", "--config"):
                continue  # takes a file; covered by every other test
            if opt in ("--once",):
                continue  # would run the daemon
            argv = [RITUALD, opt]
            if opt in ("-n", "--check", "-v", "--verbose"):
                # With a missing file: a configuration error, not a usage one.
                argv += ["-c", os.path.join(tempfile.gettempdir(), "no-such-ritual.conf")]
            p = run(*argv)
            self.assertNotEqual(p.returncode, 64, "rituald %s: %s" % (opt, p.stderr))

    def test_exit_status_lists_every_code(self):
        text = "\n".join(section("rituald.8", "EXIT STATUS"))
        for name in sorted(exit_codes("rituald.c", "daemon.c")):
            self.assertIn("Dv %s" % name, text, "rituald.8 EXIT STATUS lacks %s" % name)

    def test_signals(self):
        text = "\n".join(section("rituald.8", "SIGNALS"))
        for sig in ("SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", "SIGPIPE"):
            self.assertIn(sig, text)


class Rendering(unittest.TestCase):
    def test_pages_render_without_warnings(self):
        need(shutil.which("groff"), "groff (Debian package groff)")
        for page in PAGES:
            with self.subTest(page=page):
                p = subprocess.run(["groff", "-mandoc", "-Tutf8", "-ww", "-z",
                                    os.path.join(MAN, page)],
                                   capture_output=True, text=True, timeout=60)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(p.stderr, "", "%s: groff warnings:\n%s" % (page, p.stderr))


class Unit(unittest.TestCase):
    def test_unit_verifies(self):
        need(shutil.which("systemd-analyze"), "systemd-analyze (Debian package systemd)")
        unit = read("etc", "rituald.service.in")
        self.assertIn("ExecStart=@SBINDIR@/rituald -c @SYSCONFDIR@/ritual/ritual.conf", unit)
        unit = unit.replace("@SBINDIR@", "/usr/local/sbin").replace("@SYSCONFDIR@", "/etc")
        tmp = tempfile.mkdtemp(prefix="ritual-unit-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        # The installed paths do not exist here: point ExecStart at the
        # build, and man(1) at our pages for Documentation=.
        for page in PAGES:
            sect = os.path.join(tmp, "man", "man" + page.rsplit(".", 1)[1])
            os.makedirs(sect, exist_ok=True)
            shutil.copy(os.path.join(MAN, page), sect)
        path = os.path.join(tmp, "rituald.service")
        with open(path, "w") as f:
            f.write(unit.replace("/usr/local/sbin/rituald", RITUALD))
        env = dict(os.environ, MANPATH=os.path.join(tmp, "man"))
        p = subprocess.run(["systemd-analyze", "verify", path], capture_output=True,
                           text=True, env=env, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn("rituald.service", p.stdout + p.stderr, p.stdout + p.stderr)


if __name__ == "__main__":
    unittest.main()
